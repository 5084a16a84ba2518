"""Training of the learning triage with scikit-learn, and its figures on the held-out tickets (no database).

One feature extractor is fitted per training run on the training tickets' texts (TF-IDF over word 1-2-grams
and character 3-4-grams inside word boundaries: it works across en, tr, de, fr, es and pt without word lists
or stemmers), then one logistic regression per target, fitted by SGD. Each stored model is the whole pipeline
(features + classifier), so a worker needs nothing else to predict. Everything is seeded: the same tickets
give the same model and the same figures. Storing and promoting is `apps.ai.services.triage_models_train`.

A class takes part only with at least settings.AI_LEARN_MIN_PER_CLASS labelled training tickets (the others'
tickets are left out of that target); a target is trained only when two classes or more qualify.
"""

import io
import time
from collections import Counter
from dataclasses import dataclass, field

import joblib
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from ..choices import LearnTarget
from .dataset import Example, model_text

SEED = 16
# Caps that keep a model small (a few MB) and training within memory on 100,000 tickets.
WORD_FEATURES = 60_000
CHAR_FEATURES = 60_000
CONFUSED_PAIRS = 5
VOCABULARY_SAMPLE = 20_000  # texts the vocabulary and the IDF weights are learned from
CHUNK = 2_000  # texts turned into features at a time


def build_features() -> FeatureUnion:
    """TF-IDF over words (1-2-grams) and characters (3-4-grams within words), sublinear, float32."""
    common = {"lowercase": True, "sublinear_tf": True, "min_df": 2, "dtype": np.float32}
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), max_features=WORD_FEATURES, **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), max_features=CHAR_FEATURES, **common)),
        ]
    )


def build_classifier(seed: int) -> SGDClassifier:
    """A logistic regression fitted by stochastic gradient descent (one-vs-rest, probabilities normalised):
    on 100,000 tickets it trains in seconds where the exact solvers take minutes, for the same accuracy."""
    return SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=10, tol=None, random_state=seed)


@dataclass
class Candidate:
    """A model trained for one target, with its figures on the held-out tickets."""

    target: str
    pipeline: Pipeline
    training_size: int
    heldout_size: int
    accuracy: float
    baseline_accuracy: float
    metrics: dict = field(default_factory=dict)
    heldout: list[Example] = field(default_factory=list)  # the held-out tickets of this target (for comparisons)
    predicted: list[str] = field(default_factory=list)  # the candidate's answers for them


@dataclass
class Skipped:
    target: str
    reason: str
    classes: dict = field(default_factory=dict)


def _strip(features: FeatureUnion) -> None:
    # The terms left out by min_df / max_features are kept only for introspection; dropping them keeps
    # the stored model small.
    for _name, vectorizer in features.transformer_list:
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_


