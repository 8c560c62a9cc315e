"""Train a text head with scikit-learn, calibrate it by cross-validation, export plain arrays numpy scores.

Only the ``train`` extra imports this module (``triage train``, ``make model``); the Lambda functions never do.

Everything is chosen on the training data alone: k-fold cross-validation gives out-of-fold scores, from which the
temperature (calibration) and the per-label thresholds that reach the target precision are fitted. The final
weights are then refitted on all rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.classifier import (
    COMBINED,
    FORMAT_VERSION,
    LINEAR,
    Encoder,
    artifact_name,
    card_name,
    joined_terms,
    softmax,
    terms_of,
)
from triage.features import normalise

FEATURES: tuple[dict[str, Any], ...] = (
    {"name": "word", "analyzer": "word", "ngram_range": [1, 2], "min_df": 2, "max_features": 60_000},
    {"name": "char", "analyzer": "char", "ngram_range": [2, 5], "min_df": 3, "max_features": 60_000},
)
# The emotion head reads 43k Reddit comments: at 60k terms per block its vocabulary was ~120k terms (~20 MB and
# ~50 ms to load in the Lambda). 20k per block scored the same on GoEmotions' dev split (see the model card).
# The risk head reads a few hundred whole mails (events/labelled_mail): 5k terms per block keep it under 0.5 MB.
HEAD_FEATURES: dict[str, tuple[dict[str, Any], ...]] = {
    "emotion": tuple(spec | {"max_features": 20_000} for spec in FEATURES),
    "risk": tuple(spec | {"max_features": 5_000} for spec in FEATURES),
}


def features_for(head: str) -> tuple[dict[str, Any], ...]:
    return HEAD_FEATURES.get(head, FEATURES)


SEED = 13

# Training sentences are chat-style one-liners; customers write letters. Letter-shaped copies (an opening, one to
# three requests of the same intent, a closing) teach the model that those words carry no intent.
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


class TrainingError(ValueError):
    """The data cannot train a model; the message says what to fix."""


@dataclass(frozen=True)
class TrainConfig:
    linear_c: float = 10.0
    combined_c: float = 10.0
    encoder_weight: float = 2.0
    # Letter-shaped copies (see as_letters): off by default (on a held-out fifth of Banking77's training split
    # the combined tier scored 92.60 % without them and 92.45 % with them); `make model` turns them on for the
    # bundled email model.
    augment_share: float = 0.0
    folds: int = 5
    target_precision: float = 0.99
    min_support: int = 20
    use_encoder: bool = True


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]
    sha256: str
    source: str
    skipped: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def read_rows(path: Path) -> tuple[list[dict[str, Any]], bytes]:
    """The rows of a CSV (with a header) or JSONL file, and its bytes. Errors name the file and what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TrainingError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TrainingError(f"{path}: not UTF-8 (byte {error.start}); re-save the file as UTF-8") from None
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        rows = []
        for number, line in enumerate(decoded.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise TrainingError(f"{path}:{number}: not JSON ({error.msg})") from None
    else:
        rows = list(csv.DictReader(io.StringIO(decoded)))
    return rows, raw


def require_columns(path: Path, rows: list[dict[str, Any]], *columns: str) -> None:
    missing = [column for column in columns if column not in rows[0]]
    if missing:
        raise TrainingError(f"{path}: missing column(s) {missing}; found {sorted(map(str, rows[0]))}")


def load_dataset(path: Path, text_column: str = "text", label_column: str = "category") -> Dataset:
    """Labelled rows from a CSV (with a header) or JSONL file; rows lacking a text or a label are skipped."""
    rows, raw = read_rows(path)
    if not rows:
        raise TrainingError(f"{path}: no rows (a CSV needs a header line and at least one row)")
    require_columns(path, rows, text_column, label_column)
    pairs = [
        (str(row.get(text_column) or "").strip(), str(row.get(label_column) or "").strip()) for row in rows
    ]
    kept = [(text, label) for text, label in pairs if text and label]
    if not kept:
        raise TrainingError(f"{path}: no row has both a {text_column!r} and a {label_column!r}")
    return Dataset(
        texts=[text for text, _ in kept],
        labels=[label for _, label in kept],
        sha256=hashlib.sha256(raw).hexdigest(),
        source=path.name,
        skipped=len(pairs) - len(kept),
    )


def load_datasets(
    paths: Sequence[Path], text_column: str = "text", label_column: str = "category"
) -> Dataset:
    """Several files' rows as one data set, in order (e.g. a public corpus and your own labelled mail). Each file
    is read as :func:`load_dataset` reads it; the digest covers every file's, so the model card names the data."""
    parts = [load_dataset(path, text_column, label_column) for path in paths]
    if len(parts) == 1:
        return parts[0]
    digest = hashlib.sha256("".join(part.sha256 for part in parts).encode())
    return Dataset(
        texts=[text for part in parts for text in part.texts],
        labels=[label for part in parts for label in part.labels],
        sha256=digest.hexdigest(),
        source=" + ".join(part.source for part in parts),
        skipped=sum(part.skipped for part in parts),
    )


def check_trainable(dataset: Dataset, folds: int) -> None:
    counts = Counter(dataset.labels)
    if len(counts) < 2:
        raise TrainingError(f"{dataset.source}: needs at least two labels, found {sorted(counts)}")
    scarce = sorted(label for label, count in counts.items() if count < folds)
    if scarce:
        shown = ", ".join(f"{label!r} ({counts[label]})" for label in scarce[:10])
        raise TrainingError(
            f"{dataset.source}: every label needs at least {folds} examples for cross-validation; too few: {shown}"
        )


def as_letters(
    texts: Sequence[str], labels: Sequence[str], share: float = 0.5, seed: int = SEED
) -> tuple[list[str], list[str]]:
    """The rows plus letter-shaped copies of ``share`` of the one-line rows (deterministic for a seed).

    A row with a line break is a letter already (a labelled mail: subject, then the new text): it gets no copy and
    is not drawn into one. Copied, its one-off words (a town, a product) would pass the vocabulary's ``min_df`` as
    if two customers had written them."""
    rng = np.random.default_rng(seed)
    one_line = [index for index, text in enumerate(texts) if "\n" not in text]
    by_label: dict[str, list[int]] = {}
    for index in one_line:
        by_label.setdefault(labels[index], []).append(index)
    extra_texts: list[str] = []
    extra_labels: list[str] = []
    for chosen in np.flatnonzero(rng.random(len(one_line)) < share).tolist():
        index = one_line[chosen]
        label = labels[index]
        same = by_label[label]
        body = [texts[index], *(texts[same[j]] for j in rng.integers(0, len(same), rng.integers(0, 3)))]
        opening = EMAIL_OPENINGS[rng.integers(0, len(EMAIL_OPENINGS))]
        closing = EMAIL_CLOSINGS[rng.integers(0, len(EMAIL_CLOSINGS))]
        extra_texts.append("\n".join([opening, *body, closing]))
        extra_labels.append(label)
    return [*texts, *extra_texts], [*labels, *extra_labels]


def build_vectorizer(features: Sequence[dict[str, Any]] = FEATURES) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
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
            for spec in features
        ]
    )


