"""The models in use, loaded lazily: a worker unpickles a model the first time it triages a ticket after that
model became active, and keeps it for the life of the process (one small query per triage tells which
versions are active, so a newly promoted model is picked up without a restart). Imports no scikit-learn
itself; unpickling a model does, in the worker only.
"""

import threading
from dataclasses import dataclass

from ..choices import ModelStatus
from ..models import TriageModel
from .dataset import model_text

_lock = threading.Lock()
_loaded: dict[int, object] = {}  # TriageModel pk → fitted pipeline


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    version: int


def active_models() -> dict[str, tuple[int, int]]:
    """{target: (pk, version)} of the models in use (no payload read)."""
    rows = TriageModel.objects.filter(status=ModelStatus.ACTIVE).values_list("target", "pk", "version")
    return {target: (pk, version) for target, pk, version in rows}


def pipeline_for(pk: int):
    """The fitted pipeline of TriageModel `pk`, unpickled once per process."""
    with _lock:
        if pk not in _loaded:
            from .training import loads

            payload = TriageModel.objects.filter(pk=pk).values_list("payload", flat=True).get()
            # Models no longer in use are dropped from memory: only the active versions stay loaded.
            active = {model_pk for model_pk, _version in active_models().values()}
            for old in [old for old in _loaded if old not in active]:
                del _loaded[old]
            _loaded[pk] = loads(payload)
        return _loaded[pk]


def forget() -> None:
    """Drop every loaded model (tests; a process that wants its memory back)."""
    with _lock:
        _loaded.clear()


def predict(text: str) -> dict[str, Prediction]:
    """For each target with a model in use: the most probable label and its probability."""
    predictions = {}
    for target, (pk, version) in active_models().items():
        pipeline = pipeline_for(pk)
        probabilities = pipeline.predict_proba([model_text(text)])[0]
        best = int(probabilities.argmax())
        predictions[target] = Prediction(
            label=str(pipeline.classes_[best]), probability=round(float(probabilities[best]), 3), version=version
        )
    return predictions
