"""The learning triage: models trained on the desk's own tickets, one per target (department, category, priority).

- `dataset`: which tickets are labelled and with what (read from the ticket and its history), and the stable
  split into training and held-out tickets.
- `training`: scikit-learn (TF-IDF over word and character n-grams, a logistic regression per target) and the
  held-out figures. The promotion rule is in apps.ai.services.triage_models_train: a new version is used only
  when it beats the one in use, the majority class and the keyword/rule suggestions on the same held-out
  tickets.
- `predict`: loads the models in use lazily, once per process and version, and answers with probabilities.

Only `training` imports scikit-learn, and only workers and `train_triage` import it (services import it inside
the training function); `predict` loads it by unpickling a model, in the worker. Neither apps.tickets nor the
web process's URLconf loads it (tests/ai/test_isolation.py).
"""
