"""The scorer's fast paths against the computations they replace: the same terms, counts and probabilities.

``triage.classifier`` counts a text's terms without np.unique and scores every block of a head with one look-up;
each piece is held here to the plain computation it stands for (numpy's own functions, or the n-grams as Python
strings counted and looked up in a dict of the vocabulary, TF-IDF written out), on the sample mails, awkward texts,
public data sets' rows where present and generated texts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from conftest import EMAIL_CASES, SHARED_DATA
from triage import classifier
from triage.classifier import LINEAR, TextModel, artifact_name, load_model, terms_of
from triage.features import char_wb_ngrams, word_ngrams
from triage.policy import classification_text
from triage.service import read_email
from triage.settings import Settings

_INT64 = np.iinfo(np.int64)


@pytest.mark.parametrize(
    "keys",
    [
        [],
        [7],
        [3, 3, 3],
        [_INT64.max, _INT64.min, 0, -1, _INT64.max, _INT64.min, -1],
        list(range(600, 0, -1)) * 2 + [5] * 40,  # beyond the few hundred where numpy sorts with a network
    ],
)
def test_distinct_counts_are_np_uniques(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    expected, counts = np.unique(array, return_counts=True)
    distinct, tf = classifier._distinct(array.copy())
    assert distinct.dtype == np.int64
    assert tf.dtype == np.float64
    assert distinct.tolist() == expected.tolist()
    assert tf.tolist() == counts.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(_INT64.min, _INT64.max) | st.integers(-3, 3), max_size=1500))
def test_generated_keys_count_as_np_unique_counts_them(keys: list[int]) -> None:
    test_distinct_counts_are_np_uniques(keys)


# --- one look-up for all of a head's blocks, against TF-IDF written out ------------------------------------------


_ANALYZER_TERMS: dict[str, Callable[[str, tuple[int, int]], list[str]]] = {
    "word": word_ngrams,
    "char": char_wb_ngrams,
}


class ReferenceScorer:
    """A head scored the plain way: its vocabularies as dicts of strings, a text's n-grams as Python strings
    (triage.features, proved equal to scikit-learn's analyzers), one dense TF-IDF row, dense weights."""

    def __init__(self, model: TextModel) -> None:
        with np.load(model.directory / artifact_name(model.head)) as stored:
            arrays = {name: stored[name] for name in stored.files}
        self.blocks = []
        offset = 0
        for spec in model.card["features"]:
            terms = terms_of(arrays, spec["name"])
            vocabulary = {term: offset + column for column, term in enumerate(terms)}
            ngram_range = (int(spec["ngram_range"][0]), int(spec["ngram_range"][1]))
            self.blocks.append((spec["analyzer"], ngram_range, vocabulary, bool(spec["sublinear_tf"])))
            offset += len(terms)
        self.idf = np.concatenate([arrays[f"{spec['name']}_idf"] for spec in model.card["features"]])
        self.coef = arrays["linear_coef"][:, :offset].astype(np.float64)
        self.intercept = arrays["linear_intercept"].astype(np.float64)
        self.temperature = model.tiers[LINEAR].temperature

    def row(self, text: str) -> NDArray[np.float64]:
        row = np.zeros(len(self.idf))
        for analyzer, ngram_range, vocabulary, sublinear in self.blocks:
            counts = Counter(
                term for term in _ANALYZER_TERMS[analyzer](text, ngram_range) if term in vocabulary
            )
            block = {
                vocabulary[term]: (1.0 + math.log(count) if sublinear else float(count))
                * self.idf[vocabulary[term]]
                for term, count in counts.items()
            }
            norm = math.sqrt(sum(value * value for value in block.values()))
            for column, value in block.items():
                row[column] = value / norm
        return row

    def logits(self, text: str) -> NDArray[np.float64]:
        result: NDArray[np.float64] = self.intercept + self.coef @ self.row(text)
        return result

    def probabilities(self, text: str) -> NDArray[np.float64]:
        scaled = self.logits(text) / self.temperature
        exp = np.exp(scaled - scaled.max())
        result: NDArray[np.float64] = exp / exp.sum()
        return result


@cache
def _head(head: str) -> tuple[TextModel, ReferenceScorer]:
    model = load_model(Settings.from_env().model_dir, head)
    return model, ReferenceScorer(model)


HEADS = ["intent", "emotion"]

AWKWARD_TEXTS = [
    "",
    "!!!",
    "ok",
    "a b c",
    "Where is order #A-48213?? see https://x.example/track or mail kim@example.org",
    "  two   spaces\tand\ttabs\n\nand lines  ",
    "don’t won't l'été — naïve café, ÜBER 12345",
    "😀 emoji 👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 我的订单在哪里",
    "refund refund refund refund please please",  # repeated terms: sublinear counts
    "snake_case __init__ x_1 a\u2003b\u00a0c\u3000d\u2028e",
]


def _sample_texts() -> list[str]:
    texts = list(AWKWARD_TEXTS)
    settings_ = Settings.from_env()
    for path in EMAIL_CASES:
        text = classification_text(read_email(path.read_bytes(), settings_))
        texts += [text, text.partition("\n")[0]]  # the two views the intent head reads
    return texts


def _public_texts(per_file: int = 150) -> list[str]:
    texts: list[str] = []
    for name in (
        "bitext_customer_support/bitext_27k_v11_instruction_intent.csv",
        "banking77/test.csv",
        "goemotions/original/test.tsv",
    ):
        path = SHARED_DATA / name
        if path.is_file():
            texts += path.read_text(encoding="utf-8").splitlines()[1 : per_file + 1]
    return texts


def _assert_scores_as_reference(head: str, texts: list[str]) -> None:
    model, reference = _head(head)
    classifier.forget_texts()
    logits = model.logits(texts)
    probabilities = model.predict_proba(texts)
    for row, text in enumerate(texts):
        expected = reference.logits(text)
        assert np.max(np.abs(logits[row] - expected)) < 1e-12, text[:80]
        expected_probabilities = reference.probabilities(text)
        assert np.max(np.abs(probabilities[row] - expected_probabilities)) < 1e-12, text[:80]
        assert int(probabilities[row].argmax()) == int(expected_probabilities.argmax()), text[:80]


@pytest.mark.parametrize("head", HEADS)
def test_scores_are_tf_idf_written_out_on_sample_and_awkward_texts(head: str) -> None:
    _assert_scores_as_reference(head, _sample_texts())


@pytest.mark.parametrize("head", HEADS)
def test_scores_are_tf_idf_written_out_on_public_data(head: str) -> None:
    texts = _public_texts()
    if not texts:
        pytest.skip("../shared/data is not present")
    _assert_scores_as_reference(head, texts)


_WORDS = ["order", "refund", "where", "is", "my", "card", "ok", "not", "happy", "angry", "thanks", "#A-48213"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(_WORDS) | st.text(st.sampled_from("ab ok_-'’.\n\t😀é9"), max_size=6), max_size=30
    ).map(" ".join)
)
def test_scores_are_tf_idf_written_out_on_generated_texts(text: str) -> None:
    for head in HEADS:
        _assert_scores_as_reference(head, [text])