@dataclass(frozen=True)
class SharedFeatures:
    """A trained head's TF-IDF blocks (vocabulary and idf), for another head to be trained on as they are
    (``triage train --features-from``). Heads on one feature table share it in the scorer: a message's features
    are worked out once for all of them (``triage.classifier``)."""

    specs: tuple[dict[str, Any], ...]  # the blocks as that head's card gives them, with its max_features
    terms: dict[str, list[str]]
    idf: dict[str, NDArray[np.float64]]
    source: dict[str, Any]  # which head it came from, for the new head's card

    def vectorizer(self) -> Any:
        """A fitted FeatureUnion that maps texts onto these blocks (never refitted: the idf is theirs)."""
        union = build_vectorizer(self.specs)
        for name, block in union.transformer_list:
            block.set_params(vocabulary=self.terms[name], max_features=None)
        union.fit(["-"])  # the vocabularies are fixed: this only builds them
        for name, block in union.transformer_list:
            block.idf_ = self.idf[name]
        return union


def read_shared_features(directory: Path, head: str = "intent") -> SharedFeatures:
    """The blocks of the ``head`` model in ``directory``, checked as the scorer checks them (card, digest)."""
    from triage.classifier import ModelError, TextModel

    try:
        model = TextModel(directory, head)
    except ModelError as error:
        raise TrainingError(f"--features-from: {error}") from None
    with np.load(directory / artifact_name(head), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    card = model.card
    specs = tuple(
        dict(spec) | {"min_df": 1, "max_features": card.get("max_features", {}).get(spec["name"])}
        for spec in card["features"]
    )
    return SharedFeatures(
        specs=specs,
        terms={spec["name"]: terms_of(arrays, spec["name"]) for spec in specs},
        idf={spec["name"]: np.asarray(arrays[f"{spec['name']}_idf"], dtype=np.float64) for spec in specs},
        source={"head": head, "version": model.version, "artifact_sha256": card["artifact_sha256"]},
    )


def build_pipeline(c: float = TrainConfig.linear_c) -> Any:
    """The linear tier as one scikit-learn pipeline (what the parity test and the baseline benchmark use)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", build_vectorizer()), ("model", LogisticRegression(C=c, max_iter=3000))])


@dataclass
class _Fitted:
    """Vectorizer + one logistic regression per tier, fitted on one set of rows."""

    vectorizer: Any
    models: dict[str, Any]
    encoder_weight: float

    def design(self, texts: Sequence[str], tier: str, embeddings: NDArray[Any] | None) -> Any:
        import scipy.sparse as sp

        matrix = self.vectorizer.transform(list(texts))
        if tier == COMBINED:
            if embeddings is None:
                raise TrainingError("the combined tier needs embeddings")
            matrix = sp.hstack([matrix, sp.csr_matrix(self.encoder_weight * embeddings)], format="csr")
        return matrix

    def logits(self, texts: Sequence[str], tier: str, embeddings: NDArray[Any] | None) -> NDArray[np.float64]:
        scores: NDArray[np.float64] = self.models[tier].decision_function(
            self.design(texts, tier, embeddings)
        )
        return _two_columns(scores) if scores.ndim == 1 else scores


def _two_columns(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two labels: scikit-learn gives one score d per row (the second label's log-odds); the softmax of (0, d) is
    its probability, sigmoid(d), so every head is scored as labels × features."""
    return np.column_stack([np.zeros_like(scores), scores])


def _fit(
    texts: Sequence[str],
    labels: Sequence[str],
    embed: Callable[[Sequence[str]], NDArray[np.float32]] | None,
    config: TrainConfig,
    features: Sequence[dict[str, Any]] = FEATURES,
    shared: SharedFeatures | None = None,
) -> _Fitted:
    from sklearn.linear_model import LogisticRegression

    # Letter-shaped copies help the n-gram tier with real mail; the combined tier is fitted on the rows as they
    # are: on a held-out fifth of Banking77's training split it scored as well or better without them
    # (5 of 6 settings), and it saves encoding every copy.
    letters, letter_labels = (
        as_letters(texts, labels, config.augment_share) if config.augment_share else (texts, labels)
    )
    fitted = _Fitted(
        vectorizer=shared.vectorizer() if shared else build_vectorizer(features).fit(list(letters)),
        models={},
        encoder_weight=config.encoder_weight,
    )
    fitted.models[LINEAR] = LogisticRegression(C=config.linear_c, max_iter=3000).fit(
        fitted.design(letters, LINEAR, None), list(letter_labels)
    )
    if embed is not None:
        fitted.models[COMBINED] = LogisticRegression(C=config.combined_c, max_iter=3000).fit(
            fitted.design(texts, COMBINED, embed(texts)), list(labels)
        )
    return fitted


def _embedder(encoder: Encoder, progress: bool) -> Callable[[Sequence[str]], NDArray[np.float32]]:
    """Embeddings cached by text: folds and the final fit share one encoding of every row."""
    cache: dict[str, NDArray[np.float32]] = {}

    def embed(texts: Sequence[str]) -> NDArray[np.float32]:
        todo = sorted({text for text in texts if text not in cache})
        if todo:
            from tqdm import tqdm

            for start in tqdm(range(0, len(todo), 256), desc="encode", disable=not progress, unit="batch"):
                chunk = todo[start : start + 256]
                cache.update(zip(chunk, encoder.encode(chunk), strict=True))
        return np.stack([cache[text] for text in texts]) if texts else np.empty((0, 0), dtype=np.float32)

    return embed


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - informational only
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def train(
    dataset: Dataset,
    out_dir: Path,
    *,
    head: str = "intent",
    config: TrainConfig = TrainConfig(),
    encoder: Encoder | None = None,
    progress: bool = True,
    shared: SharedFeatures | None = None,
) -> dict[str, Any]:
    """Cross-validate, calibrate, choose thresholds, refit on all rows, export. Returns the model card.

    With ``shared``, the head is trained on those TF-IDF blocks as they are (see :class:`SharedFeatures`)."""
    from sklearn.model_selection import StratifiedKFold
    from tqdm import tqdm

    from triage.evaluation import evaluate, fit_temperature, per_label_thresholds

    check_trainable(dataset, config.folds)
    started = time.perf_counter()
    embed = _embedder(encoder, progress) if encoder is not None and config.use_encoder else None
    labels_sorted = sorted(set(dataset.labels))
    y = np.array([labels_sorted.index(label) for label in dataset.labels])
    texts = np.array(dataset.texts, dtype=object)
    tiers = [LINEAR] + ([COMBINED] if embed else [])
    oof = {tier: np.zeros((len(texts), len(labels_sorted))) for tier in tiers}
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=SEED).split(texts, y)
    for train_rows, val_rows in tqdm(list(folds), desc="cross-validate", disable=not progress, unit="fold"):
        fitted = _fit(
            list(texts[train_rows]),
            [dataset.labels[i] for i in train_rows],
            embed,
            config,
            features_for(head),
            shared,
        )
        val_texts = list(texts[val_rows])
        for tier in tiers:
            embeddings = embed(val_texts) if tier == COMBINED and embed is not None else None
            oof[tier][val_rows] = fitted.logits(val_texts, tier, embeddings)

    tier_cards: dict[str, Any] = {}
    cv_metrics: dict[str, Any] = {}
    calibrated: dict[str, NDArray[np.float64]] = {}
    for tier in tiers:
        temperature = fit_temperature(oof[tier], y)
        calibrated[tier] = softmax(oof[tier] / temperature)
        thresholds, coverage = per_label_thresholds(
            dataset.labels,
            calibrated[tier],
            labels_sorted,
            target_precision=config.target_precision,
            min_support=config.min_support,
        )
        before = evaluate(
            dataset.labels, softmax(oof[tier]), labels_sorted, target_precision=config.target_precision
        )
        after = evaluate(
            dataset.labels,
            calibrated[tier],
            labels_sorted,
            thresholds=thresholds,
            target_precision=config.target_precision,
        )
        tier_cards[tier] = {
            "temperature": round(temperature, 6),
            "thresholds": thresholds,
            "expected_coverage": coverage,
        }
        cv_metrics[tier] = {
            "accuracy": after["accuracy"],
            "macro_f1": after["macro_f1"],
            "ece_before_calibration": before["ece"],
            "ece_after_calibration": after["ece"],
            "coverage_at_target_precision": after["coverage_at_target_precision"],
            "threshold_policy": after.get("threshold_policy"),
        }
    if COMBINED in tiers:
        gate = cascade_gate(y, calibrated[LINEAR], calibrated[COMBINED])
        tier_cards[LINEAR]["cascade_gate"] = gate
        cv_metrics["cascade"] = _cascade_metrics(y, calibrated, gate)

    final = _fit(dataset.texts, dataset.labels, embed, config, features_for(head), shared)
    if encoder is not None and embed is not None:
        tier_cards[COMBINED]["encoder"] = {
            "fingerprint": encoder.fingerprint,
            "dimension": int(
                final.models[COMBINED].coef_.shape[1] - len(final.vectorizer.get_feature_names_out())
            ),
            "weight": config.encoder_weight,
        }
    card = export(
        final,
        out_dir,
        head=head,
        dataset=dataset,
        tiers=tier_cards,
        metrics={"cross_validation": cv_metrics},
        config=config,
        shared=shared,
    )
    card["training_seconds"] = round(time.perf_counter() - started, 1)
    return card


