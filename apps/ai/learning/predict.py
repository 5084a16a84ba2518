"""The models in use, loaded lazily: a worker unpickles a model the first time it triages a ticket after that
model became active, and keeps it for the life of the process (one small query per triage tells which
versions are active, so a newly promoted model is picked up without a restart). Imports no scikit-learn
itself; unpickling a model does, in the worker only.
"""

import threading
from dataclasses import dataclass

from ..choices import ModelStatus
from ..models import TriageModel
from ..reads import cached
from .dataset import model_text

_lock = threading.Lock()
_loaded: dict[int, object] = {}  # TriageModel pk → fitted pipeline


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    version: int


def active_models() -> dict[str, tuple[int, int, str]]:
    """{target: (pk, version, training run)} of the models in use (no payload read)."""
    rows = TriageModel.objects.filter(status=ModelStatus.ACTIVE).values_list("target", "pk", "version", "metrics")
    return {target: (pk, version, str((metrics or {}).get("run", pk))) for target, pk, version, metrics in rows}


def pipeline_for(pk: int):
    """The fitted pipeline of TriageModel `pk`, unpickled once per process."""
    with _lock:
        if pk not in _loaded:
            from .training import loads

            payload = TriageModel.objects.filter(pk=pk).values_list("payload", flat=True).get()
            # Models no longer in use are dropped from memory: only the active versions stay loaded.
            active = {model_pk for model_pk, _version, _run in active_models().values()}
            for old in [old for old in _loaded if old not in active]:
                del _loaded[old]
            _loaded[pk] = loads(payload)
        return _loaded[pk]


def forget() -> None:
    """Drop every loaded model (tests; a process that wants its memory back)."""
    with _lock:
        _loaded.clear()


def predict(text: str) -> dict[str, Prediction]:
    """For each target with a model in use: the most probable label and its probability.

    Models trained in the same run share their feature extractor: the text is turned into features once per
    run, not once per model (most of a prediction's time).
    """
    text = model_text(text)
    predictions = {}
    features_of_run: dict[str, object] = {}
    for target, (pk, version, run) in cached("active_models", active_models).items():
        pipeline = pipeline_for(pk)
        if run not in features_of_run:
            features_of_run[run] = pipeline.named_steps["features"].transform([text])
        classifier = pipeline.named_steps["classifier"]
        probabilities = classifier.predict_proba(features_of_run[run])[0]
        best = int(probabilities.argmax())
        predictions[target] = Prediction(
            label=str(classifier.classes_[best]), probability=round(float(probabilities[best]), 3), version=version
        )
    return predictions
