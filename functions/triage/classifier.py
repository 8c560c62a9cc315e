"""The bundled text models, scored with numpy alone (no scikit-learn, no pickle at run time).

A model directory holds one artifact per head (``intent``, ``emotion``):
- ``<head>.npz`` (stored uncompressed, so the numeric arrays are memory-mapped: pages are read when a message
  needs them, and the combined tier's weights not at all while the linear tier is sure): per TF-IDF block
  (``word``, ``char``) its vocabulary (``<block>_terms``: the sorted terms, UTF-8, one per line; format 2 had a
  string array ``<block>_vocabulary``) and idf; the logistic-regression weights of
  each tier: ``linear_coef``/``linear_intercept`` over the TF-IDF features and, when trained with the sentence
  encoder, ``combined_coef``/``combined_intercept`` over the TF-IDF features followed by the embedding; ``labels``.
- ``<head>.card.json``: data hash, labels, features, per tier the calibration temperature and the per-label
  thresholds that reach the target precision, metrics, and the artifact's own sha256. Loading refuses a card that
  does not match the arrays beside it or the format this code reads.

Tiers: ``linear`` is always there and fast (≈0.1 ms); ``combined`` adds a sentence embedding and is used only when
the linear tier is not sure enough to answer on its own (a cascade), so the encoder is loaded lazily, if ever.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import threading
import weakref
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from triage import termhash
from triage.features import normalise
from triage.termhash import char_wb_ngram_hashes, joined_term_hashes, term_hashes, word_ngram_hashes

FORMAT_VERSION = 3
# Format 2 differs only in how vocabularies are stored (a string array): still read.
READABLE_FORMATS = (2, FORMAT_VERSION)
_TERM_SEPARATOR = (
    "\n"  # never inside a term: word tokens are \w+, char n-grams come from whitespace-split words
)
LINEAR = "linear"
COMBINED = "combined"

# Each analyzer's terms of a text as hashes (triage.termhash): the same terms as triage.features' analyzers, which
# are scikit-learn's, without making a Python string per n-gram.
_ANALYZERS: dict[str, Callable[[str, tuple[int, int]], NDArray[np.uint64]]] = {
    "word": word_ngram_hashes,
    "char": char_wb_ngram_hashes,
}


def _distinct(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The distinct values of ``keys`` in ascending order and how often each occurs, as np.unique(keys,
    return_counts=True) gives them, in fewer array passes. ``keys`` is sorted in place."""
    # Stable sort: a merge sort, quicker here than numpy's default beyond a few hundred 64-bit keys (a text's
    # char n-grams); the sorted values are the same whichever sort produced them.
    keys.sort(kind="stable")
    starts = np.empty(len(keys) + 1, dtype=np.bool_)  # where a run of equal keys starts, and the end
    starts[0] = starts[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:-1])
    bounds = starts.nonzero()[0]
    return keys[bounds[:-1]], np.subtract(bounds[1:], bounds[:-1], dtype=np.float64)


# Block k's term hashes are shifted by k * _BLOCK_SALT (mod 2**64), so that one sorted array holds the terms of all of a
# head's blocks: the word "ok" and the char n-gram "ok" hash alike but are different keys. Any fixed constant does (a
# collision it made between two vocabulary terms would be refused at load, as any other).
_BLOCK_SALT = 0x9E3779B97F4A7C15  # 2**64 divided by the golden ratio, odd


def _salt(block: int) -> np.uint64:
    return np.uint64(block * _BLOCK_SALT % 2**64)


def _keys_of(parts: Sequence[NDArray[np.uint64]]) -> NDArray[np.int64]:
    """Each block's term hashes (block k: ``parts[k]``) shifted by that block's salt, in one new array, viewed as
    int64: the keys of a text's terms and of a vocabulary alike, in the order they are sorted and looked up in."""
    keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
    start = len(parts[0]) if parts else 0
    for block, part in enumerate(parts[1:], 1):
        keys[start : start + len(part)] += _salt(block)
        start += len(part)
    return keys.view(np.int64)


Analyzers = tuple[tuple[str, tuple[int, int]], ...]  # per block: analyzer, n-gram range


