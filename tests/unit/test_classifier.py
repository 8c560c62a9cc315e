"""The numpy scorer against the scikit-learn pipeline it was exported from, and the artifact's integrity checks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from triage.classifier import ARTIFACT, CARD, IntentModel, ModelError
from triage.features import char_wb_ngrams, normalise, word_ngrams

BITEXT = Path(__file__).resolve().parents[2].parent / "shared/data/bitext_customer_support"
BITEXT_CSV = BITEXT / "bitext_27k_v11_instruction_intent.csv"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, IntentModel, list[str]]:
    pytest.importorskip("sklearn")
    if not BITEXT_CSV.is_file():
        pytest.skip("../shared/data is not present")
    from triage.training import as_letters, build_pipeline, export, load_dataset

    data = load_dataset(BITEXT_CSV)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(data.texts))
    train_rows, test_rows = order[:4000], order[4000:6000]
    texts, labels = as_letters([data.texts[i] for i in train_rows], [data.labels[i] for i in train_rows])
    pipeline = build_pipeline().fit(texts, labels)
    out = tmp_path_factory.mktemp("model")
    export(pipeline, out, dataset=data, metrics={})
    return pipeline, IntentModel(out), [data.texts[i] for i in test_rows]


def test_exported_scorer_matches_scikit_learn_on_a_whole_test_set(
    exported: tuple[object, IntentModel, list[str]],
) -> None:
    pipeline, model, texts = exported
    texts = [*texts, "Hi,\nwhere is order #A-48213?\nThanks, Jane", "", "!!!", "ÜBER naïve café 12345"]
    expected = pipeline.predict_proba(texts)  # type: ignore[attr-defined]
    got = model.predict_proba(texts)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) < 1e-6
    labels = [model.labels[i] for i in got.argmax(axis=1)]
    assert labels == list(pipeline.predict(texts))  # type: ignore[attr-defined]


def test_analyzers_match_scikit_learn() -> None:
    text_module = pytest.importorskip("sklearn.feature_extraction.text")
    samples = ["Where's my order #A-48213?!", "  two   spaces\tand\ttabs ", "a b c", "Ünïcödé wörds, ok", ""]
    word = text_module.TfidfVectorizer(analyzer="word", preprocessor=normalise, ngram_range=(1, 2))
    char = text_module.TfidfVectorizer(analyzer="char_wb", preprocessor=normalise, ngram_range=(2, 5))
    for sample in samples:
        assert word_ngrams(sample, (1, 2)) == word.build_analyzer()(sample)
        assert char_wb_ngrams(sample, (2, 5)) == char.build_analyzer()(sample)


def test_normalise_folds_entities_to_tokens() -> None:
    assert normalise("Order {{Order Number}} and #A-48213 at https://x.example/y") == (
        "order  zznum  and  zznum  at  zzurl "
    )


def test_bundled_model_predicts_with_the_stable_interface(model: IntentModel) -> None:
    result = model.predict("I forgot my password and cannot sign in", k=3)
    assert result.label == "recover_password"
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.top_k) == 3
    assert result.top_k[0] == (result.label, result.confidence)
    assert result.model_version == model.card["version"]


def test_a_tampered_artifact_is_refused(model: IntentModel, tmp_path: Path) -> None:
    shutil.copytree(model.directory, tmp_path / "m")
    with (tmp_path / "m" / ARTIFACT).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match="does not match"):
        IntentModel(tmp_path / "m")


def test_a_card_with_other_labels_is_refused(model: IntentModel, tmp_path: Path) -> None:
    shutil.copytree(model.directory, tmp_path / "m")
    card = json.loads((tmp_path / "m" / CARD).read_text())
    card["labels"] = list(reversed(card["labels"]))
    (tmp_path / "m" / CARD).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="labels"):
        IntentModel(tmp_path / "m")


def test_inference_never_imports_scikit_learn() -> None:
    code = (
        "import sys, pathlib; from triage.classifier import load_model; from triage.settings import Settings;"
        "load_model(Settings().model_dir).predict('where is my order');"
        "import triage.service;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib', 'torch', 'scipy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