@pytest.mark.parametrize("head", HEADS)
def test_a_term_in_two_blocks_is_two_features(head: str) -> None:
    """A word unigram and a char n-gram that are the same string hash alike; shifted per block, they are two keys."""
    model, reference = _head(head)
    (_, _, words, _), (_, _, chars, _) = reference.blocks
    shared = sorted(set(words) & set(chars))
    assert shared, "the bundled vocabularies share no term: pick another check"
    term = shared[0]
    columns, _ = model.text_features(term)
    assert {words[term], chars[term]} <= set(columns.tolist())


def _synthetic_features(
    sublinear: tuple[bool, ...], sizes: tuple[int, ...]
) -> tuple[classifier._TextFeatures, list]:
    """Blocks over small random vocabularies (the same strings in several blocks, too), any sublinear flags."""
    rng = np.random.default_rng(sum(sizes) + len(sublinear))
    pool = ["ab", "ba", "ok", "x", "yy", "abc", "zz", "q"]
    specs = []
    blocks = []
    analyzers = [("word", (1, 2)), ("char", (2, 4)), ("char", (1, 1))]
    for index, size in enumerate(sizes):
        analyzer, ngram_range = analyzers[index % len(analyzers)]
        terms = sorted(set(rng.choice(pool, size=size).tolist()))
        idf = rng.uniform(1.0, 3.0, size=len(terms))
        specs.append((analyzer, ngram_range, terms, idf, sublinear[index]))
        blocks.append(
            classifier._Block(analyzer, ngram_range, classifier.term_hashes(terms), idf, sublinear[index])
        )
    return classifier._TextFeatures(blocks), specs


