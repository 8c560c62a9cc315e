"""Heads trained on one vocabulary and idf share one feature table: a message's TF-IDF features are worked out once."""

from __future__ import annotations

import hashlib
import json
import shutil
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from triage import classifier
from triage.classifier import TextModel, artifact_name, card_name, load_model
from triage.settings import Settings

MAIL = "Hello,\nwhere is my order #A-48213? It was due on Monday.\nThanks, Jane"


def _copy(source: Path, target: Path, change: Callable[[dict[str, np.ndarray]], None] | None = None) -> Path:
    """The intent head of ``source`` in ``target``, its arrays changed by ``change`` (the card's digest updated)."""
    target.mkdir()
    if change is None:
        shutil.copy(source / artifact_name("intent"), target)
        shutil.copy(source / card_name("intent"), target)
        return target
    with np.load(source / artifact_name("intent")) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    np.savez(target / artifact_name("intent"), **arrays)  # type: ignore[arg-type]
    card = json.loads((source / card_name("intent")).read_text())
    card["artifact_sha256"] = hashlib.sha256((target / artifact_name("intent")).read_bytes()).hexdigest()
    (target / card_name("intent")).write_text(json.dumps(card))
    return target


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts whose features a table works out (not served from its recent texts)."""
    calls: list[str] = []
    compute = classifier._TextFeatures._features

    def spy(self: classifier._TextFeatures, normalised: str) -> tuple[np.ndarray, np.ndarray]:
        calls.append(normalised)
        return compute(self, normalised)

    monkeypatch.setattr(classifier._TextFeatures, "_features", spy)
    classifier.forget_texts()
    return calls


def test_heads_with_one_vocabulary_share_one_table_and_read_a_text_once(
    model: TextModel, tmp_path: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = TextModel(_copy(model.directory, tmp_path / "a"))
    second = TextModel(_copy(model.directory, tmp_path / "b"))
    assert first._features is second._features is model._features
    shared = [head.predict_proba([MAIL]) for head in (first, second)]
    assert len(computed) == 1

    monkeypatch.setattr(classifier, "_TABLES", weakref.WeakValueDictionary())
    alone = TextModel(_copy(model.directory, tmp_path / "c"))
    assert alone._features is not first._features
    assert np.array_equal(alone.predict_proba([MAIL]), shared[0])
    assert np.array_equal(shared[0], shared[1])


def test_a_head_with_another_idf_gets_a_table_of_its_own(model: TextModel, tmp_path: Path) -> None:
    def change(arrays: dict[str, np.ndarray]) -> None:
        arrays["word_idf"] = arrays["word_idf"].copy()
        arrays["word_idf"][0] += 1.0

    other = TextModel(_copy(model.directory, tmp_path / "other", change))
    assert other._features is not model._features
    with np.load(other.directory / artifact_name("intent")) as stored:
        term = classifier.terms_of({"word_terms": stored["word_terms"]}, "word")[0]
    # The changed term's TF-IDF value differs (and, by normalisation, its block's other terms').
    mine, theirs = (
        {column: value for column, value in zip(*head.text_features(f"{term} order"), strict=True)}
        for head in (other, model)
    )
    assert mine.keys() == theirs.keys()
    assert 0 in mine
    assert mine[0] != theirs[0]


def test_forget_texts_drops_the_tables_kept_features(model: TextModel, computed: list[str]) -> None:
    model.predict(MAIL)
    model.predict(MAIL)
    assert len(computed) == 1
    classifier.forget_texts()
    model.predict(MAIL)
    assert len(computed) == 2


def test_a_table_keeps_a_few_recent_texts_only(model: TextModel, computed: list[str]) -> None:
    texts = [f"where is parcel {word}" for word in ("one", "two", "three", "four", "five")]
    for text in texts:
        model.predict(text)
    model.predict(texts[-1])  # kept
    model.predict(texts[0])  # dropped, the oldest of five
    assert len(computed) == 6


def test_the_bundled_heads_share_the_intent_heads_table(settings: Settings) -> None:
    # `make emotion-model` and `make risk-model` train on the intent head's vocabulary and idf: retraining the
    # intent head alone would leave each head its own table, and every message three feature passes.
    intent = load_model(settings.model_dir)
    for head in ("emotion", "risk"):
        assert load_model(settings.model_dir, head)._features is intent._features, head


def test_a_head_trained_on_another_heads_features_shares_its_table_and_matches_scikit_learn(
    model: TextModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sklearn")
    import triage.training as training
    from triage.training import Dataset, TrainConfig, read_shared_features, train

    texts = [f"where is my parcel number {i}, it is late" for i in range(30)]
    texts += [f"I am furious, this is the {i}th time I write" for i in range(30)]
    labels = ["calm"] * 30 + ["upset"] * 30
    captured: dict[str, object] = {}
    export = training.export

    def keep_fitted(fitted: object, *args: object, **kwargs: object) -> dict[str, object]:
        captured["fitted"] = fitted
        return export(fitted, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "export", keep_fitted)
    card = train(
        Dataset(texts=texts, labels=labels, sha256="-", source="test"),
        tmp_path,
        head="risk",
        config=TrainConfig(folds=2, use_encoder=False),
        progress=False,
        shared=read_shared_features(model.directory),
    )
    assert card["features_from"] == {
        "head": "intent",
        "version": model.version,
        "artifact_sha256": model.card["artifact_sha256"],
    }
    assert card["features"] == model.card["features"]
    assert card["n_text_features"] == model.n_text_features
    assert (
        f"the vocabulary and idf of the intent head `{model.version}`"
        in (tmp_path / "MODEL_CARD.md").read_text()
    )
    head = TextModel(tmp_path, "risk")
    assert head._features is model._features

    probe = [MAIL, "I am furious about parcel 7", "", "ÜBER naïve café"]
    fitted = captured["fitted"]
    expected = fitted.models["linear"].predict_proba(fitted.design(probe, "linear", None))  # type: ignore[attr-defined]
    assert np.max(np.abs(head.predict_proba(probe, calibrated=False) - expected)) < 1e-6


def test_features_from_a_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from triage.training import TrainingError, read_shared_features

    with pytest.raises(TrainingError, match="--features-from: cannot read the intent model"):
        read_shared_features(tmp_path)
