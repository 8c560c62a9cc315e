"""``triage faq``: mine FAQ drafts, list and show them, approve or reject them, measure the thresholds.

Offline: ``triage faq mine --data FILE.csv --json`` clusters a CSV/JSONL's text column and prints a JSON list
(``question``, ``intent``, ``size``, ``members``: all member texts). When the file has the label column
(default ``category``; naming one that is missing is an error), each draft's intent is its members' majority
label and the quality figures (purity, coverage, n_clusters, mean_size) go to **stderr** as one JSON line, so
stdout stays the list.

Online: ``triage faq mine [--since 7d]`` reads the agents' feedback records (``feedback/`` in the bucket, see
:func:`triage.faq.messages_from_feedback`), mines them and stores the new drafts as ``pending`` under
``faq/``. ``list``, ``show``, ``approve`` and ``reject`` work on those drafts. The bucket is ``--bucket``,
else ``$FEEDBACK_BUCKET``, else ``$DECISION_LOG_BUCKET``; ``--endpoint-url`` points at moto or LocalStack.

Errors are one sentence on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from triage.faq import (
    CLUSTER_THRESHOLD,
    MIN_SIZE,
    STATUSES,
    FaqDraft,
    FaqError,
    FaqStore,
    MinedMessage,
    S3FaqStore,
    approve,
    cluster_quality,
    messages_from_feedback,
    mine,
    reject,
    to_json,
)

EXIT_OK = 0
EXIT_USAGE = 2
_SINCE = re.compile(r"^(\d+)([dhw])$")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``faq`` and its subcommands to the ``triage`` parser."""
    faq = sub.add_parser("faq", help="FAQ drafts from repeated questions: mine, list, show, approve, reject")
    faq.add_argument(
        "--bucket",
        default=os.environ.get("FEEDBACK_BUCKET") or os.environ.get("DECISION_LOG_BUCKET"),
        help="bucket with feedback/ and faq/ (default: $FEEDBACK_BUCKET or $DECISION_LOG_BUCKET)",
    )
    faq.add_argument("--endpoint-url", help="S3 endpoint (moto, LocalStack); default: AWS")
    faq.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's)")
    faq.add_argument("--prefix", default="faq/", help="key prefix of the drafts (default: %(default)s)")
    actions = faq.add_subparsers(dest="faq_command", required=True)

    p = actions.add_parser("mine", help="cluster repeated questions into drafts (--data: a CSV, offline)")
    p.add_argument("--data", type=Path, help="CSV with a header or JSONL: offline mode, nothing is stored")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", help="labels for purity/coverage (default: 'category' when present)")
    p.add_argument(
        "--since", default="7d", help="online: feedback resolved in this window (e.g. 7d, 12h, 2w)"
    )
    p.add_argument("--min-size", type=int, default=MIN_SIZE, help="smallest cluster (default: %(default)s)")
    p.add_argument("--threshold", type=float, default=CLUSTER_THRESHOLD, help="cosine (default: %(default)s)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_mine)

    p = actions.add_parser("list", help="the drafts, oldest first")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = actions.add_parser("show", help="one draft in full")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = actions.add_parser("approve", help="approve a draft (with its proposed answer or --edit FILE)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--edit", type=Path, metavar="FILE", help="the answer to publish, as plain text")
    p.add_argument("--reviewer", default=os.environ.get("USER"), help="your name (default: $USER)")
    p.set_defaults(func=cmd_approve)

    p = actions.add_parser("reject", help="reject a draft: its question is never proposed again")
    p.add_argument("id", metavar="ID")
    p.add_argument("--reviewer", default=os.environ.get("USER"), help="your name (default: $USER)")
    p.set_defaults(func=cmd_reject)

    p = actions.add_parser("measure", help="measure the clustering and match thresholds on labelled CSVs")
    p.add_argument("--dev", type=Path, required=True, help="labelled CSV to choose thresholds on")
    p.add_argument("--test", type=Path, help="labelled CSV to report the chosen match threshold on")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="category")
    p.add_argument("--limit", type=int, default=3000, help="dev rows sampled (default: %(default)s)")
    p.add_argument("--target-precision", type=float, default=0.99)
    p.set_defaults(func=cmd_measure)