@lru_cache(maxsize=32)
def _term_counts(
    normalised: str, analyzers: Analyzers
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The distinct terms of one text under each block's analyzer, as sorted keys (hashes shifted per block), how
    often each occurs, and that count's sublinear form (1 + log). Cached because every head (intent, emotion) reads
    the same message with the same analyzers. Callers only read the result."""
    keys = _keys_of([_ANALYZERS[analyzer](normalised, ngram_range) for analyzer, ngram_range in analyzers])
    distinct, tf = _distinct(keys)
    sublinear = np.log(tf)
    sublinear += 1.0
    return distinct, tf, sublinear


@lru_cache(maxsize=32)
def _normalised(text: str) -> str:
    return normalise(text)


def forget_texts() -> None:
    """Drop the per-text caches (the benchmark does, so a repeated message is measured as a new one)."""
    _term_counts.cache_clear()
    _normalised.cache_clear()
    for table in list(_TABLES.values()):
        table.forget_texts()
    termhash.forget_texts()


def artifact_name(head: str) -> str:
    return f"{head}.npz"


def card_name(head: str) -> str:
    return f"{head}.card.json"


class ModelError(RuntimeError):
    """The artifact is missing, corrupt, or does not match its model card."""


def joined_terms(terms: Sequence[str]) -> NDArray[np.uint8]:
    """A vocabulary as one array of UTF-8 bytes (a tenth of a fixed-width string array, and quick to split)."""
    if any(_TERM_SEPARATOR in term for term in terms):
        raise ValueError("a vocabulary term contains a line break")
    return np.frombuffer(_TERM_SEPARATOR.join(terms).encode("utf-8"), dtype=np.uint8)


def terms_of(arrays: Mapping[str, Any], block: str) -> list[str]:
    """The vocabulary of ``block`` in column order, from either artifact format."""
    if f"{block}_terms" in arrays:
        joined = np.asarray(arrays[f"{block}_terms"], dtype=np.uint8).tobytes().decode("utf-8")
        return joined.split(_TERM_SEPARATOR) if joined else []
    return [str(term) for term in arrays[f"{block}_vocabulary"].tolist()]


def vocabulary_hashes(arrays: Mapping[str, Any], block: str, chunk: int = 1 << 12) -> NDArray[np.uint64]:
    """The hash (``triage.termhash``) of each term of ``block``, in column order. The stored terms are decoded about
    ``chunk`` bytes at a time (cut after a whole term) and never split into Python strings. 4 KB chunks load as
    fast as 32 KB ones and keep termhash's power tables, which live as long as the process, at a mail's size: 32 KB
    chunks grew them to 64k entries and the worker's peak memory by 1.3 MB."""
    if f"{block}_terms" not in arrays:
        return term_hashes(terms_of(arrays, block))
    joined = np.asarray(arrays[f"{block}_terms"], dtype=np.uint8).tobytes()
    if not joined:
        return np.empty(0, dtype=np.uint64)
    separator = _TERM_SEPARATOR.encode("utf-8")  # one byte, never inside a UTF-8 sequence
    parts, start = [], 0
    while start <= len(joined):
        stop = joined.find(separator, start + chunk)
        stop = len(joined) if stop < 0 else stop
        parts.append(joined_term_hashes(joined[start:stop].decode("utf-8")))
        start = stop + 1
    return np.concatenate(parts)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:  # read in chunks: hashing never holds the file in memory
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_arrays(path: Path) -> dict[str, NDArray[Any]]:
    """The arrays of an ``.npz``: memory-mapped where stored uncompressed (the format-3 artifact), else read.

    Each array is mapped on its own, so that one read only at load (a vocabulary, its idf: ~1 MB for the two bundled
    heads) leaves the process's memory when the model drops it, while the weights stay mapped, read where gathered."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if any(member.compress_type != zipfile.ZIP_STORED for member in members):
        with np.load(path, allow_pickle=False) as stored:
            return {name: np.asarray(stored[name]) for name in stored.files}
    arrays: dict[str, NDArray[Any]] = {}
    with path.open("rb") as handle:
        for member in members:
            # Local file header: 30 fixed bytes, then the name and an extra field of the lengths it gives.
            handle.seek(member.header_offset + 26)
            name_length, extra_length = np.frombuffer(handle.read(4), dtype="<u2").tolist()
            handle.seek(member.header_offset + 30 + name_length + extra_length)
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            if dtype.hasobject:
                raise ModelError(f"{path.name}: {member.filename} holds Python objects")
            order: Literal["C", "F"] = "F" if fortran else "C"
            start, size = handle.tell(), dtype.itemsize * math.prod(shape)
            if not size:
                array: NDArray[Any] = np.empty(shape, dtype=dtype, order=order)
            else:
                page = start - start % mmap.ALLOCATIONGRANULARITY  # a mapping starts on a page
                mapped = mmap.mmap(handle.fileno(), start - page + size, access=mmap.ACCESS_READ, offset=page)
                array = np.ndarray(shape, dtype=dtype, buffer=mapped, offset=start - page, order=order)
            arrays[member.filename.removesuffix(".npy")] = array
    return arrays


class Encoder(Protocol):
    """What the combined tier needs from a sentence encoder (see ``triage.encoder``)."""

    @property
    def fingerprint(self) -> str: ...

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float
    top_k: tuple[tuple[str, float], ...]
    model_version: str
    tier: str = LINEAR
    threshold: float | None = None
    # When the combined tier decided: the linear tier's best label (its reading, too unsure to answer alone).
    linear_label: str | None = None

    @property
    def auto_eligible(self) -> bool:
        """Confident enough, for this label, to reach the model's target precision."""
        return self.threshold is not None and self.confidence >= self.threshold

    def probability(self, label: str) -> float:
        """The probability of ``label`` if it is among ``top_k`` (a two-label head's always are), else 0.0."""
        return dict(self.top_k).get(label, 0.0)

    @property
    def margin(self) -> float:
        """Gap between the two best labels: small means a mixed or ambiguous request."""
        if len(self.top_k) < 2:
            return self.confidence
        return self.top_k[0][1] - self.top_k[1][1]


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block of a head, as its card and arrays give it."""

    analyzer: str
    ngram_range: tuple[int, int]
    hashes: NDArray[np.uint64]  # each term's hash (triage.termhash), in column order
    idf: NDArray[np.float64]
    sublinear_tf: bool


class _TextFeatures:
    """A head's TF-IDF blocks as one table: the terms of every block as sorted keys (their hashes, shifted per block:
    :func:`_salt`), each with its column; the blocks' idf side by side, by column.

    A dict of the terms would cost ~9 MB of Python strings for the two bundled heads; these arrays cost about 1 MB and
    look all of a text's terms up, in every block, with one ``searchsorted``. Two vocabulary terms with the same key
    are refused at load; a term outside the vocabulary is mistaken for one only if its key equals that term's (about
    1 in 10^14 per look-up)."""

    __slots__ = (
        "__weakref__",
        "_columns",
        "_idf",
        "_keys",
        "_lock",
        "_offsets",
        "_recent",
        "_sublinear",
        "analyzers",
        "n_blocks",
        "size",
    )

    _RECENT_KEPT = 4  # a message's views (its whole text, its subject) and the one before

    def __init__(self, blocks: Sequence[_Block]) -> None:
        self.analyzers: Analyzers = tuple((block.analyzer, block.ngram_range) for block in blocks)
        self.n_blocks = len(blocks)
        sizes = [len(block.hashes) for block in blocks]
        # Where each block's columns start (and the end): a term's block follows from its column.
        self._offsets = np.cumsum([0, *sizes])
        # Keys as the texts' terms are looked up (_term_counts).
        keys = _keys_of([block.hashes for block in blocks])
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        if len(keys) > 1 and bool((self._keys[1:] == self._keys[:-1]).any()):
            raise ModelError(
                "two vocabulary terms share one 64-bit hash (about a 1-in-10^10 chance), so this artifact cannot "
                "be scored; retrain on changed data (e.g. one more or one fewer row)"
            )
        for block in blocks:
            if block.idf.shape != block.hashes.shape:
                raise ModelError(
                    f"{len(block.hashes)} {block.analyzer} terms but {len(block.idf)} idf values"
                )
        self._columns: NDArray[np.intp] = order  # the blocks' columns follow each other, as in the weights
        # By column, not permuted to key order: a message gathers its terms' idf either way, and load stays quick.
        self._idf = np.concatenate([block.idf for block in blocks] or [np.empty(0)], dtype=np.float64)
        flags = {block.sublinear_tf for block in blocks}
        # One flag for all blocks (as triage.training writes them), else each block's.
        self._sublinear: bool | NDArray[np.bool_] = (
            flags.pop() if len(flags) == 1 else np.array([block.sublinear_tf for block in blocks])
        )
        self.size = len(keys)
        # The last few texts' features: heads that share this table (see _TABLES) read one message in turn.
        self._recent: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
        self._lock = threading.Lock()

    def forget_texts(self) -> None:
        with self._lock:
            self._recent.clear()

    def features(self, normalised: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The non-zero TF-IDF entries (column, value l2-normalised within its block) of an already normalised text,
        every block's together, in no particular order. Kept for the last few texts: callers only read them."""
        found = self._recent.get(normalised)
        if found is None:
            found = self._features(normalised)
            with self._lock:
                while len(self._recent) >= self._RECENT_KEPT:
                    del self._recent[next(iter(self._recent))]
                self._recent[normalised] = found
        return found

    def _features(self, normalised: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        if not self.size:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        keys, tf, sublinear = _term_counts(normalised, self.analyzers)
        position = self._keys.searchsorted(keys)
        # A key above them all is compared with the last (clipped); a found key's position is in range.
        found = self._keys.take(position, mode="clip") == keys
        position = position[found]
        if not len(position):
            return position, np.empty(0, dtype=np.float64)
        columns = self._columns[position]
        if isinstance(self._sublinear, bool):
            values = (sublinear if self._sublinear else tf)[found]
        else:  # blocks with and without sublinear tf (triage.training writes one kind)
            values = np.where(self._sublinear[self._block_of(columns)], sublinear[found], tf[found])
        values *= self._idf[columns]
        if self.n_blocks == 1:
            values /= np.sqrt(np.dot(values, values))
        else:  # each block's part to unit length
            blocks = self._block_of(columns)
            values /= np.sqrt(np.bincount(blocks, weights=values * values, minlength=self.n_blocks))[blocks]
        return columns, values

    def _block_of(self, columns: NDArray[np.intp]) -> NDArray[np.intp]:
        return self._offsets[1:-1].searchsorted(columns, side="right")


@dataclass(frozen=True)
class _Tier:
    name: str
    coef: NDArray[np.floating[Any]]  # labels × features, as shipped (memory-mapped: read where gathered)
    intercept: NDArray[np.float64]
    temperature: float
    thresholds: tuple[float | None, ...]  # per label, in label order
    encoder: dict[str, Any] | None
    cascade_gate: float | None  # linear tier only: at or above this confidence the encoder adds nothing
    _by_column: bool = field(init=False, repr=False, compare=False)
    _raw: NDArray[np.void] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The weights as raw bytes, for text_scores to gather a message's columns from: numpy's ``take`` on them as
        # floats copies the whole matrix first where it is not aligned in memory, as an array mapped from an
        # ``.npz`` member seldom is, and indexing (``coef[:, columns]``) pays a fixed ~7 µs. Weights written by
        # feature (Fortran order, as scikit-learn leaves a multi-label model's ``coef_``) give one item of bytes
        # per column (all its labels' weights); others, one item per weight.
        coef = self.coef
        by_column = coef.flags.f_contiguous and coef.shape[0] > 1
        width = coef.itemsize * (coef.shape[0] if by_column else 1)
        raw = (coef.T if by_column else coef).view(np.dtype((np.void, width)))
        object.__setattr__(self, "_by_column", by_column)
        object.__setattr__(self, "_raw", raw.reshape(-1) if by_column else raw)

    def text_scores(self, columns: NDArray[np.intp], values: NDArray[np.float64]) -> NDArray[np.float64]:
        """The decision scores of one text's TF-IDF entries (``columns``, ``values``), intercept included. np.dot
        upcasts the float32 weights exactly to float64."""
        scores: NDArray[np.float64]
        if self._by_column:
            rows = self._raw.take(columns).view(self.coef.dtype).reshape(len(columns), len(self.intercept))
            scores = np.dot(values, rows)
        else:
            scores = np.dot(self._raw.take(columns, axis=1).view(self.coef.dtype), values)
        scores += self.intercept
        return scores


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise softmax (``logits`` is not changed). The reductions are the ufuncs' own (what ``ndarray.max`` and
    ``.sum`` call, without their Python layers: this runs for every message)."""
    shifted: NDArray[np.float64] = logits - np.maximum.reduce(logits, axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= np.add.reduce(shifted, axis=-1, keepdims=True)
    return shifted


# The feature tables of the loaded heads, by what they are made of (_table_key). Heads trained on one vocabulary and
# idf (``triage train --features-from``: the bundled emotion and risk heads use the intent head's) share one table,
# so a message's terms are looked up, and its TF-IDF values worked out, once for all of them; the vocabulary is
# hashed once at load. Weak: a table lives as long as a head that reads it.
_TABLES: weakref.WeakValueDictionary[str, _TextFeatures] = weakref.WeakValueDictionary()


def _table_key(features: Sequence[Mapping[str, Any]], arrays: Mapping[str, Any]) -> str:
    """A digest of the blocks' specs and the bytes of their stored vocabularies and idf (~1 ms for 30k terms)."""
    digest = hashlib.sha256(json.dumps(list(features), sort_keys=True).encode("utf-8"))
    for spec in features:
        for suffix in ("terms", "vocabulary", "idf"):
            array = arrays.get(f"{spec['name']}_{suffix}")
            if array is not None:
                digest.update(f"{suffix}:{array.dtype.str}:{array.shape}".encode())
                digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