def _fit_features(features: FeatureUnion, texts: list[str]):
    """Fit the vocabulary on at most VOCABULARY_SAMPLE texts (every n-th: deterministic), then turn all texts into
    features CHUNK at a time: memory holds the kept features of every text, never the counts of every n-gram
    of every text (which is what a single fit_transform on 100,000 tickets would hold)."""
    step = max(1, -(-len(texts) // VOCABULARY_SAMPLE))
    features.fit(texts[::step])
    _strip(features)
    return _stack([features.transform(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)])


def _stack(chunks: list) -> sparse.csr_matrix:
    """The chunks' rows as one CSR matrix, each chunk freed once copied: the result's arrays are allocated empty
    (the system gives them memory page by page as they are written), so the peak is one matrix plus one chunk,
    where scipy's vstack holds both the chunks and the result."""
    chunks = [chunk.tocsr() for chunk in chunks]
    total = sum(chunk.nnz for chunk in chunks)
    rows = sum(chunk.shape[0] for chunk in chunks)
    data = np.empty(total, dtype=np.float32)
    indices = np.empty(total, dtype=np.int32)
    indptr = np.empty(rows + 1, dtype=np.int32 if total < 2**31 else np.int64)
    indptr[0] = 0
    columns = chunks[0].shape[1]
    at = row = 0
    while chunks:
        chunk = chunks.pop(0)
        data[at : at + chunk.nnz] = chunk.data
        indices[at : at + chunk.nnz] = chunk.indices
        indptr[row + 1 : row + 1 + chunk.shape[0]] = chunk.indptr[1:] + at
        at += chunk.nnz
        row += chunk.shape[0]
        del chunk
    return sparse.csr_matrix((data, indices, indptr), shape=(rows, columns))


def evaluate(predicted: list[str], examples: list[Example], target: str, majority: str) -> dict:
    """Accuracy, majority-class accuracy, accuracy per language and the most-confused pairs."""
    truth = [example.labels[target] for example in examples]
    total = len(truth)
    right = sum(p == t for p, t in zip(predicted, truth, strict=True))
    languages: dict[str, dict] = {}
    for example, p, t in zip(examples, predicted, truth, strict=True):
        row = languages.setdefault(example.language or "?", {"tickets": 0, "right": 0, "majority": 0})
        row["tickets"] += 1
        row["right"] += p == t
        row["majority"] += t == majority
    per_language = {
        language: {
            "tickets": row["tickets"],
            "accuracy": round(row["right"] / row["tickets"], 4),
            "baseline": round(row["majority"] / row["tickets"], 4),
        }
        for language, row in sorted(languages.items())
    }
    mixed = Counter((t, p) for p, t in zip(predicted, truth, strict=True) if p != t)
    confused = [
        {"true": t, "predicted": p, "count": n}
        for (t, p), n in sorted(mixed.items(), key=lambda item: (-item[1], item[0]))[:CONFUSED_PAIRS]
    ]
    return {
        "accuracy": round(right / total, 4) if total else 0.0,
        "baseline": round(sum(t == majority for t in truth) / total, 4) if total else 0.0,
        "languages": per_language,
        "confused": confused,
    }


def train(examples: list[Example], *, min_per_class: int, seed: int = SEED) -> list[Candidate | Skipped]:
    """Train a candidate per target on the training tickets and measure it on the held-out ones (no database)."""
    started = time.perf_counter()
    training = [example for example in examples if not example.heldout]
    results: list[Candidate | Skipped] = []
    plans = {}
    for target in LearnTarget.values:
        counts = Counter(example.labels[target] for example in training if target in example.labels)
        kept = {label: n for label, n in counts.items() if n >= min_per_class}
        if len(kept) < 2:
            results.append(Skipped(target=target, reason="not_enough_labels", classes=dict(sorted(counts.items()))))
            continue
        plans[target] = (kept, {label: n for label, n in counts.items() if label not in kept})
    if not plans:
        return results
    used = [example for example in training if any(example.labels.get(t) in plans[t][0] for t in plans)]
    features = build_features()
    matrix = _fit_features(features, [model_text(example.text) for example in used])
    row_of = {id(example): row for row, example in enumerate(used)}
    # The held-out tickets are turned into features once, for every target.
    heldout_all = [e for e in examples if e.heldout and any(e.labels.get(t) in plans[t][0] for t in plans)]
    heldout_matrix = features.transform([model_text(example.text) for example in heldout_all]) if heldout_all else None
    heldout_row = {id(example): row for row, example in enumerate(heldout_all)}
    fitted_s = time.perf_counter() - started
    for target, (kept, left_out) in plans.items():
        target_started = time.perf_counter()
        rows = [row_of[id(example)] for example in used if example.labels.get(target) in kept]
        labels = [used[row].labels[target] for row in rows]
        x = matrix if len(rows) == matrix.shape[0] else matrix[rows]
        classifier = build_classifier(seed).fit(x, labels)
        pipeline = Pipeline([("features", features), ("classifier", classifier)])
        heldout = [example for example in heldout_all if example.labels.get(target) in kept]
        majority = max(sorted(kept), key=lambda label: kept[label])
        heldout_rows = [heldout_row[id(example)] for example in heldout]
        predicted = [str(label) for label in classifier.predict(heldout_matrix[heldout_rows])] if heldout else []
        figures = evaluate(predicted, heldout, target, majority)
        results.append(
            Candidate(
                target=target,
                pipeline=pipeline,
                training_size=len(rows),
                heldout_size=len(heldout),
                accuracy=figures.pop("accuracy"),
                baseline_accuracy=figures.pop("baseline"),
                metrics={
                    **figures,
                    "classes": dict(sorted(kept.items())),
                    "left_out": dict(sorted(left_out.items())),
                    "majority": majority,
                    "seed": seed,
                    "seconds": round(fitted_s + time.perf_counter() - target_started, 2),
                },
                heldout=heldout,
                predicted=predicted,
            )
        )
    return results


def dumps(pipeline: Pipeline) -> bytes:
    """The fitted pipeline as compressed bytes for TriageModel.payload."""
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def loads(payload: bytes) -> Pipeline:
    """A pipeline stored by `dumps` (from the database only, which is trusted: unpickling runs code)."""
    return joblib.load(io.BytesIO(bytes(payload)))
