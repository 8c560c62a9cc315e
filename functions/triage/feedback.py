"""Agents' feedback as training rows: their corrected labels and the approved FAQ questions (issue 7).

``triage train --data BASE.csv --feedback FEEDBACK`` merges them into the base data set. FEEDBACK is a folder (the
bucket's ``feedback/`` and ``faq/`` prefixes, downloaded with ``aws s3 sync``) or a JSONL file, holding any mix of:

- resolution records (``triage agent resolve``): the agent's ``agent_intent`` is the label, the escalation's
  ``key_points`` (the customer's own sentences, at most three) the text — a correction when the model read it wrong;
- FAQ entries with ``status: approved``: the canonical question and the example messages, labelled with the entry's
  ``intent``.

A label the base data does not have is kept only with at least ``min_new_label`` examples (a class needs enough
rows for cross-validation and a calibrated threshold); the others are counted and reported, never silently dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from triage.training import Dataset, TrainingError

MIN_NEW_LABEL = 20


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise TrainingError(f"{path}: no .json feedback records in this folder")
        for file in files:
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError) as error:
                raise TrainingError(f"{file}: not a JSON record ({type(error).__name__})") from None
            if isinstance(record, dict):
                yield str(file.relative_to(path)), record
        return
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TrainingError(f"{path}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise TrainingError(f"{path}: not UTF-8 (byte {error.start})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise TrainingError(f"{path}: line {number} is not JSON") from None
        if isinstance(record, dict):
            yield f"line {number}", record


def _rows(record: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(text, label, kind) pairs from one record."""
    if record.get("status") == "approved" and record.get("intent"):
        label = str(record["intent"])
        texts = [record.get("question"), *(record.get("members") or [])]
        for text in dict.fromkeys(str(text).strip() for text in texts if text):
            if text:
                yield text, label, "faq"
        return
    label = str(record.get("agent_intent") or "").strip()
    text = " ".join(str(point).strip() for point in record.get("key_points") or [] if str(point).strip())
    if label and text:
        # The agent desk writes what the model read as ``model_intent``.
        yield text, label, "correction" if label != record.get("model_intent") else "confirmation"


def merge_feedback(base: Dataset, feedback: Path, min_new_label: int = MIN_NEW_LABEL) -> Dataset:
    """``base`` plus the feedback rows (see the module docstring); ``extra["feedback"]`` says what was added."""
    known = set(base.labels)
    found: list[tuple[str, str, str]] = []
    for _, record in _records(feedback):
        found.extend(_rows(record))
    new_label_counts = Counter(label for _, label, _ in found if label not in known)
    kept = [row for row in found if row[1] in known or new_label_counts[row[1]] >= min_new_label]
    skipped_labels = {label: n for label, n in new_label_counts.items() if n < min_new_label}
    digest = hashlib.sha256(base.sha256.encode())
    for text, label, _ in kept:
        digest.update(f"\x1f{label}\x1e{text}".encode())
    stats = {
        "source": feedback.name,
        "rows_added": len(kept),
        "by_kind": dict(Counter(kind for _, _, kind in kept)),
        "new_labels": sorted(label for label in new_label_counts if label not in skipped_labels),
        "skipped_rare_new_labels": skipped_labels,
    }
    return Dataset(
        texts=[*base.texts, *(text for text, _, _ in kept)],
        labels=[*base.labels, *(label for _, label, _ in kept)],
        sha256=digest.hexdigest(),
        source=f"{base.source} + feedback:{feedback.name}",
        skipped=base.skipped,
        extra={**base.extra, "feedback": stats},
    )