class TextModel:
    """One head (``intent`` or ``emotion``): ``predict(text) -> Classification``, the interface later tiers keep."""

    def __init__(self, directory: Path, head: str = "intent") -> None:
        self.directory = directory
        self.head = head
        artifact = directory / artifact_name(head)
        try:
            self.card: dict[str, Any] = json.loads((directory / card_name(head)).read_text(encoding="utf-8"))
            digest = _file_sha256(artifact)
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot read the {head} model in {directory}: {error}") from error
        if self.card.get("format_version") not in READABLE_FORMATS:
            raise ModelError(
                f"{card_name(head)} has format {self.card.get('format_version')!r}; this code reads "
                f"{' or '.join(map(str, READABLE_FORMATS))}. Retrain with `make model` (or `triage train`)."
            )
        if self.card.get("artifact_sha256") != digest:
            raise ModelError(
                f"{artifact} does not match {card_name(head)} (sha256 {digest[:12]}…); rebuild it"
            )
        try:
            arrays = _read_arrays(artifact)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ModelError(f"cannot read {artifact}: {error}") from error
        self.labels: tuple[str, ...] = tuple(str(label) for label in arrays["labels"])
        if list(self.labels) != self.card.get("labels"):
            raise ModelError(f"labels in {artifact.name} differ from {card_name(head)}")
        key = _table_key(self.card["features"], arrays)
        table = _TABLES.get(key)
        if table is None:
            table = _TABLES[key] = _TextFeatures(self._load_blocks(arrays))
        self._features = table
        self.n_text_features = self._features.size
        self.tiers = {name: self._load_tier(arrays, name) for name in self.card.get("tiers", {})}
        if LINEAR not in self.tiers:
            raise ModelError(f"{card_name(head)} has no linear tier")
        self.version: str = str(self.card.get("version", digest[:12]))

    def _load_blocks(self, arrays: Any) -> list[_Block]:
        blocks: list[_Block] = []
        for spec in self.card["features"]:
            if spec["analyzer"] not in _ANALYZERS:
                raise ModelError(f"unknown analyzer {spec['analyzer']!r} in {card_name(self.head)}")
            name = spec["name"]
            try:
                hashes = vocabulary_hashes(arrays, name)
                idf = np.asarray(arrays[f"{name}_idf"], dtype=np.float64)
            except KeyError as error:
                raise ModelError(f"{artifact_name(self.head)} lacks the vocabulary of {name!r}") from error
            blocks.append(
                _Block(
                    analyzer=spec["analyzer"],
                    ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                    hashes=hashes,
                    idf=idf,
                    sublinear_tf=bool(spec["sublinear_tf"]),
                )
            )
        return blocks

    def _load_tier(self, arrays: Any, name: str) -> _Tier:
        spec = self.card["tiers"][name]
        try:
            coef = arrays[f"{name}_coef"]
            intercept = arrays[f"{name}_intercept"].astype(np.float64)
        except KeyError as error:
            raise ModelError(f"{artifact_name(self.head)} lacks the weights of tier {name!r}") from error
        encoder = spec.get("encoder")
        expected = self.n_text_features + (int(encoder["dimension"]) if encoder else 0)
        if coef.shape != (len(self.labels), expected):
            raise ModelError(
                f"tier {name!r} weights have shape {coef.shape}, expected {(len(self.labels), expected)}"
            )
        thresholds = spec.get("thresholds", {})
        if coef.dtype not in (np.float32, np.float64):
            coef = coef.astype(np.float64)
        return _Tier(
            name=name,
            # Kept as shipped (float32 from `triage train`: half the memory), not copied or transposed: a
            # message's columns are gathered and upcast exactly to float64.
            coef=coef,
            intercept=intercept,
            temperature=float(spec.get("temperature", 1.0)),
            thresholds=tuple(thresholds.get(label) for label in self.labels),
            encoder=encoder,
            cascade_gate=spec.get("cascade_gate"),
        )

    @property
    def has_encoder_tier(self) -> bool:
        return COMBINED in self.tiers

    def text_features(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        return self._features.features(_normalised(text))

    def _text_scores(self, text: str, tier: _Tier) -> NDArray[np.float64]:
        """One text's decision scores from its TF-IDF features (the whole score of a tier without an encoder)."""
        columns, values = self.text_features(text)
        if not len(columns):
            return tier.intercept.copy()
        return tier.text_scores(columns, values)

    def logits(
        self, texts: Sequence[str], tier: str = LINEAR, embeddings: NDArray[Any] | None = None
    ) -> NDArray[np.float64]:
        """Uncalibrated decision scores (rows × labels), exactly the scikit-learn model's ``decision_function``."""
        spec = self.tiers[tier]
        out = np.empty((len(texts), len(spec.intercept)))
        # Longest first: a message's subject view, the start of its whole text, is then read from the text's scan.
        for row in sorted(range(len(texts)), key=lambda row: len(texts[row]), reverse=True):
            out[row] = self._text_scores(texts[row], spec)
        if spec.encoder is not None:
            if embeddings is None:
                raise ModelError(f"tier {tier!r} needs sentence embeddings")
            weight = float(spec.encoder.get("weight", 1.0))
            out += (weight * np.asarray(embeddings, dtype=np.float64)) @ spec.coef[
                :, self.n_text_features :
            ].T
        return out

    def predict_proba(
        self,
        texts: Sequence[str],
        tier: str = LINEAR,
        embeddings: NDArray[Any] | None = None,
        calibrated: bool = True,
    ) -> NDArray[np.float64]:
        logits = self.logits(texts, tier, embeddings)
        if calibrated:
            logits /= self.tiers[tier].temperature
        return softmax(logits)

    def _linear_suffices(self, probabilities: NDArray[np.float64]) -> bool:
        """Cascade rule: the card's gate (where the encoder stopped helping in cross-validation), else the
        label's auto-eligibility threshold."""
        linear = self.tiers[LINEAR]
        best = int(probabilities.argmax())
        if linear.cascade_gate is not None:
            return probabilities.item(best) >= linear.cascade_gate
        threshold = linear.thresholds[best]
        return threshold is not None and probabilities.item(best) >= threshold

    def thresholds(self, tier: str = LINEAR) -> dict[str, float | None]:
        return dict(zip(self.labels, self.tiers[tier].thresholds, strict=True))

    def predict_proba_tiered(
        self, texts: Sequence[str], tier: str = "cascade", encoder: Encoder | None = None
    ) -> tuple[NDArray[np.float64], list[str]]:
        """Calibrated probabilities for many texts and the tier that produced each row.

        ``tier`` is ``linear``, ``combined`` or ``cascade`` (combined only where linear is not auto-eligible).
        """
        probabilities = self.predict_proba(texts)
        used = [LINEAR] * len(texts)
        if tier == LINEAR or not self.has_encoder_tier or encoder is None:
            if tier == COMBINED:
                raise ModelError("the combined tier needs a model trained with the encoder, and the encoder")
            return probabilities, used
        if tier == COMBINED:
            rows = list(range(len(texts)))
        else:
            rows = [i for i, row in enumerate(probabilities) if not self._linear_suffices(row)]
        if rows:
            subset = [texts[i] for i in rows]
            probabilities[rows] = self.predict_proba(subset, COMBINED, encoder.encode(subset))
            for i in rows:
                used[i] = COMBINED
        return probabilities, used

    def predict(self, text: str, k: int = 3) -> Classification:
        return self._classification(self.predict_proba([text])[0], LINEAR, k)

    def predict_views(
        self, views: Sequence[str], k: int = 3, encoder: Callable[[], Encoder | None] | None = None
    ) -> Classification:
        """One judgement from several views of a message (e.g. its subject, and subject + body).

        The views' probabilities are combined by a normalised geometric mean (a product of experts): a label wins
        only where the views agree. The linear tier answers when it is sure enough (the card's cascade gate);
        otherwise, if the model has a combined tier and ``encoder()`` provides the encoder it was trained with, the
        combined tier decides. The encoder is asked for only then, so a confident message never loads it.
        """
        views = [view for view in views if view.strip()] or [""]
        linear = _agree(self.predict_proba(views))
        result = self._classification(linear, LINEAR, k)
        if self._linear_suffices(linear) or encoder is None or not self.has_encoder_tier:
            return result
        loaded = encoder()
        if loaded is None:
            return result
        expected = (self.tiers[COMBINED].encoder or {}).get("fingerprint")
        if expected and loaded.fingerprint != expected:
            raise ModelError(
                f"the encoder ({loaded.fingerprint}) is not the one this model was trained with ({expected})"
            )
        embeddings = loaded.encode(views)
        combined = self.predict_proba(views, COMBINED, embeddings)
        return replace(self._classification(_agree(combined), COMBINED, k), linear_label=result.label)

    def _classification(self, probabilities: NDArray[np.float64], tier: str, k: int) -> Classification:
        order: list[int] = (-probabilities).argsort(kind="stable")[:k].tolist()
        values: list[float] = probabilities.tolist()  # Python floats at once, not one numpy scalar each
        top = tuple((self.labels[i], values[i]) for i in order)
        return Classification(
            label=top[0][0],
            confidence=top[0][1],
            top_k=top,
            model_version=self.version,
            tier=tier,
            threshold=self.tiers[tier].thresholds[order[0]],
        )


def _agree(probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    """The views' normalised geometric mean: exp(mean(log(clip(p, 1e-12, 1)))) / its sum, with ufuncs called
    directly (np.clip and .mean go through Python layers; the values are the same)."""
    log_p: NDArray[np.float64] = np.log(np.minimum(np.maximum(probabilities, 1e-12), 1.0))
    mean: NDArray[np.float64] = np.add.reduce(log_p, axis=0)
    mean /= len(log_p)
    mean -= np.maximum.reduce(mean)
    np.exp(mean, out=mean)
    mean /= np.add.reduce(mean)
    return mean


IntentModel = TextModel


@lru_cache(maxsize=8)
def load_model(directory: Path, head: str = "intent") -> TextModel:
    """One model per directory and head per process (Lambda keeps it warm across invocations)."""
    return TextModel(directory, head)
