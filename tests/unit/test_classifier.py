"""The numpy scorer against the scikit-learn models it was exported from, and the artifact's integrity checks."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import subprocess
import sys
import weakref
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from triage import classifier
from triage import features as features_module
from triage.classifier import (
    COMBINED,
    LINEAR,
    ModelError,
    TextModel,
    artifact_name,
    card_name,
    terms_of,
    vocabulary_hashes,
)
from triage.features import char_wb_ngrams, normalise, word_ngrams
from triage.termhash import term_hashes
from triage.training import as_letters

BITEXT_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared/data/bitext_customer_support/bitext_27k_v11_instruction_intent.csv"
)


EMAILS = sorted((Path(__file__).resolve().parents[2] / "events" / "email").glob("*.eml"))


class HashEncoder:
    """A deterministic stand-in sentence encoder (unit vectors from a hash) to test the combined tier's export."""

    fingerprint = "hash-encoder"
    dimension = 16

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> NDArray[np.float32]:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(normalise(text).encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).normal(size=self.dimension)
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, TextModel, list[str]]:
    pytest.importorskip("sklearn")
    if not BITEXT_CSV.is_file():
        pytest.skip("../shared/data is not present")
    from triage.training import Dataset, TrainConfig, load_dataset, train

    data = load_dataset(BITEXT_CSV)
    order = np.random.default_rng(0).permutation(len(data.texts))
    train_rows, test_rows = order[:2500], order[2500:4500]
    subset = Dataset(
        texts=[data.texts[i] for i in train_rows],
        labels=[data.labels[i] for i in train_rows],
        sha256=data.sha256,
        source=data.source,
    )
    out = tmp_path_factory.mktemp("model")
    captured: dict[str, object] = {}
    import triage.training as training

    original_export = training.export

    def keep_fitted(fitted: object, *args: object, **kwargs: object) -> dict[str, object]:
        captured["fitted"] = fitted
        return original_export(fitted, *args, **kwargs)  # type: ignore[arg-type]

    training.export = keep_fitted  # type: ignore[assignment]
    try:
        train(subset, out, config=TrainConfig(folds=3), encoder=HashEncoder(), progress=False)
    finally:
        training.export = original_export
    return captured["fitted"], TextModel(out), [data.texts[i] for i in test_rows]


@pytest.mark.parametrize("tier", [LINEAR, COMBINED])
def test_exported_scorer_matches_scikit_learn_on_a_whole_test_set(
    trained: tuple[object, TextModel, list[str]], tier: str
) -> None:
    fitted, model, texts = trained
    texts = [*texts, "Hi,\nwhere is order #A-48213?\nThanks, Jane", "", "!!!", "ÜBER naïve café 12345"]
    embeddings = HashEncoder().encode(texts) if tier == COMBINED else None
    sk_model = fitted.models[tier]  # type: ignore[attr-defined]
    design = fitted.design(texts, tier, embeddings)  # type: ignore[attr-defined]
    expected = sk_model.predict_proba(design)
    got = model.predict_proba(texts, tier, embeddings, calibrated=False)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) < 1e-6
    assert [model.labels[i] for i in got.argmax(axis=1)] == list(sk_model.predict(design))


def test_card_records_calibration_and_thresholds(trained: tuple[object, TextModel, list[str]]) -> None:
    _, model, _ = trained
    for tier in (LINEAR, COMBINED):
        spec = model.card["tiers"][tier]
        assert spec["temperature"] > 0
        assert set(spec["thresholds"]) == set(model.labels)
        assert all(t is None or 0 < t <= 1 for t in spec["thresholds"].values())
    assert model.card["tiers"][COMBINED]["encoder"]["fingerprint"] == HashEncoder.fingerprint
    assert (model.directory / "MODEL_CARD.md").is_file()


def test_cascade_asks_for_the_encoder_only_below_the_gate(
    trained: tuple[object, TextModel, list[str]],
) -> None:
    _, model, texts = trained
    gate = model.tiers[LINEAR].cascade_gate
    assert gate is not None
    assert 0.0 <= gate <= 1.0
    calls: list[int] = []

    def provider() -> HashEncoder:
        calls.append(1)
        return HashEncoder()

    for text in [*texts[:150], "blue elephants sing quietly", "I forgot my password, how do I reset it?"]:
        asked_before = len(calls)
        result = model.predict_views([text], encoder=provider)
        below_gate = model.predict_proba([text])[0].max() < gate
        assert result.tier == (COMBINED if below_gate else LINEAR)
        assert (len(calls) > asked_before) == below_gate
        # The combined tier's answer carries the linear tier's reading, for the policy to compare.
        assert result.linear_label == (model.predict_views([text]).label if below_gate else None)


def test_gate_is_where_the_linear_tier_stops_losing_to_the_combined_one() -> None:
    from triage.training import cascade_gate

    y = np.array([0, 0, 1, 1])
    # Linear confidences 0.9, 0.8, 0.7, 0.6; linear is right on the first two, combined on all four.
    linear = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    combined = np.array([[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.4, 0.6]])
    assert cascade_gate(y, linear, combined) == 0.8
    assert cascade_gate(y, combined, combined) == 0.6  # never worse: linear may answer everything


