"""The benchmark runs end to end and reports every figure (no assertion on speed anywhere)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from triage.bench import (
    _FLOOR,
    DEFAULT_EMAIL,
    DEFAULT_MODEL_DIR,
    _run_child,
    check_parity,
    child_environment,
    compile_functions,
    run_bench,
    run_deployed,
    sklearn_pipeline,
)
from triage.cli import EXIT_USAGE, main
from triage.features import normalise

POSITIVE_KEYS = (
    "cold_start_s",
    "cold_start_process_s",
    "baseline_cold_start_s",
    "baseline_cold_start_process_s",
    "cold_start_ratio",
    "import_floor_s",
    "import_floor_process_s",
    "pydantic_import_s",
    "rss_mb",
    "baseline_rss_mb",
    "warm_p50_ms",
    "warm_p99_ms",
    "throughput_msgs_per_s",
    "parse_p50_ms",
    "classify_p50_ms",
    "triage_p50_ms",
    "iterations",
    "mail_10mb_parse_s",
    "mail_40mb_parse_s",
    "mail_40mb_rss_mb",
    "encoded_words_8000_parse_s",
)

TINY_DATA = {
    "track_order": [
        "where is my order",
        "track my parcel #A-1234",
        "has my package shipped yet",
        "order status",
    ],
    "delivery_options": [
        "which delivery options do you offer",
        "can you ship to Canada",
        "express shipping?",
    ],
    "get_refund": ["I want my money back", "refund my purchase please", "how do I get a refund"],
}


def export_v2(pipeline: Any, out_dir: Path) -> Path:
    """Write a fitted FeatureUnion(word, char) → LogisticRegression pipeline as a format-2 intent artifact."""
    union, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    labels = [str(label) for label in model.classes_]
    arrays: dict[str, Any] = {
        "labels": np.array(labels),
        "linear_coef": model.coef_.astype(np.float64),
        "linear_intercept": model.intercept_.astype(np.float64),
    }
    for name, vectorizer in union.transformer_list:
        arrays[f"{name}_vocabulary"] = np.array([str(term) for term in vectorizer.get_feature_names_out()])
        arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float64)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_dir / "intent.npz", **arrays)
    digest = hashlib.sha256((out_dir / "intent.npz").read_bytes()).hexdigest()
    card = {
        "format_version": 2,
        "name": "triage-intent",
        "version": f"test-{digest[:8]}",
        "artifact_sha256": digest,
        "labels": labels,
        "features": [
            {"name": "word", "analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True},
            {"name": "char", "analyzer": "char", "ngram_range": [2, 5], "sublinear_tf": True},
        ],
        "tiers": {"linear": {"temperature": 1.5, "thresholds": {label: 0.5 for label in labels}}},
        "target_precision": 0.99,
    }
    (out_dir / "intent.card.json").write_text(json.dumps(card), encoding="utf-8")
    return out_dir


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    texts = [text for rows in TINY_DATA.values() for text in rows]
    labels = [label for label, rows in TINY_DATA.items() for _ in rows]
    union = FeatureUnion(
        [
            ("word", TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True)),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", preprocessor=normalise, ngram_range=(2, 5), sublinear_tf=True
                ),
            ),
        ]
    )
    pipeline = Pipeline([("features", union), ("model", LogisticRegression(C=10.0, max_iter=1000))]).fit(
        texts, labels
    )
    return export_v2(pipeline, tmp_path_factory.mktemp("tiny-model"))


def _loads_v2(model_dir: Path) -> None:
    """Skip (not fail) while triage.classifier still reads an older artifact format."""
    from triage.classifier import ModelError, load_model

    try:
        load_model(model_dir)
    except (ModelError, KeyError, TypeError) as error:
        pytest.skip(f"triage.classifier does not load the format-2 artifact in {model_dir} yet: {error}")


def _check(result: dict[str, Any], iterations: int) -> None:
    for key in POSITIVE_KEYS:
        assert isinstance(result[key], int | float), key
        assert result[key] > 0, key
    assert result["iterations"] == iterations
    assert set(result["cold_start_breakdown_s"]) == {"import_s", "model_load_s", "first_message_s"}
    assert set(result["interpreter_s"]) == {"ours", "baseline", "import_floor"}
    for split in result["interpreter_s"].values():
        assert split["startup_s"] > 0
        assert split["exit_s"] > 0
    assert result["python"]
    assert result["machine"]
    json.dumps(result)


def test_sklearn_rebuild_of_the_artifact_predicts_like_the_numpy_scorer(tiny_model_dir: Path) -> None:
    _loads_v2(tiny_model_dir)
    from triage.classifier import load_model

    model = load_model(tiny_model_dir)
    pipeline = sklearn_pipeline(tiny_model_dir)
    texts = ["where's my parcel?", "refund", "ship to Canada express", "", "Hello"]
    check_parity(pipeline, model, texts)
    # Same linear scores: the numpy scorer's calibrated probabilities are softmax(scikit-learn's scores / T).
    temperature = model.card["tiers"]["linear"]["temperature"]
    scores = pipeline.decision_function(texts) / temperature
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.max(np.abs(np.asarray(model.predict_proba(texts)) - expected)) < 1e-9


def test_run_bench_on_a_tiny_model_reports_every_figure(tiny_model_dir: Path) -> None:
    _loads_v2(tiny_model_dir)
    result = run_bench(tiny_model_dir, DEFAULT_EMAIL, iterations=30, repeats_cold=1)
    _check(result, 30)
    assert result["baseline_intent"] in TINY_DATA


def test_run_bench_on_the_bundled_model(tmp_path: Path) -> None:
    if not (DEFAULT_MODEL_DIR / "intent.card.json").is_file():
        pytest.skip(
            f"no format-2 model in {DEFAULT_MODEL_DIR} (intent.card.json missing): retrain with `make model`"
        )
    pytest.importorskip("sklearn")
    _loads_v2(DEFAULT_MODEL_DIR)
    result = run_bench(DEFAULT_MODEL_DIR, DEFAULT_EMAIL, iterations=50, repeats_cold=1)
    _check(result, 50)
    assert result["cold_start_decision"]["intent"] == result["baseline_intent"]


def test_the_floor_child_imports_pydantic_only_when_asked() -> None:
    """The floor's process time must not include pydantic: only the run that measures it imports it."""
    env = child_environment(DEFAULT_MODEL_DIR)
    plain = _run_child(_FLOOR, env, DEFAULT_EMAIL)
    measured = _run_child(_FLOOR, env, DEFAULT_EMAIL, "pydantic")
    assert plain["pydantic_s"] is None
    assert measured["pydantic_s"] > 0
    # The interpreter's start-up and exit are what the process's wall time adds to the child's own figure.
    assert plain["startup_s"] > 0
    assert plain["exit_s"] > 0
    assert plain["startup_s"] + plain["total_s"] + plain["exit_s"] <= plain["process_s"] + 0.005
    assert plain["total_s"] > 0
    assert measured["total_s"] > 0


def test_cold_children_find_the_functions_bytecode_even_where_caching_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    compile_functions(tmp_path)
    cached = {path.name.split(".")[0] for path in package.glob("__pycache__/*.pyc")}
    assert cached == {"__init__", "mod"}

    (package / "broken.py").write_text("def (:\n")
    with pytest.raises(RuntimeError, match="cannot compile"):
        compile_functions(tmp_path)


def test_deployed_bench_refuses_an_interpreter_it_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "python3.12")
    with pytest.raises(ValueError, match="cannot run"):
        run_deployed(missing, DEFAULT_MODEL_DIR, DEFAULT_EMAIL)
    # The command line says so in one line, with the usage exit code, no traceback.
    assert main(["bench", "--deployed", missing]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("triage: cannot run")
    assert "Traceback" not in err


def test_deployed_bench_needs_at_least_one_cold_start() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_deployed(sys.executable, DEFAULT_MODEL_DIR, DEFAULT_EMAIL, repeats_cold=0)
