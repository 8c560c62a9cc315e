"""Terms as integers: polynomial hashes of strings modulo 2**64, computed for a whole text at once with numpy.

``term_hash(s) = sum((ord(ch) + 1) * B**(len(s) - 1 - k) for k, ch in enumerate(s)) mod 2**64`` with an odd ``B``.
Any substring's hash follows from the text's prefix hashes in O(1), so every n-gram of a text is hashed by a few
array operations instead of one Python string per n-gram; a vocabulary is hashed the same way from its joined
terms. The hashes are deterministic (no per-process salt), and equal strings always get equal hashes; two
different terms of a vocabulary sharing one is refused where it is loaded (``triage.classifier``).

The n-gram sets are exactly those of ``triage.features.word_ngrams_of_normalised`` and
``char_wb_ngrams_of_normalised`` (scikit-learn's analyzers), as a multiset of hashes. Both analyzers read one
scan of the text (:func:`_scan`: each character's class as ``re`` sees it, and the prefix hashes), so neither
splits the text into Python strings: word tokens are the runs of two or more ``\\w`` characters, and a word's
char_wb n-grams the windows with no white space strictly inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

_B = 0x100000001B3  # the 64-bit FNV prime: odd, so invertible modulo 2**64
_B_INVERSE = pow(_B, -1, 2**64)
_SPACE_CODE = ord(" ") + 1
_LINE_BREAK_CODE = ord("\n") + 1
# As numpy scalars once: a Python int in uint64 arithmetic costs a conversion each time.
_B_UINT64 = np.uint64(_B)
_ONE = np.uint64(1)
_SPACE_UINT64 = np.uint64(_SPACE_CODE)

UInt64s = NDArray[np.uint64]
Bools = NDArray[np.bool_]

_OTHER, _WORD, _SPACE = 0, 1, 2


def _class_of(character: str) -> int:
    """``_WORD`` where ``re`` matches ``\\w`` (str patterns: ``isalnum()`` or "_"), ``_SPACE`` where it matches
    ``\\s`` (``isspace()``, exactly where ``str.split()`` breaks), else ``_OTHER`` (tests check all of Unicode)."""
    if character.isalnum() or character == "_":
        return _WORD
    return _SPACE if character.isspace() else _OTHER


# Latin-1 by table; any other character (rare in mail) is asked directly.
_LATIN1_CLASSES = np.array([_class_of(chr(point)) for point in range(256)], dtype=np.uint8)


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


def _code_points(text: str) -> NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _codes(text: str) -> UInt64s:
    """Each character's code point + 1 (so that no character counts as nothing)."""
    codes = _code_points(text).astype(np.uint64)
    codes += _ONE
    return codes


def _prefix_hashes(codes: UInt64s, slack: int = 0) -> tuple[UInt64s, UInt64s]:
    """``prefix[i]`` = hash of the first ``i`` characters, and the powers of B up to len(codes). ``slack`` zeros
    follow, so that fixed-size windows may be read past the end (and then discarded)."""
    n = len(codes)
    up, down = _powers(n + 1)
    # prefix[i] = B**i * sum(code[k] * B**-(k + 1) for k < i): a cumulative sum instead of a recurrence.
    prefix = np.zeros(n + 1 + slack, dtype=np.uint64)
    (codes * down[1:]).cumsum(out=prefix[1 : n + 1])
    np.multiply(prefix[: n + 1], up, out=prefix[: n + 1])
    return prefix, up


