"""triage.termhash: a text's n-grams hashed with array operations are exactly its analyzers' terms, hashed.

triage.features' analyzers are proved equal to scikit-learn's in test_classifier.py; here the hashed versions are
held to them, term for term (as multisets), over awkward texts and every n-gram range the models could use.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from triage.features import char_wb_ngrams_of_normalised, normalise, word_ngrams_of_normalised
from triage.termhash import char_wb_ngram_hashes, joined_term_hashes, term_hashes, word_ngram_hashes

EVENTS = Path(__file__).resolve().parents[2] / "events" / "email"
RANGES = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 5), (3, 5), (4, 6), (5, 5)]
TEXTS = [
    "",
    " ",
    "a",
    "ab",
    "a b",
    "I",
    "hello   world\n\tagain",
    "façade – naïve café, ok?",
    "😀 emoji 👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "a\u2003b\u00a0c\u3000d",  # other white space
    "Order #A-48213 on 2026-11-04: see https://example.com/x?y=1 or write to kim@example.org",
    "x y z " * 50,
    "Schöne Grüße aus Köln — ¿dónde está mi pedido? 我的订单在哪里",
    *(path.read_text(encoding="utf-8", errors="replace") for path in sorted(EVENTS.glob("*.eml"))[:12]),
]

_B = 0x100000001B3


def _reference_hash(term: str) -> int:
    value = 0
    for character in term:
        value = (value * _B + ord(character) + 1) % 2**64
    return value


def test_a_terms_hash_is_the_polynomial_of_its_code_points() -> None:
    terms = ["a", "ab", " ab ", "héllo wörld", "😀x", "zz" * 40]
    assert term_hashes(terms).tolist() == [_reference_hash(term) for term in terms]
    assert joined_term_hashes("\n".join(terms)).tolist() == [_reference_hash(term) for term in terms]
    assert len(set(term_hashes(["ab", "ba", "a", "b", " a", "a "]).tolist())) == 6


ANALYZERS = {
    "char_wb": (char_wb_ngrams_of_normalised, char_wb_ngram_hashes),
    "word": (word_ngrams_of_normalised, word_ngram_hashes),
}


@pytest.mark.parametrize("analyzer", sorted(ANALYZERS))
@pytest.mark.parametrize("ngram_range", RANGES)
def test_hashed_ngrams_are_the_analyzers_terms(analyzer: str, ngram_range: tuple[int, int]) -> None:
    terms, hashed = ANALYZERS[analyzer]
    for text in TEXTS:
        normalised = normalise(text)
        expected = Counter(term_hashes(terms(normalised, ngram_range)).tolist())
        assert Counter(hashed(normalised, ngram_range).tolist()) == expected, text[:60]


def test_a_text_longer_than_the_power_tables_hashes_the_same() -> None:
    text = normalise(" ".join(f"word{i % 97}x" for i in range(3000)))  # ~27k characters
    assert len(text) > 4096
    expected = Counter(term_hashes(char_wb_ngrams_of_normalised(text, (2, 5))).tolist())
    assert Counter(char_wb_ngram_hashes(text, (2, 5)).tolist()) == expected