@contextmanager
def _errors() -> Iterator[None]:
    from triage.encoder import EncoderError
    from triage.training import TrainingError

    try:
        yield
    except (FaqError, TrainingError, EncoderError) as error:
        raise _Exit(str(error)) from None


class _Exit(Exception):
    pass


def _run(action: Callable[[], int]) -> int:
    from triage.observability import logger

    level = logger.log_level
    logger.setLevel("ERROR")  # the service's JSON logs go to stdout, where the answer is read or piped
    try:
        with _errors():
            return action()
    except _Exit as error:
        print(f"triage: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        logger.setLevel(level)


def _s3(args: argparse.Namespace) -> Any:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    return session.client("s3", endpoint_url=args.endpoint_url)


def build_store(args: argparse.Namespace) -> FaqStore:
    if not args.bucket:
        raise FaqError("no bucket: pass --bucket or set DECISION_LOG_BUCKET")
    return S3FaqStore(_s3(args), args.bucket, args.prefix)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    match = _SINCE.match(value.strip())
    if not match:
        raise FaqError(f"--since {value!r}: write a number and d, h or w (e.g. 7d)")
    count, unit = int(match.group(1)), match.group(2)
    span = {"d": timedelta(days=count), "h": timedelta(hours=count), "w": timedelta(weeks=count)}[unit]
    return (now or datetime.now(UTC)) - span


def read_labelled(
    path: Path, text_column: str, label_column: str | None, limit: int | None = None
) -> tuple[list[MinedMessage], bool]:
    """Rows of a CSV/JSONL as messages (row keys ``#<index>``); whether labels were read."""
    from triage.training import TrainingError, read_rows, require_columns

    rows, _ = read_rows(path)
    if not rows:
        raise TrainingError(f"{path}: no rows (a CSV needs a header line and at least one row)")
    require_columns(path, rows, text_column)
    label = label_column
    if label is None:
        label = "category" if "category" in rows[0] else None
    elif label not in rows[0]:
        require_columns(path, rows, label)
    messages = []
    for row in rows[:limit] if limit else rows:
        text = str(row.get(text_column) or "").strip()
        tag = str(row.get(label) or "").strip() or None if label else None
        messages.append(MinedMessage(text=text, label=tag, intent=tag))
    if not any(m.text for m in messages):
        raise TrainingError(f"{path}: every {text_column!r} is empty")
    return messages, label is not None


def cmd_mine(args: argparse.Namespace) -> int:
    return _run(lambda: _mine_offline(args) if args.data else _mine_online(args))


def _mine_offline(args: argparse.Namespace) -> int:
    messages, labelled = read_labelled(args.data, args.text_column, args.label_column)
    drafts = mine(messages, min_size=args.min_size, threshold=args.threshold, max_members=None)
    if args.json:
        print(to_json(drafts))
    else:
        for draft in drafts:
            print(f"{draft.size:5d}  {draft.intent or '-':28s}  {draft.question}")
    if labelled:
        print(json.dumps({"quality": cluster_quality(drafts, messages)}), file=sys.stderr)
    return EXIT_OK


def _mine_online(args: argparse.Namespace) -> int:
    from triage.agent import AgentError, read_feedback

    since = parse_since(args.since)
    store = build_store(args)
    try:
        records = read_feedback(_s3(args), args.bucket, since=since)
    except AgentError as error:
        raise FaqError(str(error)) from None
    messages = messages_from_feedback(records)
    drafts = mine(messages, min_size=args.min_size, threshold=args.threshold, known=store.list())
    stored = [draft for draft in drafts if store.put(draft, overwrite=False)]
    if args.json:
        print(json.dumps([_row(d) for d in stored], indent=2))
    else:
        print(
            f"{len(messages)} feedback records since {since:%Y-%m-%d %H:%M}; {len(stored)} new pending drafts"
        )
        for draft in stored:
            print(f"  {draft.id}  {draft.size:4d}  {draft.question}")
    return EXIT_OK


def _row(draft: FaqDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "status": draft.status,
        "question": draft.question,
        "intent": draft.intent,
        "size": draft.size,
        "has_answer": draft.answer is not None,
    }


def cmd_list(args: argparse.Namespace) -> int:
    def action() -> int:
        drafts = build_store(args).list(args.status)
        if args.json:
            print(json.dumps([_row(d) for d in drafts], indent=2))
        elif not drafts:
            print("no FAQ drafts" + (f" with status {args.status}" if args.status else ""))
        else:
            for draft in drafts:
                print(f"{draft.id}  {draft.status:8s}  {draft.size:4d}  {draft.question}")
        return EXIT_OK

    return _run(action)


def render(draft: FaqDraft) -> str:
    lines = [
        f"{draft.id}  ({draft.status})",
        f"Question: {draft.question}",
        f"Intent:   {draft.intent or '-'}",
        f"Size:     {draft.size} messages",
        f"Created:  {draft.created_at:%Y-%m-%d %H:%M}",
    ]
    if draft.reviewed_at:
        lines.append(f"Reviewed: {draft.reviewed_at:%Y-%m-%d %H:%M} by {draft.reviewer or '-'}")
    lines += ["Examples:", *(f"  - {member}" for member in draft.members)]
    lines += [
        "Answer:",
        f"  {draft.answer}" if draft.answer else "  (none proposed: approve with --edit FILE)",
    ]
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    def action() -> int:
        draft = build_store(args).get(args.id)
        print(draft.model_dump_json(indent=2, exclude={"embedding"}) if args.json else render(draft))
        return EXIT_OK

    return _run(action)


def cmd_approve(args: argparse.Namespace) -> int:
    def action() -> int:
        answer = None
        if args.edit is not None:
            try:
                answer = args.edit.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise FaqError(f"{args.edit}: cannot read the answer ({error})") from None
        draft = approve(build_store(args), args.id, answer=answer, reviewer=args.reviewer)
        print(f"{draft.id} approved: it answers matching messages from now on")
        return EXIT_OK

    return _run(action)


def cmd_reject(args: argparse.Namespace) -> int:
    def action() -> int:
        draft = reject(build_store(args), args.id, args.reviewer)
        print(f"{draft.id} rejected: this question will not be proposed again")
        return EXIT_OK

    return _run(action)


def cmd_measure(args: argparse.Namespace) -> int:
    def action() -> int:
        import numpy as np

        from triage.faq import default_embed, evaluate_threshold, measure_threshold, sweep_clustering

        embed = default_embed()
        dev, _ = read_labelled(args.dev, args.text_column, args.label_column)
        random.Random(7).shuffle(dev)  # noqa: S311 - a reproducible sample of a file sorted by label
        dev = [m for m in dev[: args.limit] if m.text and m.label]
        vectors = np.asarray(embed([m.text for m in dev]))
        labels = [str(m.label) for m in dev]
        report: dict[str, Any] = {
            "dev": {"file": str(args.dev), "rows": len(dev)},
            "clustering": sweep_clustering(vectors[:2000], labels[:2000]),
            "match": measure_threshold(vectors, labels, target_precision=args.target_precision),
        }
        if args.test:
            test, _ = read_labelled(args.test, args.text_column, args.label_column)
            test = [m for m in test if m.text and m.label]
            chosen = report["match"]["chosen"]["threshold"]
            report["test"] = {
                "file": str(args.test),
                "rows": len(test),
                **evaluate_threshold(
                    np.asarray(embed([m.text for m in test])), [str(m.label) for m in test], chosen
                ),
            }
        print(json.dumps(report, indent=2))
        return EXIT_OK

    return _run(action)
