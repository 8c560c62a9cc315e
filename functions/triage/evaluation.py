"""How good, how calibrated and how safe to automate a classifier: metrics, thresholds, temperature, report.

Everything here works on probabilities (rows × labels) and true labels, with numpy alone, so it runs on
cross-validated out-of-fold probabilities at training time and on any held-out set afterwards. Only
:func:`write_report` needs matplotlib, imported when it is called.

Conventions:
- The prediction of a row is its most probable label; its *confidence* is that probability.
- A confidence threshold ``t`` answers the rows with confidence ``≥ t``. Rows with equal confidence are always
  answered together, so every threshold reported is the confidence of the least confident answered row.
- Labels in ``y_true`` that the model does not know count as errors wherever they appear.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_CURVE_POINTS = 101
TOP_CONFUSIONS = 20


def _prepare(
    y_true: Sequence[str], proba: NDArray[Any], labels: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], list[str], list[str]]:
    """(probabilities, true index or -1, predicted index, model labels, true labels the model lacks)."""
    probabilities = np.asarray(proba, dtype=np.float64)
    names = [str(label) for label in labels]
    if probabilities.ndim != 2 or probabilities.shape[1] != len(names):
        raise ValueError(f"proba has shape {probabilities.shape}; expected (rows, {len(names)})")
    if probabilities.shape[0] != len(y_true):
        raise ValueError(f"{len(y_true)} true labels for {probabilities.shape[0]} rows of probabilities")
    if len(set(names)) != len(names):
        raise ValueError("labels are not unique")
    index = {name: i for i, name in enumerate(names)}
    truth = [str(label) for label in y_true]
    y_index = np.fromiter((index.get(label, -1) for label in truth), dtype=np.int64, count=len(truth))
    unknown = sorted({label for label in truth if label not in index})
    predicted = probabilities.argmax(axis=1).astype(np.int64) if len(truth) else np.empty(0, dtype=np.int64)
    return probabilities, y_index, predicted, names, unknown


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _cut_points(confidence: NDArray[np.float64], correct: NDArray[np.bool_]) -> tuple[NDArray[Any], ...]:
    """Every distinct confidence threshold, most confident first: (answered, correct answered, threshold).

    Row ``i`` of each array describes the threshold equal to the ``i``-th largest distinct confidence.
    """
    if confidence.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    order = np.argsort(-confidence, kind="stable")
    ordered = confidence[order]
    cumulative_correct = np.cumsum(correct[order])
    # The last row of each run of equal confidences: a threshold answers the whole run or none of it.
    ends = np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))
    return ends + 1, cumulative_correct[ends], ordered[ends]


def _curve(
    answered: NDArray[Any], right: NDArray[Any], thresholds: NDArray[Any], n: int
) -> list[dict[str, float]]:
    if answered.size == 0:
        return []
    picks = np.unique(np.round(np.linspace(0, answered.size - 1, min(MAX_CURVE_POINTS, answered.size))))
    return [
        {
            "coverage": float(answered[i] / n),
            "precision": float(right[i] / answered[i]),
            "threshold": float(thresholds[i]),
        }
        for i in picks.astype(np.int64).tolist()
    ]


def _coverage_at(
    answered: NDArray[Any], right: NDArray[Any], thresholds: NDArray[Any], n: int, target: float
) -> dict[str, Any]:
    """The most rows one global threshold can answer with precision ≥ target (precision is not monotone)."""
    result: dict[str, Any] = {
        "target_precision": target,
        "coverage": 0.0,
        "precision": None,
        "threshold": None,
        "answered": 0,
    }
    if answered.size == 0:
        return result
    ok = np.flatnonzero(right >= target * answered - 1e-12)
    if ok.size == 0:
        return result
    best = int(ok[-1])
    result.update(
        coverage=float(answered[best] / n),
        precision=float(right[best] / answered[best]),
        threshold=float(thresholds[best]),
        answered=int(answered[best]),
    )
    return result


def evaluate(
    y_true: Sequence[str],
    proba: NDArray[Any],
    labels: Sequence[str],
    *,
    thresholds: Mapping[str, float | None] | None = None,
    target_precision: float = 0.99,
    bins: int = 15,
    full_confusion: bool = False,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label scores, calibration and what can be automated at ``target_precision``.

    ``macro_f1`` averages over the labels that occur in ``y_true`` or among the predictions (scikit-learn's
    ``f1_score(average="macro")``); ``per_label`` lists every model label, then the unknown true labels.
    With ``thresholds`` (per label; None = never answered) the result has ``threshold_policy``.
    With ``full_confusion`` it has ``labels`` and ``confusion_matrix`` (rows: true, columns: predicted).
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    probabilities, y_index, predicted, names, unknown = _prepare(y_true, proba, labels)
    n = len(y_index)
    confidence = probabilities.max(axis=1) if n else np.empty(0, dtype=np.float64)
    correct = predicted == y_index

    # Confusion over model labels followed by the unknown true labels (never predicted: columns of zeros).
    all_names = [*names, *unknown]
    true_full = y_index.copy()
    if unknown:
        extra = {label: len(names) + i for i, label in enumerate(unknown)}
        for row in np.flatnonzero(y_index < 0).tolist():
            true_full[row] = extra[str(y_true[row])]
    size = len(all_names)
    matrix = np.bincount(true_full * size + predicted, minlength=size * size).reshape(size, size)

    tp = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    predicted_count = matrix.sum(axis=0).astype(np.float64)
    per_label: dict[str, dict[str, float | int]] = {}
    f1_scores = np.zeros(size)
    for i, name in enumerate(all_names):
        f1_scores[i] = _ratio(2 * tp[i], support[i] + predicted_count[i])
        per_label[name] = {
            "precision": _ratio(tp[i], predicted_count[i]),
            "recall": _ratio(tp[i], support[i]),
            "f1": float(f1_scores[i]),
            "support": int(support[i]),
        }
    present = (support > 0) | (predicted_count > 0)
    macro_f1 = float(f1_scores[present].mean()) if present.any() else 0.0

    # Calibration of the top-1 confidence: equal-width bins over [0, 1]; a confidence of 1 joins the last bin.
    bin_of = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    counts = np.bincount(bin_of, minlength=bins)
    confidence_sum = np.bincount(bin_of, weights=confidence, minlength=bins)
    correct_sum = np.bincount(bin_of, weights=correct.astype(np.float64), minlength=bins)
    reliability: list[dict[str, Any]] = []
    ece = 0.0
    for b in range(bins):
        count = int(counts[b])
        mean_confidence = float(confidence_sum[b] / count) if count else None
        accuracy = float(correct_sum[b] / count) if count else None
        if count:
            ece += count / n * abs(float(correct_sum[b] - confidence_sum[b]) / count)
        reliability.append(
            {
                "lower": b / bins,
                "upper": (b + 1) / bins,
                "count": count,
                "confidence": mean_confidence,
                "accuracy": accuracy,
            }
        )

    answered, right, cut_thresholds = _cut_points(confidence, correct)
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0)
    rows, columns = np.nonzero(off_diagonal)
    pairs = [
        (int(off_diagonal[i, j]), all_names[i], all_names[j])
        for i, j in zip(rows.tolist(), columns.tolist(), strict=True)
    ]
    pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))

    result: dict[str, Any] = {
        "n": n,
        "accuracy": float(correct.mean()) if n else 0.0,
        "macro_f1": macro_f1,
        "per_label": per_label,
        "unknown_labels": unknown,
        "ece": float(ece),
        "bins": bins,
        "reliability": reliability,
        "coverage_at_target_precision": _coverage_at(answered, right, cut_thresholds, n, target_precision),
        "precision_coverage": _curve(answered, right, cut_thresholds, n),
        "confusion": [[true, guess, count] for count, true, guess in pairs[:TOP_CONFUSIONS]],
    }
    if thresholds is not None:
        result["threshold_policy"] = _threshold_policy(thresholds, names, predicted, confidence, correct)
    if full_confusion:
        result["labels"] = all_names
        result["confusion_matrix"] = matrix.tolist()
    return result


def _threshold_policy(
    thresholds: Mapping[str, float | None],
    names: Sequence[str],
    predicted: NDArray[np.int64],
    confidence: NDArray[np.float64],
    correct: NDArray[np.bool_],
) -> dict[str, Any]:
    """A row is answered when its predicted label has a threshold and its confidence reaches it."""
    limits = [thresholds.get(name) for name in names]
    per_label = np.array([math.inf if limit is None else float(limit) for limit in limits])
    n = len(predicted)
    answered = confidence >= per_label[predicted] if n else np.zeros(0, dtype=bool)
    count = int(answered.sum())
    return {
        "coverage": _ratio(count, n),
        "precision": float(correct[answered].mean()) if count else None,
        "answered": count,
        "answered_correctly": _ratio(int((answered & correct).sum()), n),
        "labels_enabled": sum(1 for name in names if thresholds.get(name) is not None),
    }


def per_label_thresholds(
    y_true: Sequence[str],
    proba: NDArray[Any],
    labels: Sequence[str],
    *,
    target_precision: float = 0.99,
    min_support: int = 20,
) -> tuple[dict[str, float | None], dict[str, float]]:
    """Per label, the lowest confidence threshold at which answering that label is precise enough.

    Among the rows predicted as the label with confidence ≥ t there must be at least ``min_support`` rows and
    a precision ≥ ``target_precision``; None when no threshold qualifies (the label is never auto-eligible).
    Also returns, per label, the expected coverage: the share of its true rows answered (correctly) under it.
    """
    probabilities, y_index, predicted, names, _ = _prepare(y_true, proba, labels)
    confidence = probabilities.max(axis=1) if len(y_index) else np.empty(0, dtype=np.float64)
    correct = predicted == y_index
    chosen: dict[str, float | None] = {}
    coverage: dict[str, float] = {}
    for j, name in enumerate(names):
        rows = predicted == j
        answered, right, cut_thresholds = _cut_points(confidence[rows], correct[rows])
        ok = np.flatnonzero((answered >= min_support) & (right >= target_precision * answered - 1e-12))
        if ok.size == 0:
            chosen[name], coverage[name] = None, 0.0
            continue
        best = int(ok[-1])  # the most rows answered = the lowest threshold
        chosen[name] = float(cut_thresholds[best])
        coverage[name] = _ratio(int(right[best]), int((y_index == j).sum()))
    return chosen, coverage


def _nll(logits: NDArray[np.float64], y_index: NDArray[np.int64], temperature: float) -> float:
    scaled = logits / temperature
    top = scaled.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scaled - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_norm - scaled[np.arange(len(y_index)), y_index]))


def fit_temperature(
    logits: NDArray[Any],
    y_index: NDArray[Any],
    *,
    lower: float = 0.05,
    upper: float = 20.0,
    tol: float = 1e-5,
) -> float:
    """The temperature T minimising the negative log-likelihood of ``softmax(logits / T)``.

    Golden-section search on log T in [lower, upper]: the NLL is convex in 1/T, hence unimodal in log T.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y_index, dtype=np.int64)
    if z.ndim != 2 or y.shape != (z.shape[0],) or z.shape[0] == 0:
        raise ValueError(
            f"need logits (rows × labels) and one label index per row; got {z.shape} and {y.shape}"
        )
    if y.min() < 0 or y.max() >= z.shape[1]:
        raise ValueError("label indices out of range")
    if not 0 < lower < upper:
        raise ValueError("need 0 < lower < upper")
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = math.log(lower), math.log(upper)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = _nll(z, y, math.exp(c)), _nll(z, y, math.exp(d))
    while b - a > tol:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = _nll(z, y, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = _nll(z, y, math.exp(d))
    return float(math.exp((a + b) / 2.0))


# --- report -------------------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f} %"


def _plot_confusion(result: Mapping[str, Any], path: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import PowerNorm
    from matplotlib.figure import Figure

    pairs = list(result.get("confusion", []))
    names = result.get("labels")
    matrix = result.get("confusion_matrix")
    if names is None or matrix is None:
        # No full matrix in the result: the most frequent confusions alone.
        figure = Figure(figsize=(9, 6), layout="constrained")
        FigureCanvasAgg(figure)
        bars = figure.add_subplot()
        _confusion_bars(bars, pairs)
        figure.suptitle(f"{title}: most frequent confusions")
        figure.savefig(path, dpi=110)
        return
    counts = np.asarray(matrix, dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = len(names)
    side = min(max(6.0, 0.16 * size + 3.0), 22.0)
    font = max(3.5, min(9.0, 420.0 / max(size, 1)))
    figure = Figure(figsize=(side + 7.0, side), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(1, 2, width_ratios=[side, 6.0])
    heat = figure.add_subplot(grid[0, 0])
    # A power norm keeps 1 % confusions visible next to a 99 % diagonal.
    image = heat.imshow(normalised, cmap="Blues", norm=PowerNorm(gamma=0.35, vmin=0.0, vmax=1.0))
    heat.set_xticks(range(size), labels=names, rotation=90, fontsize=font)
    heat.set_yticks(range(size), labels=names, fontsize=font)
    heat.set_xlabel("predicted")
    heat.set_ylabel("true")
    heat.set_title("share of each true label (rows sum to 1; colour on a power scale)", fontsize=9)
    figure.colorbar(image, ax=heat, shrink=0.6, label="share of row")
    _confusion_bars(figure.add_subplot(grid[0, 1]), pairs)
    figure.suptitle(f"{title}: confusion matrix")
    figure.savefig(path, dpi=110)


def _confusion_bars(axes: Any, pairs: Sequence[Sequence[Any]]) -> None:
    if not pairs:
        axes.text(0.5, 0.5, "no confusions", ha="center", va="center")
        axes.set_axis_off()
        return
    shown = list(reversed(pairs))
    axes.barh(range(len(shown)), [int(count) for _, _, count in shown], color="#c44e52")
    axes.set_yticks(range(len(shown)), labels=[f"{true} → {guess}" for true, guess, _ in shown], fontsize=7)
    axes.set_xlabel("rows")
    axes.set_title(f"top {len(shown)} confusions (true → predicted)", fontsize=9)


def _plot_reliability(result: Mapping[str, Any], path: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bins = result["reliability"]
    centres = [(b["lower"] + b["upper"]) / 2 for b in bins]
    width = bins[0]["upper"] - bins[0]["lower"] if bins else 0.1
    figure = Figure(figsize=(7, 7.5), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    filled = [(c, b) for c, b in zip(centres, bins, strict=True) if b["count"]]
    top.bar(
        [c for c, _ in filled],
        [b["accuracy"] for _, b in filled],
        width=width * 0.95,
        color="#4c72b0",
        edgecolor="white",
        label="accuracy in bin",
    )
    top.plot(
        [b["confidence"] for _, b in filled],
        [b["accuracy"] for _, b in filled],
        "o",
        color="#dd8452",
        markersize=4,
        label="(mean confidence, accuracy)",
    )
    top.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfect calibration")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.legend(loc="upper left", fontsize=8)
    top.set_title(f"{title}: reliability (ECE {100 * result['ece']:.2f} %, {result['n']} rows)")
    bottom.bar(centres, [b["count"] for b in bins], width=width * 0.95, color="#8c8c8c")
    if any(b["count"] for b in bins):
        bottom.set_yscale("log")
    bottom.set_xlabel("top-1 confidence")
    bottom.set_ylabel("rows")
    figure.savefig(path, dpi=110)


def _plot_precision_coverage(result: Mapping[str, Any], path: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curve = result["precision_coverage"]
    operating = result["coverage_at_target_precision"]
    target = float(operating["target_precision"])
    figure = Figure(figsize=(7, 5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(
        [p["coverage"] for p in curve],
        [p["precision"] for p in curve],
        color="#4c72b0",
        label="one threshold",
    )
    axes.axhline(target, linestyle="--", color="#c44e52", linewidth=1, label=f"target {100 * target:g} %")
    if operating["threshold"] is not None:
        axes.plot(
            [operating["coverage"]],
            [operating["precision"]],
            "o",
            color="#c44e52",
            label=f"one threshold t={operating['threshold']:.3f}: coverage {_percent(operating['coverage'])}",
        )
    policy = result.get("threshold_policy")
    if policy and policy.get("precision") is not None:
        axes.plot(
            [policy["coverage"]],
            [policy["precision"]],
            "s",
            color="#55a868",
            label=f"per-label thresholds: coverage {_percent(policy['coverage'])}",
        )
    lowest = min([p["precision"] for p in curve] + [target])
    axes.set_xlim(0, 1)
    axes.set_ylim(max(0.0, lowest - 0.02), 1.005)
    axes.set_xlabel("coverage (share of rows answered)")
    axes.set_ylabel("precision among answered rows")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left", fontsize=8)
    axes.set_title(f"{title}: precision vs coverage")
    figure.savefig(path, dpi=110)


def _html(result: Mapping[str, Any], title: str) -> str:
    operating = result["coverage_at_target_precision"]
    threshold = operating["threshold"]
    summary = [
        ("rows", str(result["n"])),
        ("accuracy", _percent(result["accuracy"])),
        ("macro-F1", _percent(result["macro_f1"])),
        (f"ECE (top-1, {result.get('bins', len(result['reliability']))} bins)", _percent(result["ece"])),
        (
            f"coverage at {100 * operating['target_precision']:g} % precision (one threshold)",
            f"{_percent(operating['coverage'])}"
            + (
                ""
                if threshold is None
                else f" (threshold {threshold:.4f}, precision {_percent(operating['precision'])})"
            ),
        ),
    ]
    policy = result.get("threshold_policy")
    if policy:
        summary.append(
            (
                "per-label thresholds",
                f"coverage {_percent(policy['coverage'])}, precision {_percent(policy['precision'])}, "
                f"{policy['labels_enabled']} labels enabled",
            )
        )
    if result.get("unknown_labels"):
        summary.append(("true labels the model lacks", ", ".join(result["unknown_labels"])))
    ordered = sorted(result["per_label"].items(), key=lambda item: (item[1]["f1"], item[0]))
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{e(name)}</td><td>{s['precision']:.4f}</td><td>{s['recall']:.4f}</td>"
        f"<td>{s['f1']:.4f}</td><td>{s['support']}</td></tr>"
        for name, s in ordered
    )
    confusions = "\n".join(
        f"<tr><td>{e(str(true))}</td><td>{e(str(guess))}</td><td>{count}</td></tr>"
        for true, guess, count in result["confusion"]
    )
    facts = "\n".join(f"<tr><th>{e(key)}</th><td>{e(value)}</td></tr>" for key, value in summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1400px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
td:not(:first-child) {{ font-variant-numeric: tabular-nums; }}
img {{ max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }}
</style></head><body>
<h1>{e(title)}</h1>
<table>{facts}</table>
<h2>Precision vs coverage</h2><img src="precision_coverage.png" alt="precision vs coverage">
<h2>Calibration</h2><img src="reliability.png" alt="reliability diagram">
<h2>Confusion</h2><img src="confusion.png" alt="confusion matrix">
<h2>Most frequent confusions</h2>
<table><tr><th>true</th><th>predicted</th><th>rows</th></tr>
{confusions}
</table>
<h2>Per label (worst F1 first)</h2>
<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{rows}
</table>
</body></html>
"""


def write_report(result: Mapping[str, Any], out_dir: Path, *, title: str) -> list[Path]:
    """``confusion.png``, ``reliability.png``, ``precision_coverage.png`` and ``index.html`` in ``out_dir``.

    ``result`` comes from :func:`evaluate`; with ``full_confusion=True`` the confusion figure shows the whole
    row-normalised matrix, otherwise only the most frequent confusions. Needs matplotlib (``train`` extra).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "confusion.png", out_dir / "reliability.png", out_dir / "precision_coverage.png"]
    _plot_confusion(result, paths[0], title)
    _plot_reliability(result, paths[1], title)
    _plot_precision_coverage(result, paths[2], title)
    index = out_dir / "index.html"
    index.write_text(_html(result, title), encoding="utf-8")
    return [*paths, index]