def cascade_gate(y: NDArray[np.int64], linear: NDArray[np.float64], combined: NDArray[np.float64]) -> float:
    """The lowest linear confidence at and above which the linear tier is right at least as often as the
    combined tier on the same out-of-fold rows: there the encoder would add cost, not accuracy."""
    confidence = linear.max(axis=1)
    order = np.argsort(-confidence, kind="stable")
    gain = (linear.argmax(axis=1) == y).astype(np.int64) - (combined.argmax(axis=1) == y).astype(np.int64)
    running = np.cumsum(gain[order])
    ok = np.flatnonzero(running >= 0)
    if not len(ok):
        return 1.0
    return float(confidence[order][ok[-1]])


def _cascade_metrics(
    y: NDArray[np.int64], calibrated: dict[str, NDArray[np.float64]], gate: float
) -> dict[str, float]:
    """What the cascade does on the out-of-fold rows: linear at or above the gate, combined below it."""
    linear, combined = calibrated[LINEAR], calibrated[COMBINED]
    linear_answers = linear.max(axis=1) >= gate
    chosen = np.where(linear_answers, linear.argmax(axis=1), combined.argmax(axis=1))
    return {
        "accuracy": round(float((chosen == y).mean()), 4),
        "share_answered_by_linear": round(float(linear_answers.mean()), 4),
        "gate": round(gate, 6),
    }


