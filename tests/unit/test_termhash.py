"""triage.termhash: a text's n-grams hashed with array operations are exactly its analyzers' terms, hashed.

triage.features' analyzers are proved equal to scikit-learn's in test_classifier.py; here the hashed versions are
held to them, term for term (as multisets), over awkward texts, generated texts and every n-gram range the models
could use. The scan both read classifies every code point of Unicode as ``re`` does.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import termhash
from triage.features import char_wb_ngrams_of_normalised, normalise, word_ngrams_of_normalised
from triage.termhash import char_wb_ngram_hashes, joined_term_hashes, term_hashes, word_ngram_hashes

EVENTS = Path(__file__).resolve().parents[2] / "events" / "email"
# (6, 12): windows longer than the scan's slack (termhash._SLACK + 2).
RANGES = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 5), (3, 5), (4, 6), (5, 5), (6, 12)]
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
    "  lead and trail  ",  # runs of white space, at both ends too
    "\n\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u1680\u2000\u2028\u2029\u202f\u205f\u3000 only white space",
    "x\x1cy\u2028z\u1680w\x85v a\u200bb",  # white space str.split() knows (and U+200B, which it does not)
    "snake_case _ __ a_ _b ab_cd 3x 42 ²³ ٣٤ x\u0301y e\u0300",  # \w: "_", digits, numerics, combining marks
    "don’t won't l'été — x-y x.y x/y (ab) [cd] «ef» a,b;c",
    "a b c d e f g h i j k l m n o p",  # one-character words only: no word token at all
    "ab cd ef gh ij kl mn op qr st uv wx yz " * 3,
    "pneumonoultramicroscopicsilicovolcanoconiosis and supercalifragilistic",
    "\ud83d lone \udc00 surrogates \ud800\udfff",
    "\x00\x01 control \x7f\x9f characters\ufeff",
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


def test_the_scan_classifies_every_code_point_as_re_does() -> None:
    """\\w (word tokens) and \\s (char_wb's word breaks) over all of Unicode, surrogates included, through
    the scan itself: the Latin-1 tables and the per-character fallback above them; and each character's term in
    the prefix sums is its code (white space as a space, as char_wb reads it)."""
    text = "".join(map(chr, range(sys.maxunicode + 1)))
    scan = termhash._Scan(text)
    padded = f" {text} "
    for pattern, got in ((r"\w", scan.word), (r"\s", scan.space)):
        expected = np.zeros(len(padded), dtype=np.bool_)
        expected[[match.start() for match in re.finditer(pattern, padded)]] = True
        assert np.array_equal(got, expected), pattern
    expected_codes = np.array([ord(character) + 1 for character in padded], dtype=np.uint64)
    expected_codes[scan.space] = termhash._SPACE_CODE
    n = len(padded)
    assert np.array_equal((scan.sums[1 : n + 1] - scan.sums[:n]) * scan.up[1 : n + 1], expected_codes)


def test_the_latin1_table_is_the_rule_it_stands_for() -> None:
    assert termhash._LATIN1_CLASSES.tolist() == [termhash._class_of(chr(point)) for point in range(256)]


# Characters where the analyzers' rules turn: word characters, white space of every kind, punctuation, marks.
_AWKWARD = "ab_Z9²٣é\u0301 \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u3000\u200b-'’.,😀𝔘\ud800\x00"


@settings(max_examples=600, deadline=None)
@given(
    text=st.text(st.sampled_from(_AWKWARD) | st.characters(), max_size=40),
    ngram_range=st.tuples(st.integers(1, 6), st.integers(0, 6)).map(lambda r: (r[0], r[0] + r[1])),
)
def test_generated_texts_hash_to_the_analyzers_terms(text: str, ngram_range: tuple[int, int]) -> None:
    for analyzer, (terms, hashed) in ANALYZERS.items():
        expected = Counter(term_hashes(terms(text, ngram_range)).tolist())
        assert Counter(hashed(text, ngram_range).tolist()) == expected, analyzer


def test_a_cached_scan_serves_both_analyzers_in_either_order() -> None:
    text = normalise(TEXTS[10])
    termhash.forget_texts()
    first = word_ngram_hashes(text, (1, 2)).tolist(), char_wb_ngram_hashes(text, (2, 5)).tolist()
    termhash.forget_texts()
    second = char_wb_ngram_hashes(text, (2, 5)).tolist(), word_ngram_hashes(text, (1, 2)).tolist()
    assert first == second[::-1]
    assert list(termhash._SCANS) == [text]
    termhash.forget_texts()
    assert not termhash._SCANS


def test_what_the_analyzers_return_is_the_callers_to_change() -> None:
    """The scan keeps a text's tokens and windows; the analyzers' results must not be views of them."""
    text = normalise(TEXTS[12])
    termhash.forget_texts()
    for ngram_range in [(1, 1), (1, 2), (2, 2), (2, 5), (1, 3)]:
        for hashed in (word_ngram_hashes, char_wb_ngram_hashes):
            first = hashed(text, ngram_range)
            expected = first.tolist()
            first[:] = 0
            assert hashed(text, ngram_range).tolist() == expected


_WHITE = " \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u3000"


def _assert_a_leading_part_is_read_from_the_text(
    head: str, white: str, tail: str, ngram_range: tuple[int, int]
) -> None:
    """``head`` read after ``head + white + tail`` comes from that text's scan, with the analyzers' own terms."""
    text = head + white + tail
    termhash.forget_texts()
    for _terms, hashed in ANALYZERS.values():
        hashed(text, ngram_range)  # the whole text first, as a message is read before its subject
    scan, length = termhash._scan_of(head)
    assert scan is termhash._SCANS[text]
    assert length == len(head) + 2
    for analyzer, (terms, hashed) in ANALYZERS.items():
        expected = Counter(term_hashes(terms(head, ngram_range)).tolist())
        assert Counter(hashed(head, ngram_range).tolist()) == expected, (analyzer, head[:40])


@pytest.mark.parametrize("ngram_range", RANGES)
def test_a_subject_is_read_from_its_messages_scan(ngram_range: tuple[int, int]) -> None:
    """The worker reads a message's text, then its first line: the first line's terms come from the text's scan."""
    for text in TEXTS:
        normalised = normalise(text)
        for cut in {normalised.find(white) for white in _WHITE} - {-1}:
            _assert_a_leading_part_is_read_from_the_text(
                normalised[:cut], normalised[cut], normalised[cut + 1 :], ngram_range
            )


@settings(max_examples=400, deadline=None)
@given(
    head=st.text(st.sampled_from(_AWKWARD) | st.characters(), max_size=30),
    white=st.sampled_from(_WHITE),
    tail=st.text(st.sampled_from(_AWKWARD) | st.characters(), max_size=30),
    ngram_range=st.tuples(st.integers(1, 6), st.integers(0, 6)).map(lambda r: (r[0], r[0] + r[1])),
)
def test_a_generated_leading_part_is_read_from_the_text(
    head: str, white: str, tail: str, ngram_range: tuple[int, int]
) -> None:
    _assert_a_leading_part_is_read_from_the_text(head, white, tail, ngram_range)


def test_a_text_that_does_not_start_another_gets_its_own_scan() -> None:
    termhash.forget_texts()
    word_ngram_hashes("order shipped today", (1, 2))
    for other in ("order shipped", "order", "order shipped today"):
        scan, length = termhash._scan_of(other)
        assert (len(scan), length) == (len("order shipped today") + 2, len(other) + 2)
    for other in ("order ship", "orders", "shipped today", "order  shipped"):  # not up to white space
        scan, length = termhash._scan_of(other)
        assert len(scan) == length == len(other) + 2
    assert len(termhash._SCANS) == 5
    for index in range(termhash._SCANS_KEPT + 3):
        termhash._scan_of(f"text {index}")
    assert len(termhash._SCANS) == termhash._SCANS_KEPT
    assert "order shipped today" not in termhash._SCANS  # the oldest go first


def test_a_text_too_long_to_keep_is_scanned_each_time_with_the_same_terms() -> None:
    text = normalise(" ".join(f"w{i % 89}x" for i in range(7000)))  # ~35k characters
    assert len(text) > termhash._SCANS_KEPT_CHARS
    termhash.forget_texts()
    for _ in range(2):
        for analyzer, (terms, hashed) in ANALYZERS.items():
            expected = Counter(term_hashes(terms(text, (1, 3))).tolist())
            assert Counter(hashed(text, (1, 3)).tolist()) == expected, analyzer
    assert not termhash._SCANS
