"""Terms as integers: polynomial hashes of strings modulo 2**64, computed for a whole text at once with numpy.

``term_hash(s) = sum((ord(ch) + 1) * B**(len(s) - 1 - k) for k, ch in enumerate(s)) mod 2**64`` with an odd ``B``.
Any substring's hash follows from the text's prefix hashes in O(1), so every n-gram of a text is hashed by a few
array operations instead of one Python string per n-gram; a vocabulary is hashed the same way from its joined
terms. The hashes are deterministic (no per-process salt), and equal strings always get equal hashes; two
different terms of a vocabulary sharing one is refused where it is loaded (``triage.classifier``).

The n-gram sets are exactly those of ``triage.features.word_ngrams_of_normalised`` and
``char_wb_ngrams_of_normalised`` (scikit-learn's analyzers), as a multiset of hashes. Both analyzers read one
scan of the text (:class:`_Scan`: each character's class as ``re`` sees it, and the prefix sums), so neither
splits the text into Python strings: word tokens are the runs of two or more ``\\w`` characters, and a word's
char_wb n-grams the windows with no white space strictly inside. A text that is the first line of a recent one
(a message's subject, read after the whole message) is read from that text's scan.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

_B = 0x100000001B3  # the 64-bit FNV prime: odd, so invertible modulo 2**64
_B_INVERSE = pow(_B, -1, 2**64)
_SPACE_CODE = ord(" ") + 1
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
_LATIN1_WORD = _LATIN1_CLASSES == _WORD
_LATIN1_SPACE = _LATIN1_CLASSES == _SPACE


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


def _span_hashes(sums: UInt64s, up: UInt64s, starts: NDArray[np.intp], ends: NDArray[np.intp]) -> UInt64s:
    """The hashes of the spans [starts, ends) of a text whose prefix sums are ``sums`` (see :class:`_Scan`) and
    powers of B ``up``: (sums[e] - sums[s]) * B**e."""
    hashes: UInt64s = sums[ends] - sums[starts]
    hashes *= up[ends]
    return hashes


def term_hashes(terms: Sequence[str]) -> UInt64s:
    """The hash of each term (none may contain a line break)."""
    return joined_term_hashes("\n".join(terms)) if terms else np.empty(0, dtype=np.uint64)


def joined_term_hashes(joined: str) -> UInt64s:
    """The hash of each term of ``joined``, terms separated by line breaks (a vocabulary as stored).

    Read at load for every vocabulary term, so with few passes over the text: ``sums[i]`` = sum of code[k] *
    B**-(k + 1) for k < i, and each term is a span of it (:func:`_span_hashes`).
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
    starts = np.zeros_like(ends)
    starts[1:] = ends[:-1] + 1  # each later term starts just after the line break before it
    return _span_hashes(sums, up, starts, ends)


_SLACK = 8  # char_wb windows up to _SLACK + 2 characters are read as strided views of the prefix sums


