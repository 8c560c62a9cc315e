"""Terms as integers: polynomial hashes of strings modulo 2**64, computed for a whole text at once with numpy.

``term_hash(s) = sum((ord(ch) + 1) * B**(len(s) - 1 - k) for k, ch in enumerate(s)) mod 2**64`` with an odd ``B``.
Any substring's hash follows from the text's prefix hashes in O(1), so every n-gram of a text is hashed by a few
array operations instead of one Python string per n-gram; a vocabulary is hashed the same way from its joined
terms. The hashes are deterministic (no per-process salt), and equal strings always get equal hashes; two
different terms of a vocabulary sharing one is refused where it is loaded (``triage.classifier``).

The n-gram sets are exactly those of ``triage.features.word_ngrams_of_normalised`` and
``char_wb_ngrams_of_normalised`` (scikit-learn's analyzers), as a multiset of hashes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from triage.features import WORD_TOKEN

_B = 0x100000001B3  # the 64-bit FNV prime: odd, so invertible modulo 2**64
_B_INVERSE = pow(_B, -1, 2**64)
_SPACE_CODE = ord(" ") + 1
_LINE_BREAK_CODE = ord("\n") + 1

UInt64s = NDArray[np.uint64]


def _power_table(base: int, count: int) -> UInt64s:
    """base**0 .. base**(count - 1) modulo 2**64 (uint64 products wrap)."""
    factors = np.full(count, base, dtype=np.uint64)
    factors[0] = 1
    return np.cumprod(factors, dtype=np.uint64)


_TABLES = (_power_table(_B, 4096), _power_table(_B_INVERSE, 4096))


def _powers(count: int) -> tuple[UInt64s, UInt64s]:
    """B**k and B**-k for k < count (tables kept, replaced by longer ones for a longer text)."""
    global _TABLES
    up, down = _TABLES  # one read: another thread may swap in longer tables meanwhile
    if count > len(up):
        size = max(count, 2 * len(up))
        up, down = _TABLES = (_power_table(_B, size), _power_table(_B_INVERSE, size))
    return up[:count], down[:count]


def _codes(text: str) -> UInt64s:
    """Each character's code point + 1 (so that no character counts as nothing)."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points.astype(np.uint64) + np.uint64(1)


def _prefix_hashes(codes: UInt64s) -> tuple[UInt64s, UInt64s]:
    """``prefix[i]`` = hash of the first ``i`` characters, and the powers of B up to len(codes)."""
    n = len(codes)
    up, down = _powers(n + 1)
    # prefix[i] = B**i * sum(code[k] * B**-(k + 1) for k < i): a cumulative sum instead of a recurrence.
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(codes * down[1:], dtype=np.uint64, out=prefix[1:])
    prefix *= up
    return prefix, up


def _substrings(prefix: UInt64s, up: UInt64s, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> UInt64s:
    hashes: UInt64s = prefix[ends] - prefix[starts] * up[ends - starts]
    return hashes


def term_hashes(terms: Sequence[str]) -> UInt64s:
    """The hash of each term (none may contain a line break)."""
    return joined_term_hashes("\n".join(terms)) if terms else np.empty(0, dtype=np.uint64)


def joined_term_hashes(joined: str) -> UInt64s:
    """The hash of each term of ``joined``, terms separated by line breaks (a vocabulary as stored)."""
    codes = _codes(joined)
    ends = np.append(np.flatnonzero(codes == _LINE_BREAK_CODE), len(codes))
    starts = np.concatenate(([0], ends[:-1] + 1))
    prefix, up = _prefix_hashes(codes)
    return _substrings(prefix, up, starts, ends)


def word_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``word_ngrams_of_normalised(normalised, ngram_range)``, in no particular order."""
    tokens = WORD_TOKEN.findall(normalised)
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    # In the tokens joined by single spaces, the n-gram "t1 t2" is the substring from t1's start to t2's end.
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    ends = np.cumsum(lengths + 1) - 1
    starts = ends - lengths
    prefix, up = _prefix_hashes(_codes(" ".join(tokens)))
    low, high = ngram_range
    parts = [
        _substrings(prefix, up, starts[: len(tokens) - n + 1], ends[n - 1 :])
        for n in range(max(low, 1), min(high, len(tokens)) + 1)
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def char_wb_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``char_wb_ngrams_of_normalised(normalised, ngram_range)``, in no particular order.

    Each word padded with a space on both sides yields its n-grams. In the words joined by single spaces, with one
    before and one after, neighbouring padded words share a space, so for n >= 2 a word's n-grams are exactly the
    windows with no space strictly inside; single characters count each word's two spaces; and a padded word
    shorter than the smallest n still yields itself once, as scikit-learn's analyzer does.
    """
    words = normalised.split()  # str.split() breaks at exactly the characters re's \s matches
    if not words:
        return np.empty(0, dtype=np.uint64)
    low, high = ngram_range
    codes = _codes(f" {' '.join(words)} ")
    is_space = codes == _SPACE_CODE
    spaces = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(is_space, out=spaces[1:])
    parts = [term_hashes([f" {word} " for word in words if len(word) + 2 < low])]
    windows = codes  # the hash of every window of n characters, n = 1 first
    multiplier = np.uint64(_B)
    for n in range(1, min(high, len(codes)) + 1):
        if n > 1:
            windows = windows[:-1] * multiplier + codes[n - 1 :]
        if n < low:
            continue
        if n == 1:
            parts += [windows[~is_space], np.full(2 * len(words), _SPACE_CODE, dtype=np.uint64)]
        else:
            # Spaces among the inner characters of the window starting at i: spaces[i + n - 1] - spaces[i + 1].
            inner = spaces[n - 1 : len(codes)] - spaces[1 : len(codes) - n + 2]
            parts.append(windows[inner == 0])
    return np.concatenate(parts)