@pytest.mark.parametrize(
    ("sublinear", "sizes"),
    [((True,), (6,)), ((False,), (6,)), ((True, False), (5, 7)), ((False, True, True), (4, 6, 3)), ((), ())],
)
def test_any_blocks_and_tf_flags_score_as_written_out(
    sublinear: tuple[bool, ...], sizes: tuple[int, ...]
) -> None:
    features, specs = _synthetic_features(sublinear, sizes)
    for text in ["ab ba ok", "x yy x yy zz abc", "", "ok ok ok abc q q", "nothing known here"]:
        expected: dict[int, float] = {}
        offset = 0
        for analyzer, ngram_range, terms, idf, flag in specs:
            columns = {term: column for column, term in enumerate(terms)}
            counts = Counter(t for t in _ANALYZER_TERMS[analyzer](text, ngram_range) if t in columns)
            block = {
                offset + columns[t]: (1.0 + math.log(c) if flag else float(c)) * idf[columns[t]]
                for t, c in counts.items()
            }
            norm = math.sqrt(sum(v * v for v in block.values()))
            expected |= {column: value / norm for column, value in block.items()}
            offset += len(terms)
        classifier.forget_texts()
        columns_got, values_got = features.features(classifier.normalise(text))
        got = dict(zip(columns_got.tolist(), values_got.tolist(), strict=True))
        assert got.keys() == expected.keys(), text
        assert all(abs(got[column] - value) < 1e-12 for column, value in expected.items()), text


def test_a_block_without_one_idf_per_term_is_refused() -> None:
    block = classifier._Block("word", (1, 2), classifier.term_hashes(["ab", "cd", "ef"]), np.ones(2), True)
    with pytest.raises(classifier.ModelError, match="3 word terms but 2 idf values"):
        classifier._TextFeatures([block])


# --- softmax, the views' agreement and the top k without numpy's Python layers -----------------------------------


