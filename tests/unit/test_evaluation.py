"""Evaluation against scikit-learn; calibration on synthetic sets; thresholds, temperature and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from triage.evaluation import evaluate, fit_temperature, per_label_thresholds, write_report

LABELS = ["a", "b", "c", "d", "e"]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sample(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One label index per row, drawn from that row's distribution."""
    return (rng.random((len(p), 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(max=p.shape[1] - 1)


def _random_set(seed: int, n: int = 600) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    proba = _softmax(rng.normal(size=(n, len(LABELS))) * 2)
    truth = rng.integers(0, len(LABELS), n)
    agree = rng.random(n) < 0.6
    truth[agree] = proba[agree].argmax(axis=1)
    y_true = [LABELS[i] for i in truth]
    y_true[:7] = ["zz_unknown"] * 7  # labels the model lacks: always wrong
    return y_true, proba


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluate_matches_scikit_learn(seed: int) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, proba = _random_set(seed)
    y_pred = [LABELS[i] for i in proba.argmax(axis=1)]
    result = evaluate(y_true, proba, LABELS)

    assert result["n"] == len(y_true)
    assert result["accuracy"] == pytest.approx(metrics.accuracy_score(y_true, y_pred))
    assert result["macro_f1"] == pytest.approx(
        metrics.f1_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert result["unknown_labels"] == ["zz_unknown"]
    names = [*LABELS, "zz_unknown"]
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=names, zero_division=0
    )
    for i, name in enumerate(names):
        got = result["per_label"][name]
        assert got["precision"] == pytest.approx(precision[i])
        assert got["recall"] == pytest.approx(recall[i])
        assert got["f1"] == pytest.approx(f1[i])
        assert got["support"] == support[i]
    json.dumps(result)  # JSON-ready


def test_full_confusion_matches_scikit_learn_and_top_pairs_are_its_largest_cells() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, proba = _random_set(3)
    y_pred = [LABELS[i] for i in proba.argmax(axis=1)]
    result = evaluate(y_true, proba, LABELS, full_confusion=True)
    names = [*LABELS, "zz_unknown"]
    assert result["labels"] == names
    expected = metrics.confusion_matrix(y_true, y_pred, labels=names)
    assert np.array_equal(np.array(result["confusion_matrix"]), expected)
    off = expected.copy()
    np.fill_diagonal(off, 0)
    top = result["confusion"]
    assert len(top) <= 20
    assert [count for _, _, count in top] == sorted(off[off > 0].tolist(), reverse=True)[: len(top)]
    for true, guess, count in top:
        assert true != guess
        assert expected[names.index(true), names.index(guess)] == count


def test_ece_is_near_zero_when_calibrated_and_large_when_over_confident() -> None:
    rng = np.random.default_rng(7)
    proba = _softmax(rng.normal(size=(40_000, 4)) * 1.5)
    calibrated = [LABELS[i] for i in _sample(rng, proba)]
    result = evaluate(calibrated, proba, LABELS[:4])
    assert result["ece"] < 0.02
    assert sum(b["count"] for b in result["reliability"]) == 40_000
    assert len(result["reliability"]) == 15

    # Same outcomes, claimed with sharper confidences than they deserve.
    over_confident = _softmax(np.log(proba) * 4)
    assert evaluate(calibrated, over_confident, LABELS[:4])["ece"] > 0.1


def test_coverage_at_target_precision_uses_one_global_threshold() -> None:
    # Confidences 0.95 .. 0.50; the two least confident rows are wrong, so 8 of 10 rows can be answered.
    confidence = np.linspace(0.95, 0.5, 10)
    proba = np.column_stack([confidence, 1 - confidence])
    y_true = ["a"] * 8 + ["b", "b"]
    result = evaluate(y_true, proba, ["a", "b"], target_precision=0.99)
    operating = result["coverage_at_target_precision"]
    assert operating["coverage"] == pytest.approx(0.8)
    assert operating["precision"] == 1.0
    assert operating["threshold"] == pytest.approx(confidence[7])
    curve = result["precision_coverage"]
    assert 1 <= len(curve) <= 101
    assert curve[-1]["coverage"] == 1.0
    assert curve[-1]["precision"] == pytest.approx(0.8)


def test_precision_coverage_curve_is_capped_and_ties_are_answered_together() -> None:
    rng = np.random.default_rng(1)
    proba = _softmax(rng.normal(size=(5000, 3)))
    y_true = [LABELS[i] for i in rng.integers(0, 3, 5000)]
    assert len(evaluate(y_true, proba, LABELS[:3])["precision_coverage"]) == 101

    tied = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4]])
    result = evaluate(["a", "b", "a"], tied, ["a", "b"], target_precision=0.5)
    assert [p["coverage"] for p in result["precision_coverage"]] == pytest.approx([2 / 3, 1.0])
    # Nothing reaches 99 %: the two 0.9 rows go together (precision 0.5), never just the right one.
    nothing = evaluate(["a", "b", "a"], tied, ["a", "b"])["coverage_at_target_precision"]
    assert nothing["coverage"] == 0.0
    assert nothing["threshold"] is None