def export(
    fitted: _Fitted,
    out_dir: Path,
    *,
    head: str,
    dataset: Dataset,
    tiers: dict[str, Any],
    metrics: dict[str, Any],
    config: TrainConfig,
    shared: SharedFeatures | None = None,
) -> dict[str, Any]:
    """Write ``<head>.npz`` (plain arrays only, stored uncompressed so the scorer can memory-map them),
    ``<head>.card.json`` and ``MODEL_CARD.md`` beside them."""
    import sklearn

    out_dir.mkdir(parents=True, exist_ok=True)
    features = shared.specs if shared is not None else features_for(head)
    linear = fitted.models[LINEAR]
    arrays: dict[str, NDArray[Any]] = {"labels": np.array([str(label) for label in linear.classes_])}
    for name, vectorizer in fitted.vectorizer.transformer_list:
        arrays[f"{name}_terms"] = joined_terms([str(term) for term in vectorizer.get_feature_names_out()])
        arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float64)
    for tier, model in fitted.models.items():
        if list(model.classes_) != list(linear.classes_):
            raise TrainingError("tiers disagree on the label order")
        # Weights ship as float32 (half the artifact). The scikit-learn model takes the same rounded weights, so
        # evaluation, the parity test and the baseline all score exactly the model that is exported.
        model.coef_ = model.coef_.astype(np.float32).astype(np.float64)
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # one row of weights: the first label's are zero (see _two_columns)
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
        arrays[f"{tier}_coef"] = coef.astype(np.float32)
        arrays[f"{tier}_intercept"] = intercept.astype(np.float64)
    artifact = out_dir / artifact_name(head)
    np.savez(artifact, **arrays)  # type: ignore[arg-type]
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    now = datetime.now(UTC)
    card: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "head": head,
        "name": f"triage-{head}",
        "version": f"{now:%Y%m%d}-{digest[:8]}",
        "created": now.isoformat(timespec="seconds"),
        "code_version": code_version(),
        "artifact": artifact.name,
        "artifact_sha256": digest,
        "artifact_bytes": artifact.stat().st_size,
        "data": {
            "source": dataset.source,
            "sha256": dataset.sha256,
            "rows": len(dataset.texts),
            "skipped_rows": dataset.skipped,
        }
        | dataset.extra,
        "labels": arrays["labels"].tolist(),
        "features": [
            {key: spec[key] for key in ("name", "analyzer", "ngram_range")} | {"sublinear_tf": True}
            for spec in features
        ],
        "max_features": {spec["name"]: spec["max_features"] for spec in features},
        "n_text_features": int(sum(len(terms_of(arrays, spec["name"])) for spec in features)),
        "tiers": tiers,
        "target_precision": config.target_precision,
        "config": asdict(config),
        "metrics": metrics,
        "trained_with": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
    }
    if shared is not None:
        card["features_from"] = shared.source
    (out_dir / card_name(head)).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    write_markdown_card(out_dir)
    from triage.classifier import ModelError, TextModel

    try:
        TextModel(out_dir, head)  # what the worker will load: never hand over an artifact it cannot score
    except ModelError as error:
        raise TrainingError(f"the exported {head} model cannot be loaded: {error}") from None
    return card


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "-"