def _substrings(prefix: UInt64s, up: UInt64s, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> UInt64s:
    hashes: UInt64s = prefix[ends] - prefix[starts] * up[ends - starts]
    return hashes


def term_hashes(terms: Sequence[str]) -> UInt64s:
    """The hash of each term (none may contain a line break)."""
    return joined_term_hashes("\n".join(terms)) if terms else np.empty(0, dtype=np.uint64)


def joined_term_hashes(joined: str) -> UInt64s:
    """The hash of each term of ``joined``, terms separated by line breaks (a vocabulary as stored).

    Read at load for every vocabulary term, so with few passes over the text: ``sums[i]`` = sum of code[k] *
    B**-(k + 1) for k < i, and a term [s, e) hashes to (sums[e] - sums[s]) * B**e.
    """
    points = _code_points(joined + "\n")  # a line break after every term, the last too
    n = len(points)
    up, down = _powers(n + 1)
    sums = np.empty(n + 1, dtype=np.uint64)
    sums[0] = 0
    np.add(points, _ONE, out=sums[1:])
    sums[1:] *= down[1:]
    sums.cumsum(out=sums)
    ends = (points == ord("\n")).nonzero()[0]
    hashes: UInt64s = sums[ends]
    hashes[1:] -= sums[ends[:-1] + 1]  # each later term starts just after the line break before it
    hashes *= up[ends]
    return hashes


class _Scan(NamedTuple):
    """One normalised text, padded with a space at each end, as both analyzers read it."""

    word: Bools  # per character: re's \w
    space: Bools  # per character: white space (re's \s)
    codes: UInt64s  # per character: code point + 1, white space as a space (char_wb reads any as one)
    prefix: UInt64s  # prefix hashes of codes, then _SLACK zeros (a token holds no white space: unchanged)
    up: UInt64s  # B**k for k <= len(codes)


_SLACK = 8  # char_wb windows up to _SLACK + 2 characters are read as one strided view of the prefix hashes


@lru_cache(maxsize=8)
def _scan(normalised: str) -> _Scan:
    """Cached: the classifier asks for both analyzers' terms of a text in turn."""
    padded = f" {normalised} "
    points = _code_points(padded)
    if padded.isascii():
        classes = _LATIN1_CLASSES.take(points)
    else:
        classes = _LATIN1_CLASSES.take(np.minimum(points, 255))
        for index in (points > 255).nonzero()[0].tolist():
            classes[index] = _class_of(padded[index])
    space = classes == _SPACE
    codes = points.astype(np.uint64)
    codes += _ONE
    codes[space] = _SPACE_CODE
    prefix, up = _prefix_hashes(codes, _SLACK)
    return _Scan(classes == _WORD, space, codes, prefix, up)


def forget_texts() -> None:
    """Drop the cached scans (``triage.classifier.forget_texts``)."""
    _scan.cache_clear()


def word_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``word_ngrams_of_normalised(normalised, ngram_range)``, in no particular order (a new array,
    the caller's to change).

    Tokens (``\\b\\w\\w+\\b``) are the maximal runs of two or more word characters, hashed where they stand; an
    n-gram ``a b`` is hashed from its tokens' hashes, as ``hash(a + " " + b) = (hash(a) * B + hash(" ")) *
    B**len(b) + hash(b)``, without a joined string.
    """
    scan = _scan(normalised)
    word = scan.word
    # The padded text starts and ends with a non-word character: edges alternate run start, run end.
    edges = (word[1:] != word[:-1]).nonzero()[0]
    edges += 1
    starts, ends = edges[::2], edges[1::2]
    lengths = ends - starts
    tokens = lengths >= 2
    starts, ends, lengths = starts[tokens], ends[tokens], lengths[tokens]
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    shift = scan.up[lengths]
    unigrams: UInt64s = scan.prefix[ends] - scan.prefix[starts] * shift
    low, high = ngram_range
    parts = [unigrams] if low <= 1 else []
    grams = unigrams
    for n in range(2, min(high, len(unigrams)) + 1):
        grams = grams[:-1] * _B_UINT64
        grams += _SPACE_UINT64
        grams *= shift[n - 1 :]
        grams += unigrams[n - 1 :]
        if n >= low:
            parts.append(grams)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


@lru_cache(maxsize=16)
def _window_sizes(smallest: int, largest: int) -> tuple[NDArray[np.int64], UInt64s]:
    """The sizes smallest..largest as a column, and B to each."""
    sizes = np.arange(smallest, largest + 1)[:, np.newaxis]
    return sizes, _powers(largest + 1)[0][sizes]


def char_wb_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``char_wb_ngrams_of_normalised(normalised, ngram_range)``, in no particular order (a new
    array, the caller's to change).

    Each word padded with a space on both sides yields its n-grams: in the padded text, with any white space
    read as a space, for n >= 2 a word's n-grams are exactly the windows with no white space strictly inside
    that are not two white space characters; single characters count each word's two spaces; and a padded word
    shorter than the smallest n still yields itself once, as scikit-learn's analyzer does. All window sizes are
    hashed at once, as a (size x start) grid of prefix-hash differences.
    """
    scan = _scan(normalised)
    length = len(scan.codes)
    gaps = scan.space.nonzero()[0]  # the padded text's first and last characters among them
    if len(gaps) == length:
        return np.empty(0, dtype=np.uint64)
    low, high = ngram_range
    parts: list[UInt64s] = []
    after = gaps[1:]
    step = after - gaps[:-1]
    smallest = max(low, 2)
    if high >= smallest:
        # A window starting at i < length - 1 may end just after the first white space after i: it is at most
        # room[i] long; where i and i + 1 are both white space, room[i] is 1.
        room = np.repeat(after - (step == 1), step)
        room -= np.arange(-1, length - 2)
        sizes, powers = _window_sizes(smallest, high)
        prefix = scan.prefix
        if high > _SLACK + 2:
            prefix = np.concatenate((prefix, np.zeros(high, dtype=np.uint64)))
        # ends[s, i] = prefix[i + sizes[s]]: a view, rows one element apart.
        ends = np.ndarray(
            (len(sizes), length - 1),
            dtype=np.uint64,
            buffer=prefix,
            offset=smallest * prefix.itemsize,
            strides=(prefix.itemsize, prefix.itemsize),
        )
        windows = prefix[: length - 1] * powers
        np.subtract(ends, windows, out=windows)
        parts.append(windows[sizes <= room])
    if low == 1 or smallest > 3:
        words = step > 1
        word_starts, word_ends = gaps[:-1][words], after[words]  # the spaces around each word
        if low == 1:
            parts += [scan.codes[~scan.space], np.full(2 * len(word_starts), _SPACE_CODE, dtype=np.uint64)]
        short = word_ends - word_starts < low - 1
        if short.any():
            parts.append(_substrings(scan.prefix, scan.up, word_starts[short], word_ends[short] + 1))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