def test_analyzers_match_scikit_learn() -> None:
    text_module = pytest.importorskip("sklearn.feature_extraction.text")
    samples = [
        "Where's my order #A-48213?!",
        "  two   spaces\tand\ttabs ",
        "a b c",
        "Ünïcödé wörds, ok",
        "",
        "ab abc abcd abcdefghij",
    ]
    word = text_module.TfidfVectorizer(analyzer="word", preprocessor=normalise, ngram_range=(1, 2))
    char = text_module.TfidfVectorizer(analyzer="char_wb", preprocessor=normalise, ngram_range=(2, 5))
    for sample in samples:
        assert word_ngrams(sample, (1, 2)) == word.build_analyzer()(sample)
        # Same terms with the same counts (the order of char n-grams is irrelevant to TF-IDF).
        assert Counter(char_wb_ngrams(sample, (2, 5))) == Counter(char.build_analyzer()(sample))
        assert Counter(char_wb_ngrams(sample, (3, 4))) == Counter(
            text_module.TfidfVectorizer(
                analyzer="char_wb", preprocessor=normalise, ngram_range=(3, 4)
            ).build_analyzer()(sample)
        )


def test_normalise_folds_entities_to_tokens() -> None:
    assert normalise("Order {{Order Number}} and #A-48213 at https://x.example/y") == (
        "order  zznum  and  zznum  at  zzurl "
    )


def _normalise_every_fold(text: str) -> str:
    """``normalise`` without its pre-checks: every fold always runs."""
    text = features_module._PLACEHOLDER.sub(features_module._placeholder, text)
    text = features_module._URL.sub(" zzurl ", text)
    text = features_module._EMAIL.sub(" zzemail ", text)
    return features_module._NUMBERISH.sub(" zznum ", text).lower()


AWKWARD_ENTITY_TEXTS = [
    "",
    "WWW.EXAMPLE.COM/Help and HTTPS://X.example",
    "httpſ://long-s.example ok",  # caseless re folds ſ to s
    "see Www.Shop.example, or mail SALES@Shop.Example now",
    "order \uff11\uff12\uff13 and \u0661\u0662 and \u00b2 alone",  # full-width, Arabic-Indic digits, a superscript
    "{{ Order Number }} {{name}} {{",
    "ref#A-48213, id 7, x@y, a@b.c, ://, www, www., @@",
    "ſtop İstanbul ǅ ﬀ @ 3",
]


def test_normalise_pre_checks_never_change_its_result() -> None:
    texts = list(AWKWARD_ENTITY_TEXTS)
    for name in ("banking77/test.csv", "goemotions/original/test.tsv"):
        path = BITEXT_CSV.parents[1] / name
        if path.is_file():
            texts += path.read_text(encoding="utf-8").splitlines()[:4000]
    if BITEXT_CSV.is_file():
        texts += BITEXT_CSV.read_text(encoding="utf-8").splitlines()[:4000]
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in EMAILS]
    assert len(texts) > len(AWKWARD_ENTITY_TEXTS) + len(EMAILS)
    for text in texts:
        assert normalise(text) == _normalise_every_fold(text), text[:80]


def test_numbers_fold_run_by_run_as_the_whole_text_folds() -> None:
    # Every text of up to five characters over letters, digits (ASCII and not), the run characters _ # - and
    # separators, then longer mixes: the run-by-run fold is the whole-text substitution.
    alphabet = "a1-#_ .é\u0663"
    texts = ["".join(chars) for size in range(6) for chars in itertools.product(alphabet, repeat=size)]
    texts += [*AWKWARD_ENTITY_TEXTS, "#A-48213, order 55120-b and ##7 x-9 -1 a_2 ²³ #-#-1 é1é"]
    whole = features_module._NUMBERISH
    assert [text for text in texts if features_module._fold_numbers(text) != whole.sub(" zznum ", text)] == []
    assert sum(1 for text in texts if whole.search(text)) > 10_000


def test_bundled_model_predicts_with_the_stable_interface(model: TextModel) -> None:
    result = model.predict("I forgot my password and cannot sign in", k=3)
    assert result.label == "recover_password"
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.top_k) == 3
    assert result.top_k[0] == (result.label, result.confidence)
    assert result.model_version == model.card["version"]
    assert result.auto_eligible


def test_a_tampered_artifact_is_refused(model: TextModel, tmp_path: Path) -> None:
    shutil.copytree(model.directory, tmp_path / "m")
    with (tmp_path / "m" / artifact_name("intent")).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match="does not match"):
        TextModel(tmp_path / "m")


def test_a_card_with_other_labels_is_refused(model: TextModel, tmp_path: Path) -> None:
    shutil.copytree(model.directory, tmp_path / "m")
    card = json.loads((tmp_path / "m" / card_name("intent")).read_text())
    card["labels"] = list(reversed(card["labels"]))
    (tmp_path / "m" / card_name("intent")).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="labels"):
        TextModel(tmp_path / "m")