class _Scan:
    """A normalised text, padded with a space at each end, read once for both analyzers, and for any text it starts
    with up to white space.

    Per character: re's \\w (``word``), white space (``space``, re's \\s), the code point; and the prefix sums
    ``sums[i]`` = sum of code[k] * B**-(k + 1) for k < i (code = code point + 1, any white space read as a space, as
    char_wb reads it; a token holds none), so that [s, e) hashes to (sums[e] - sums[s]) * B**e. The word tokens
    and the char_wb windows are worked out on first use and kept: a message's subject, the first line of the text
    it is read with, is served from the text's (:func:`_scan_of`).
    """

    __slots__ = ("_tokens", "_windows", "points", "space", "sums", "up", "word")

    def __init__(self, normalised: str) -> None:
        padded = f" {normalised} "
        self.points = points = _code_points(padded)
        if padded.isascii():
            self.word, self.space = _LATIN1_WORD.take(points), _LATIN1_SPACE.take(points)
        else:
            latin1 = np.minimum(points, 255)
            self.word, self.space = _LATIN1_WORD.take(latin1), _LATIN1_SPACE.take(latin1)
            for index in (points > 255).nonzero()[0].tolist():
                kind = _class_of(padded[index])
                self.word[index], self.space[index] = kind == _WORD, kind == _SPACE
        n = len(points)
        self.up, down = _powers(n + 1 + _SLACK)
        self.sums = np.zeros(n + 1 + _SLACK, dtype=np.uint64)  # then zeros: windows read past the end, unused
        terms = self.sums[1 : n + 1]
        np.add(points, _ONE, out=terms)
        terms[self.space] = _SPACE_CODE
        terms *= down[1 : n + 1]
        self.sums[: n + 1].cumsum(out=self.sums[: n + 1])
        self._tokens: tuple[UInt64s, UInt64s, NDArray[np.intp]] | None = None
        self._windows: dict[tuple[int, int], tuple[UInt64s, Bools]] = {}

    def __len__(self) -> int:
        return len(self.points)

    def tokens(self) -> tuple[UInt64s, UInt64s, NDArray[np.intp]]:
        """Each word token's hash, B**its length, and the position just after it, in text order.

        Tokens (``\\b\\w\\w+\\b``) are the maximal runs of two or more word characters, hashed where they stand.
        """
        if self._tokens is None:
            word = self.word
            # The padded text starts and ends with a non-word character: edges alternate before-run, last-of-run.
            edges = (word[1:] != word[:-1]).nonzero()[0]
            befores, lasts = edges[::2], edges[1::2]
            lengths = lasts - befores
            tokens = lengths >= 2
            befores, lasts, lengths = befores[tokens], lasts[tokens], lengths[tokens]
            # [befores + 1, lasts + 1): read from views one position on, which spares adding 1 to both.
            hashes = _span_hashes(self.sums[1:], self.up[1:], befores, lasts)
            self._tokens = (hashes, self.up[lengths], lasts + 1)
        return self._tokens

    def windows(self, smallest: int, largest: int) -> tuple[UInt64s, Bools]:
        """The hash of the window of each size smallest..largest (rows) at each start but the last character
        (columns), and which windows are char_wb n-grams: no white space strictly inside, and not two white
        space characters (a window at i may end just after the first white space after i; where i and i + 1 are
        both white space, nowhere)."""
        key = (smallest, largest)
        if key not in self._windows:
            length = len(self)
            gaps = self.space.nonzero()[0]  # the padded text's first and last characters among them
            after = gaps[1:]
            step = after - gaps[:-1]
            room = np.repeat(after - (step == 1), step)  # the longest window at each start
            room -= np.arange(-1, length - 2)
            sizes = np.arange(smallest, largest + 1)[:, np.newaxis]
            sums, up = self.sums, self.up
            if largest > _SLACK + 2:
                sums = np.concatenate((sums, np.zeros(largest, dtype=np.uint64)))
                up = _powers(len(sums))[0]
            # ends[s, i] = sums[i + sizes[s]] and powers[s, i] = B**(i + sizes[s]): views, rows one apart.
            shape, offset, strides = (len(sizes), length - 1), smallest * sums.itemsize, (sums.itemsize,) * 2
            ends = np.ndarray(shape, dtype=np.uint64, buffer=sums, offset=offset, strides=strides)
            powers = np.ndarray(shape, dtype=np.uint64, buffer=up, offset=offset, strides=strides)
            hashes: UInt64s = ends - sums[: length - 1]
            hashes *= powers
            self._windows[key] = (hashes, sizes <= room)
        return self._windows[key]


_SCANS: dict[str, _Scan] = {}  # recent texts' scans, oldest first
_SCANS_KEPT = 8
_SCANS_KEPT_CHARS = 1 << 15  # a longer text (never a mail's: parsing caps them) is scanned anew each time
_SCANS_LOCK = threading.Lock()