def write_markdown_card(out_dir: Path) -> Path:
    """A short human summary of every head's card in the directory."""
    lines = ["# Model card", ""]
    for path in sorted(out_dir.glob("*.card.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        cv = card.get("metrics", {}).get("cross_validation", {})
        lines += [
            f"## {card['head']} — version {card['version']}",
            "",
            f"- Data: `{card['data']['source']}` ({card['data']['rows']} rows, sha256 `{card['data']['sha256'][:16]}…`)",
            f"- Labels: {len(card['labels'])}; text features: {card['n_text_features']}; created {card['created']}"
            f" from code `{card['code_version']}`"
            + (
                f"; the vocabulary and idf of the {card['features_from']['head']} head "
                f"`{card['features_from']['version']}`"
                if "features_from" in card
                else ""
            ),
            f"- Target precision for automatic answers: {card['target_precision']:.0%}",
            "",
            "| tier | CV accuracy | CV macro-F1 | ECE before → after | temperature | auto-eligible labels |",
            "|---|---|---|---|---|---|",
        ]
        for tier, spec in card["tiers"].items():
            metrics = cv.get(tier, {})
            eligible = sum(value is not None for value in spec["thresholds"].values())
            lines.append(
                f"| {tier} | {_fmt(metrics.get('accuracy'))} | {_fmt(metrics.get('macro_f1'))} | "
                f"{_fmt(metrics.get('ece_before_calibration'))} → {_fmt(metrics.get('ece_after_calibration'))} | "
                f"{spec['temperature']:.3f} | {eligible}/{len(card['labels'])} |"
            )
        if "cascade" in cv:
            lines.append(
                f"\nCascade (linear at confidence ≥ {cv['cascade']['gate']:.3f}, else combined): CV accuracy "
                f"{cv['cascade']['accuracy']}, {cv['cascade']['share_answered_by_linear']:.0%} answered by linear"
            )
        lines.append("")
    out = out_dir / "MODEL_CARD.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def convert_artifact(directory: Path, head: str) -> dict[str, Any]:
    """Rewrite an older (format 2) artifact in the current format, losslessly: the same arrays, vocabularies as
    one UTF-8 block each, stored uncompressed. The card keeps its version, metrics and thresholds; its format,
    sha256 and size follow the new file. Nothing is retrained."""
    from triage.classifier import ModelError, TextModel

    card_path, artifact = directory / card_name(head), directory / artifact_name(head)
    before = TextModel(
        directory, head
    )  # refuses a corrupt or mismatched artifact before anything is rewritten
    with np.load(artifact, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    for spec in before.card["features"]:
        name = spec["name"]
        arrays[f"{name}_terms"] = joined_terms(terms_of(arrays, name))
        arrays.pop(f"{name}_vocabulary", None)
    card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
    scratch = artifact.with_suffix(".converting.npz")
    np.savez(scratch, **arrays)  # type: ignore[arg-type]
    card |= {
        "format_version": FORMAT_VERSION,
        "artifact_sha256": hashlib.sha256(scratch.read_bytes()).hexdigest(),
        "artifact_bytes": scratch.stat().st_size,
    }
    scratch.replace(artifact)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    after = TextModel(directory, head)
    probe = ["Where is my order #A-48213?", "I am furious, refund me now!!", "thanks a lot", ""]
    if not np.array_equal(before.predict_proba(probe), after.predict_proba(probe)):
        raise ModelError(f"the converted {head} artifact scores differently; restore it from git")
    write_markdown_card(directory)
    return card


if __name__ == "__main__":  # python -m triage.training convert DIR HEAD...
    import sys

    if len(sys.argv) < 4 or sys.argv[1] != "convert":
        sys.exit("usage: python -m triage.training convert MODEL_DIR HEAD [HEAD...]")
    for name in sys.argv[3:]:
        converted = convert_artifact(Path(sys.argv[2]), name)
        print(f"{name}: format {converted['format_version']}, {converted['artifact_bytes']} bytes")