def test_a_card_of_another_format_is_refused_with_a_clear_error(model: TextModel, tmp_path: Path) -> None:
    shutil.copytree(model.directory, tmp_path / "m")
    card = json.loads((tmp_path / "m" / card_name("intent")).read_text())
    card["format_version"] = 1
    (tmp_path / "m" / card_name("intent")).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="format 1; this code reads 2"):
        TextModel(tmp_path / "m")


def test_inference_never_imports_scikit_learn() -> None:
    code = (
        "import sys; from triage.classifier import load_model; from triage.settings import Settings;"
        "load_model(Settings.from_env().model_dir).predict('where is my order');"
        "import triage.service;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib', 'torch', 'scipy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mapped_arrays_are_what_numpy_loads(model: TextModel, tmp_path: Path) -> None:
    # Each member mapped on its own, at offsets that are not page-aligned; the bundled artifact and odd members.
    odd = tmp_path / "odd.npz"
    np.savez(
        odd,
        empty=np.empty((0, 3), dtype=np.float32),
        fortran=np.asfortranarray(np.arange(35, dtype=np.float64).reshape(5, 7)),
        bytes_=np.frombuffer(b"abc\ndef", dtype=np.uint8),
        scalar=np.array(3.5),
    )
    for path in (model.directory / artifact_name("intent"), model.directory / artifact_name("emotion"), odd):
        mapped = classifier._read_arrays(path)
        with np.load(path) as stored:
            assert sorted(mapped) == sorted(stored.files)
            for name in stored.files:
                expected = stored[name]
                assert mapped[name].dtype == expected.dtype, name
                assert mapped[name].shape == expected.shape, name
                assert mapped[name].flags.f_contiguous == expected.flags.f_contiguous, name
                assert np.array_equal(mapped[name], expected), name


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps (Linux)")
def test_only_the_weights_stay_mapped_after_load(model: TextModel) -> None:
    # The vocabularies and idf are read at load only: their mappings (and the pages read) go with them.
    code = (
        "import sys; from triage.classifier import load_model; from triage.settings import Settings;"
        "model = load_model(Settings.from_env().model_dir); import gc; gc.collect();"
        "print(sum(line.rstrip().endswith('/intent.npz') for line in open('/proc/self/maps')), len(model.tiers))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mappings, tiers = map(int, result.stdout.split())
    assert mappings == tiers  # one per tier's weights; the artifact holds 7 arrays more


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_vocabulary_hashes_are_read_in_chunks_without_losing_a_term(model: TextModel, chunk: int) -> None:
    with np.load(model.directory / artifact_name("intent")) as stored:
        arrays = {name: stored[name] for name in stored.files}
    for block in ("word", "char"):
        terms = terms_of(arrays, block)
        assert len(terms) > chunk
        assert vocabulary_hashes(arrays, block, chunk=chunk).tolist() == term_hashes(terms).tolist()
    assert len(vocabulary_hashes({"none_terms": np.empty(0, dtype=np.uint8)}, "none")) == 0


def test_text_features_look_terms_up_as_a_dict_would(model: TextModel) -> None:
    with np.load(model.directory / artifact_name("intent")) as stored:
        arrays = {name: stored[name] for name in stored.files}
    word = {term: column for column, term in enumerate(terms_of(arrays, "word"))}
    char = {term: column + len(word) for column, term in enumerate(terms_of(arrays, "char"))}
    for text in ("Where is order #A-48213?", "zzz qqq xxyy", "Refund, please. I was charged twice!", ""):
        index, _ = model.text_features(text)
        expected = {word[t] for t in word_ngrams(text, (1, 2)) if t in word}
        expected |= {char[t] for t in char_wb_ngrams(text, (2, 5)) if t in char}
        assert sorted(index.tolist()) == sorted(expected)


def test_a_vocabulary_with_colliding_hashes_is_refused(
    model: TextModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classifier, "vocabulary_hashes", lambda arrays, block: np.zeros(3, dtype=np.uint64))
    # A fresh registry of feature tables: else the loaded model's table is shared and its vocabulary not hashed again.
    monkeypatch.setattr(classifier, "_TABLES", weakref.WeakValueDictionary())
    with pytest.raises(ModelError, match="share one 64-bit hash"):
        TextModel(model.directory)


def test_letter_copies_are_made_of_one_line_requests_only() -> None:
    requests = [f"where is my parcel {i}" for i in range(30)] + [f"reset my password {i}" for i in range(30)]
    labels = ["track_order"] * 30 + ["recover_password"] * 30
    mails = ["Parcel\nHi, my parcel from Inverness is late. Where is it?", "Password\nHow do I reset it? Ta"]
    texts, out_labels = as_letters(
        [*requests, *mails], [*labels, "track_order", "recover_password"], share=1.0
    )
    copies = texts[len(requests) + len(mails) :]
    assert len(copies) == len(requests)  # every request, no mail
    assert not any("Inverness" in copy or "Ta\n" in copy for copy in copies)
    # The public rows' copies are the same with or without labelled mails after them.
    assert as_letters(requests, labels, share=1.0) == (
        [*requests, *copies],
        [*labels, *out_labels[len(requests) + len(mails) :]],
    )