def _scan_of(normalised: str) -> tuple[_Scan, int]:
    """The scan to read ``normalised`` from, and how many of its first characters are this text's, padded.

    Its own, or that of a recent text that starts with ``normalised`` followed by white space: the first
    ``len(normalised) + 2`` characters of that text's padded scan are exactly this text's padded scan (the closing
    space is that white space), so its tokens and windows are the text's up to there.
    """
    scan = _SCANS.get(normalised)
    if scan is not None:
        return scan, len(scan)
    size = len(normalised)
    for text, scan in list(_SCANS.items()):
        if len(text) > size and text[size].isspace() and text.startswith(normalised):
            return scan, size + 2
    scan = _Scan(normalised)
    if size <= _SCANS_KEPT_CHARS:
        with _SCANS_LOCK:
            while len(_SCANS) >= _SCANS_KEPT:
                del _SCANS[next(iter(_SCANS))]
            _SCANS[normalised] = scan
    return scan, len(scan)


def forget_texts() -> None:
    """Drop the kept scans (``triage.classifier.forget_texts``)."""
    with _SCANS_LOCK:
        _SCANS.clear()


def word_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``word_ngrams_of_normalised(normalised, ngram_range)``, in no particular order (a new array,
    the caller's to change).

    An n-gram ``a b`` is hashed from its tokens' hashes (:meth:`_Scan.tokens`), as ``hash(a + " " + b) = (hash(a) *
    B + hash(" ")) * B**len(b) + hash(b)``, without a joined string.
    """
    scan, length = _scan_of(normalised)
    unigrams, shifts, ends = scan.tokens()
    if length < len(scan):  # the start of the scanned text: the tokens that end in it
        count = int(ends.searchsorted(length - 1, side="right"))
        unigrams, shifts = unigrams[:count], shifts[:count]
    low, high = ngram_range
    parts = [unigrams] if low <= 1 else []
    grams = unigrams
    for n in range(2, min(high, len(unigrams)) + 1):
        grams = grams[:-1] * _B_UINT64
        grams += _SPACE_UINT64
        grams *= shifts[n - 1 :]
        grams += unigrams[n - 1 :]
        if n >= low:
            parts.append(grams)
    if not parts:
        return np.empty(0, dtype=np.uint64)
    return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()  # unigrams alone: the scan keeps them


def char_wb_ngram_hashes(normalised: str, ngram_range: tuple[int, int]) -> UInt64s:
    """The hashes of ``char_wb_ngrams_of_normalised(normalised, ngram_range)``, in no particular order (a new
    array, the caller's to change).

    Each word padded with a space on both sides yields its n-grams: in the padded text, with any white space
    read as a space, for n >= 2 a word's n-grams are exactly the windows :meth:`_Scan.windows` keeps; single
    characters count each word's two spaces; and a padded word shorter than the smallest n still yields itself
    once, as scikit-learn's analyzer does.
    """
    scan, length = _scan_of(normalised)
    low, high = ngram_range
    smallest = max(low, 2)
    parts: list[UInt64s] = []
    if high >= smallest:
        hashes, valid = scan.windows(smallest, high)
        if length < len(scan):  # the start of the scanned text: the windows that start in it (and end in it)
            hashes, valid = hashes[:, : length - 1], valid[:, : length - 1]
        parts.append(hashes[valid])
    if low == 1 or smallest > 3:
        space = scan.space[:length]
        gaps = space.nonzero()[0]
        words = gaps[1:] - gaps[:-1] > 1
        word_starts, word_ends = gaps[:-1][words], gaps[1:][words]  # the spaces around each word
        if low == 1:
            singles = scan.points[:length][~space].astype(np.uint64)
            singles += _ONE
            parts += [singles, np.full(2 * len(word_starts), _SPACE_CODE, dtype=np.uint64)]
        short = word_ends - word_starts < low - 1
        if short.any():
            parts.append(_span_hashes(scan.sums, scan.up, word_starts[short], word_ends[short] + 1))
    if not parts:
        return np.empty(0, dtype=np.uint64)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