def test_threshold_policy_answers_only_labels_with_a_threshold() -> None:
    proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8], [0.1, 0.9]])
    result = evaluate(["a", "b", "b", "b"], proba, ["a", "b"], thresholds={"a": 0.8, "b": None})
    policy = result["threshold_policy"]
    assert policy["answered"] == 1
    assert policy["coverage"] == 0.25
    assert policy["precision"] == 1.0
    assert policy["labels_enabled"] == 1


def test_per_label_thresholds_pick_the_lowest_qualifying_threshold() -> None:
    # Label "a": 30 rows predicted, confidences 0.99 down to 0.70; rows 25.. (conf < 0.75) are half wrong.
    confidence_a = np.linspace(0.99, 0.70, 30)
    truth_a = ["a"] * 25 + ["b", "a", "b", "a", "b"]
    # Label "b": only 5 rows predicted, all right: too few rows to ever qualify.
    confidence_b = np.full(5, 0.95)
    proba = np.vstack(
        [np.column_stack([confidence_a, 1 - confidence_a]), np.column_stack([1 - confidence_b, confidence_b])]
    )
    y_true = [*truth_a, *["b"] * 5]
    thresholds, coverage = per_label_thresholds(
        y_true, proba, ["a", "b"], target_precision=0.96, min_support=20
    )
    # 26 rows answered (the 26th wrong): precision 25/26 ≈ 0.9615 ≥ 0.96; 27 rows: 26/27 ≈ 0.963;
    # 28 rows: 26/28 ≈ 0.929, and never ≥ 0.96 again. The lowest qualifying threshold answers 27 rows.
    assert thresholds["a"] == pytest.approx(confidence_a[26])
    assert coverage["a"] == pytest.approx(26 / 27)  # 26 of the 27 true "a" rows answered correctly
    assert thresholds["b"] is None
    assert coverage["b"] == 0.0

    strict, _ = per_label_thresholds(y_true, proba, ["a", "b"], target_precision=0.99, min_support=20)
    assert strict["a"] == pytest.approx(confidence_a[24])  # the 25 right rows, nothing more
    assert per_label_thresholds(y_true, proba, ["a", "b"], min_support=26)[0]["a"] is None


def test_fit_temperature_recovers_the_scale_of_over_confident_logits() -> None:
    rng = np.random.default_rng(11)
    calibrated = rng.normal(size=(20_000, 6)) * 1.5
    y = _sample(rng, _softmax(calibrated))
    assert fit_temperature(2.0 * calibrated, y) == pytest.approx(2.0, rel=0.05)
    assert fit_temperature(calibrated, y) == pytest.approx(1.0, rel=0.05)
    with pytest.raises(ValueError, match="out of range"):
        fit_temperature(calibrated, np.full(len(y), 6))


def test_write_report_creates_the_figures_and_the_page(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    y_true, proba = _random_set(5)
    result = evaluate(y_true, proba, LABELS, thresholds={"a": 0.6, "b": None}, full_confusion=True)
    paths = write_report(result, tmp_path / "report", title="Unit <test>")
    names = {path.name for path in paths}
    assert names == {"confusion.png", "reliability.png", "precision_coverage.png", "index.html"}
    for path in paths:
        assert path.is_file()
        assert path.stat().st_size > 0
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Unit &lt;test&gt;" in page
    assert "zz_unknown" in page
    for name in ("confusion.png", "reliability.png", "precision_coverage.png"):
        assert (tmp_path / "report" / name).read_bytes()[:4] == b"\x89PNG"
        assert name in page
    # Without the full matrix the confusion figure falls back to the top pairs.
    assert len(write_report(evaluate(y_true, proba, LABELS), tmp_path / "small", title="small")) == 4
