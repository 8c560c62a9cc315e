"""Train the intent model with scikit-learn and export it to the plain-array artifact numpy scores.

Only the ``train`` extra imports this module (``triage train``, ``make model``); the Lambda functions never do.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from triage.classifier import ARTIFACT, CARD, FORMAT_VERSION
from triage.features import normalise

FEATURES: tuple[dict[str, Any], ...] = (
    {"name": "word", "analyzer": "word", "ngram_range": [1, 2], "min_df": 2, "max_features": 40_000},
    {"name": "char", "analyzer": "char", "ngram_range": [2, 5], "min_df": 3, "max_features": 40_000},
)
REGULARISATION_C = 10.0
HOLDOUT_SHARE = 0.1
SEED = 13

# Training sentences are chat-style one-liners; customers write letters. Wrapping a share of the rows in the
# openings and closings of a letter teaches the model that those words carry no intent.
EMAIL_OPENINGS = ("Hi,", "Hello,", "Hello team,", "Dear support,", "Good morning,", "Hi there,", "Hey,")
EMAIL_CLOSINGS = (
    "Thanks",
    "Thank you",
    "Thanks in advance, Sam",
    "Best regards, Alex",
    "Kind regards",
    "Cheers, Kim",
    "Many thanks for your help.",
)
AUGMENT_SHARE = 0.5


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]
    sha256: str
    source: str


def load_dataset(path: Path, text_column: str = "text", label_column: str = "category") -> Dataset:
    """Rows from a CSV (with a header) or JSONL file; rows with an empty text or label are skipped."""
    raw = path.read_bytes()
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    else:
        rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    if rows and (text_column not in rows[0] or label_column not in rows[0]):
        raise ValueError(
            f"{path}: needs columns {text_column!r} and {label_column!r}, found {sorted(rows[0])}"
        )
    pairs = [(str(row[text_column]).strip(), str(row[label_column]).strip()) for row in rows]
    pairs = [(text, label) for text, label in pairs if text and label]
    if not pairs:
        raise ValueError(f"{path}: no labelled rows")
    return Dataset(
        texts=[text for text, _ in pairs],
        labels=[label for _, label in pairs],
        sha256=hashlib.sha256(raw).hexdigest(),
        source=path.name,
    )


def as_letters(texts: Sequence[str], labels: Sequence[str], seed: int = SEED) -> tuple[list[str], list[str]]:
    """The rows plus letter-shaped copies: an opening, one to three requests of the same intent, a closing.

    Deterministic for a seed. Real mail restates its request in several sentences; training only on one-liners
    leaves the model unsure on anything longer.
    """
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    extra_texts: list[str] = []
    extra_labels: list[str] = []
    for index in np.flatnonzero(rng.random(len(texts)) < AUGMENT_SHARE).tolist():
        label = labels[index]
        same = by_label[label]
        body = [texts[index], *(texts[same[j]] for j in rng.integers(0, len(same), rng.integers(0, 3)))]
        opening = EMAIL_OPENINGS[rng.integers(0, len(EMAIL_OPENINGS))]
        closing = EMAIL_CLOSINGS[rng.integers(0, len(EMAIL_CLOSINGS))]
        extra_texts.append("\n".join([opening, *body, closing]))
        extra_labels.append(label)
    return [*texts, *extra_texts], [*labels, *extra_labels]


def build_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    blocks = [
        (
            spec["name"],
            TfidfVectorizer(
                analyzer="char_wb" if spec["analyzer"] == "char" else "word",
                preprocessor=normalise,
                ngram_range=tuple(spec["ngram_range"]),
                min_df=spec["min_df"],
                max_features=spec["max_features"],
                sublinear_tf=True,
                dtype=np.float64,
            ),
        )
        for spec in FEATURES
    ]
    return Pipeline(
        [("features", FeatureUnion(blocks)), ("model", LogisticRegression(C=REGULARISATION_C, max_iter=2000))]
    )


def _metrics(pipeline: Any, texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    predicted = pipeline.predict(list(texts))
    return {
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        "rows": len(labels),
    }


def train(dataset: Dataset, out_dir: Path, *, progress: bool = True) -> dict[str, Any]:
    """Fit on 90 %, measure on the stratified 10 % held out, refit on everything, export. Returns the card."""
    from sklearn.model_selection import train_test_split
    from tqdm import tqdm

    steps = tqdm(total=3, desc="train", disable=not progress, unit="step")
    started = time.perf_counter()
    train_x, test_x, train_y, test_y = train_test_split(
        dataset.texts, dataset.labels, test_size=HOLDOUT_SHARE, stratify=dataset.labels, random_state=SEED
    )
    steps.set_postfix_str("fit on 90%")
    holdout_pipeline = build_pipeline().fit(*as_letters(train_x, train_y))
    steps.update()
    holdout = _metrics(holdout_pipeline, test_x, test_y)
    steps.set_postfix_str("refit on all rows")
    pipeline = build_pipeline().fit(*as_letters(dataset.texts, dataset.labels))
    steps.update()
    steps.set_postfix_str("export")
    card = export(pipeline, out_dir, dataset=dataset, metrics={"holdout": holdout})
    steps.update()
    steps.close()
    card["training_seconds"] = round(time.perf_counter() - started, 1)
    return card


def export(pipeline: Any, out_dir: Path, *, dataset: Dataset, metrics: dict[str, Any]) -> dict[str, Any]:
    """Write ``intent.npz`` (plain arrays only) and ``model-card.json`` describing it."""
    import sklearn

    out_dir.mkdir(parents=True, exist_ok=True)
    union = pipeline.named_steps["features"]
    model = pipeline.named_steps["model"]
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "labels": np.array([str(label) for label in model.classes_]),
        "coef": model.coef_.astype(np.float64),
        "intercept": model.intercept_.astype(np.float64),
    }
    for name, vectorizer in union.transformer_list:
        terms = vectorizer.get_feature_names_out()  # ordered by column index
        arrays[f"{name}_vocabulary"] = np.array([str(term) for term in terms])
        arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float64)
    artifact = out_dir / ARTIFACT
    np.savez_compressed(artifact, **arrays)  # type: ignore[arg-type]
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    card: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "name": "triage-intent",
        "version": f"{datetime.now(UTC):%Y%m%d}-{digest[:8]}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "artifact_sha256": digest,
        "artifact_bytes": artifact.stat().st_size,
        "data": {"source": dataset.source, "sha256": dataset.sha256, "rows": len(dataset.texts)},
        "labels": arrays["labels"].tolist(),
        "features": [
            {key: spec[key] for key in ("name", "analyzer", "ngram_range")} | {"sublinear_tf": True}
            for spec in FEATURES
        ],
        "n_features": int(arrays["coef"].shape[1]),
        "classifier": {"type": "logistic_regression", "C": REGULARISATION_C},
        "augmentation": {"letter_wrapped_share": AUGMENT_SHARE, "seed": SEED},
        "metrics": metrics,
        "trained_with": {"scikit-learn": sklearn.__version__},
    }
    (out_dir / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