def _softmax_as_written(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    result: NDArray[np.float64] = shifted / shifted.sum(axis=-1, keepdims=True)
    return result


def _agree_as_written(probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    log_p = np.log(np.clip(probabilities, 1e-12, 1.0)).mean(axis=0)
    combined = np.exp(log_p - log_p.max())
    result: NDArray[np.float64] = combined / combined.sum()
    return result


def _random_logits(seed: int, shape: tuple[int, ...]) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=rng.choice([0.1, 3.0, 40.0]), size=shape)
    logits.flat[0] = logits.flat[-1]  # a tie
    return logits


@pytest.mark.parametrize("shape", [(27,), (9,), (1, 27), (2, 27), (3, 9), (1, 1)])
def test_softmax_and_agreement_are_bitwise_the_numpy_expressions(shape: tuple[int, ...]) -> None:
    for seed in range(50):
        logits = _random_logits(seed, shape)
        kept = logits.copy()
        assert np.array_equal(classifier.softmax(logits), _softmax_as_written(logits))
        assert np.array_equal(logits, kept)  # the argument is not changed
        if len(shape) == 2:
            probabilities = _softmax_as_written(logits)
            probabilities[0, 0] = 0.0  # clipped to 1e-12
            assert np.array_equal(classifier._agree(probabilities), _agree_as_written(probabilities))


def _classification_as_written(model: TextModel, probabilities: NDArray[np.float64], k: int) -> object:
    order = np.argsort(-probabilities, kind="stable")[:k]
    top = tuple((model.labels[i], float(probabilities[i])) for i in order)
    return classifier.Classification(
        label=top[0][0],
        confidence=top[0][1],
        top_k=top,
        model_version=model.version,
        tier=LINEAR,
        threshold=model.tiers[LINEAR].thresholds[int(order[0])],
    )


@pytest.mark.parametrize("head", HEADS)
def test_predictions_are_the_written_out_computation(head: str) -> None:
    """predict (one text) and predict_views (a message's views) give what predict_proba, the agreement and a
    stable argsort gave before, to the bit."""
    model, _ = _head(head)
    texts = _sample_texts()
    for text in texts:
        for k in (1, 3, len(model.labels) + 2):
            scaled = _softmax_as_written(model.logits([text]) / model.tiers[LINEAR].temperature)[0]
            expected = _classification_as_written(model, scaled, k)
            assert model.predict(text, k=k) == expected, text[:80]
    for first, second in zip(texts[::2], texts[1::2], strict=True):
        views = [second, first]  # as a message's subject and whole text
        kept = [view for view in views if view.strip()] or [""]
        probabilities = _softmax_as_written(model.logits(kept) / model.tiers[LINEAR].temperature)
        assert model.predict_views(views) == _classification_as_written(
            model, _agree_as_written(probabilities), 3
        )


def test_equal_probabilities_keep_label_order() -> None:
    model, _ = _head("emotion")
    probabilities = np.full(len(model.labels), 0.05)
    probabilities[[2, 5, 7]] = 0.2
    probabilities /= probabilities.sum()
    result = model._classification(probabilities, LINEAR, 4)
    assert [label for label, _ in result.top_k] == [model.labels[i] for i in (2, 5, 7, 0)]
    assert result == _classification_as_written(model, probabilities, 4)


def _unaligned(array: NDArray[np.floating], order: str) -> NDArray[np.floating]:
    """``array`` laid out in ``order`` one byte past an aligned address, as a mapped ``.npz`` member often is."""
    raw = np.zeros(array.nbytes + 1, dtype=np.uint8)
    placed = np.ndarray(array.shape, dtype=array.dtype, buffer=raw[1:].data, order=order)  # type: ignore[call-overload]
    placed[...] = array
    return placed


@pytest.mark.parametrize("labels", [1, 2, 9, 27])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("aligned", [True, False])
def test_a_tier_gathers_its_columns_in_any_weight_layout(
    labels: int, order: str, dtype: type, aligned: bool
) -> None:
    """The weights are gathered as bytes (classifier._Tier): the scores are coef[:, columns] @ values, whichever
    order the weights were written in, whatever their alignment, for one label or many."""
    rng = np.random.default_rng(labels)
    weights = rng.normal(size=(labels, 500)).astype(dtype)
    coef = np.asarray(weights, order=order) if aligned else _unaligned(weights, order)
    assert coef.flags.aligned is aligned
    intercept = rng.normal(size=labels)
    tier = classifier._Tier(LINEAR, coef, intercept, 1.0, (None,) * labels, None, None)
    for size in (1, 7, 300):
        columns = np.sort(rng.choice(500, size=size, replace=False)).astype(np.intp)
        values = rng.uniform(size=size)
        expected = weights[:, columns].astype(np.float64) @ values + intercept
        assert np.allclose(tier.text_scores(columns, values), expected, rtol=1e-12, atol=1e-12)
