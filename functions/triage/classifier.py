"""The bundled intent model, scored with numpy alone (no scikit-learn, no pickle at run time).

Artifact layout (``layers/model/triage-model/``, ``/opt/triage-model`` in Lambda):
- ``intent.npz``: per feature block (``word``, ``char``) its vocabulary, idf and n-gram range; the logistic-regression
  ``coef`` (classes × features) and ``intercept``; the ``labels``.
- ``model-card.json``: data hash, labels, metrics, thresholds and the artifact's own sha256. Loading refuses a card
  that does not match the arrays beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.features import char_wb_ngrams, word_ngrams

ARTIFACT = "intent.npz"
CARD = "model-card.json"
FORMAT_VERSION = 1

_ANALYZERS: dict[str, Callable[[str, tuple[int, int]], list[str]]] = {
    "word": word_ngrams,
    "char": char_wb_ngrams,
}


class ModelError(RuntimeError):
    """The artifact is missing, corrupt, or does not match its model card."""


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float
    top_k: tuple[tuple[str, float], ...]
    model_version: str

    @property
    def margin(self) -> float:
        """Gap between the two best intents: small means a mixed or ambiguous request."""
        if len(self.top_k) < 2:
            return self.confidence
        return self.top_k[0][1] - self.top_k[1][1]


@dataclass(frozen=True)
class _Block:
    analyzer: Callable[[str, tuple[int, int]], list[str]]
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    sublinear_tf: bool
    offset: int

    def add_to(self, text: str, scores: NDArray[np.float64], coef_t: NDArray[np.float64]) -> None:
        counts = Counter(term for term in self.analyzer(text, self.ngram_range) if term in self.vocabulary)
        if not counts:
            return
        index = np.fromiter((self.vocabulary[term] for term in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[index]
        values /= np.sqrt(np.dot(values, values))
        scores += values @ coef_t[self.offset + index]


class IntentModel:
    """``predict(text) -> Classification``: the interface later tiers keep."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        artifact = directory / ARTIFACT
        try:
            self.card: dict[str, Any] = json.loads((directory / CARD).read_text(encoding="utf-8"))
            blob = artifact.read_bytes()
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot read the model in {directory}: {error}") from error
        digest = hashlib.sha256(blob).hexdigest()
        if self.card.get("artifact_sha256") != digest:
            raise ModelError(
                f"{artifact} does not match {CARD} (sha256 {digest[:12]}…); rebuild with `make model`"
            )
        if self.card.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"unsupported model format {self.card.get('format_version')!r}")
        with np.load(artifact, allow_pickle=False) as arrays:
            self.labels: tuple[str, ...] = tuple(str(label) for label in arrays["labels"])
            if list(self.labels) != self.card.get("labels"):
                raise ModelError("labels in the artifact differ from the model card")
            self._coef_t = np.ascontiguousarray(arrays["coef"].T, dtype=np.float64)
            self._intercept = arrays["intercept"].astype(np.float64)
            self._blocks = self._load_blocks(arrays)
        self.version: str = str(self.card.get("version", digest[:12]))

    def _load_blocks(self, arrays: Any) -> list[_Block]:
        blocks: list[_Block] = []
        offset = 0
        for spec in self.card["features"]:
            name = spec["name"]
            vocabulary = arrays[f"{name}_vocabulary"]
            blocks.append(
                _Block(
                    analyzer=_ANALYZERS[spec["analyzer"]],
                    ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                    vocabulary={str(term): i for i, term in enumerate(vocabulary.tolist())},
                    idf=arrays[f"{name}_idf"].astype(np.float64),
                    sublinear_tf=bool(spec["sublinear_tf"]),
                    offset=offset,
                )
            )
            offset += len(vocabulary)
        if offset != self._coef_t.shape[0]:
            raise ModelError(f"feature count {offset} does not match the weights {self._coef_t.shape[0]}")
        return blocks

    def decision_function(self, text: str) -> NDArray[np.float64]:
        scores: NDArray[np.float64] = self._intercept.copy()
        for block in self._blocks:
            block.add_to(text, scores, self._coef_t)
        return scores

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        out = np.empty((len(texts), len(self.labels)), dtype=np.float64)
        for row, text in enumerate(texts):
            scores = self.decision_function(text)
            scores -= scores.max()
            np.exp(scores, out=scores)
            out[row] = scores / scores.sum()
        return out

    def predict(self, text: str, k: int = 3) -> Classification:
        return self._classification(self.predict_proba([text])[0], k)

    def predict_views(self, views: Sequence[str], k: int = 3) -> Classification:
        """One judgement from several views of a message (e.g. its subject, and subject + body).

        The views' probabilities are combined by a normalised geometric mean (a product of experts): an intent
        wins only where the views agree, and disagreement lowers the confidence.
        """
        views = [view for view in views if view.strip()] or [""]
        log_p = np.log(np.clip(self.predict_proba(views), 1e-12, 1.0)).mean(axis=0)
        combined = np.exp(log_p - log_p.max())
        return self._classification(combined / combined.sum(), k)

    def _classification(self, probabilities: NDArray[np.float64], k: int) -> Classification:
        order = np.argsort(-probabilities, kind="stable")[:k]
        top = tuple((self.labels[i], float(probabilities[i])) for i in order)
        return Classification(label=top[0][0], confidence=top[0][1], top_k=top, model_version=self.version)


@lru_cache(maxsize=4)
def load_model(directory: Path) -> IntentModel:
    """One model per directory per process (Lambda keeps it warm across invocations)."""
    return IntentModel(directory)
