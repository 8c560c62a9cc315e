"""``triage demo``: every sample email through the real handlers, on moto, and what came out of it."""

from __future__ import annotations

import json
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

from triage import local


def _decisions(bucket: str) -> dict[str, dict[str, Any]]:
    import boto3

    s3 = boto3.client("s3", region_name=local.REGION)
    records = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="decisions/"):
        for item in page.get("Contents", []):
            record = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            records[record["message_key"]] = record
    return records


def run_pipeline(eml_files: list[Path]) -> tuple[local.Stack, dict[str, dict[str, Any]]]:
    """Store each mail as SES would, run the intake handler on its S3 event, then the worker on the queue."""
    import boto3

    from triage import runtime

    stack = local.create_stack()
    with local.environment(stack.environment()):
        runtime.reset()
        intake = local.lambda_handler("email_intake")
        # drain_to_worker makes each batch one invocation (local.one_invocation_of_metrics).
        worker = local.handler_module("triage_worker").handler
        s3 = boto3.client("s3", region_name=local.REGION)
        for path in eml_files:
            raw = path.read_bytes()
            key = f"inbound/{path.stem}"
            s3.put_object(Bucket=stack.bucket, Key=key, Body=raw)
            intake(
                local.s3_put_event(stack.bucket, key, len(raw)),
                local.LambdaContext(function_name="email-intake"),
            )
        local.drain_to_worker(stack.triage_queue_url, worker)
        runtime.reset()
    return stack, _decisions(stack.bucket)


def _table(eml_files: list[Path], decisions: dict[str, dict[str, Any]]) -> str:
    rows = [("case", "intent", "conf.", "action", "reason")]
    for path in eml_files:
        record = decisions.get(path.stem)
        if record is None:
            rows.append((path.stem, "-", "-", "MISSING", "no decision recorded"))
            continue
        decision = record["decision"]
        detail = ", ".join(decision.get("detail", [])[:3])
        reason = decision["reason"] + (f" ({detail})" if detail else "")
        confidence = f"{decision['confidence']:.2f}" if decision.get("confidence") is not None else "-"
        rows.append((path.stem, decision.get("intent") or "-", confidence, decision["action"], reason))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
        if index == 0:
            lines.append("-" * (sum(widths) + 8 + max(len(r[4]) for r in rows)))
    return "\n".join(lines)


def run_demo(events_dir: Path, show_messages: bool = True, quiet: bool = True) -> int:
    from moto import mock_aws

    eml_files = sorted(events_dir.glob("*.eml"))
    if not eml_files:
        print(f"no .eml files in {events_dir}")
        return 2
    local.fake_credentials()
    from triage.observability import quiet_logs

    # The handlers' structured logs and metrics are for CloudWatch; the demo prints its own summary.
    hush = {"POWERTOOLS_METRICS_DISABLED": "true"} if quiet else {}
    with mock_aws(), local.environment(hush), quiet_logs("WARNING" if quiet else "INFO"):
        stack, decisions = run_pipeline(eml_files)
        sent = local.sent_emails()
        escalations = local.escalations(stack)
    counts = {
        action: sum(r["decision"]["action"] == action for r in decisions.values())
        for action in ("auto_reply", "escalate", "no_reply")
    }
    print(
        f"\n{len(eml_files)} emails through S3 → email intake → triage queue → worker (moto, bundled model)\n"
    )
    print(_table(eml_files, decisions))
    print(
        f"\nauto-replied {counts['auto_reply']} · escalated {counts['escalate']} · no reply {counts['no_reply']}"
        f" · SES sent {len(sent)} · escalation queue holds {len(escalations)}"
        f" · missing {len(eml_files) - len(decisions)}"
    )
    if show_messages and sent:
        reply = message_from_bytes(sent[0]["raw"], policy=email_policy.default)
        print("\n=== one auto-reply, as SES sent it ===")
        for name in (
            "From",
            "To",
            "Subject",
            "In-Reply-To",
            "References",
            "Auto-Submitted",
            "X-Auto-Response-Suppress",
            "Message-ID",
        ):
            print(f"{name}: {reply.get(name, '')}")
        body = reply.get_body(("plain",))
        print()
        print(body.get_content().strip() if body is not None else "")
    if show_messages and escalations:
        from triage.agent import Pulled, render_escalation

        shown = dict(escalations[0])
        queue = str(shown.pop("_queue", ""))
        print(f"\n=== one escalation, as `triage agent pull` shows it (queue {queue}) ===")
        print(
            render_escalation(
                Pulled(
                    id="(demo)",
                    escalation=shown,
                    priority=str(shown.get("priority") or "normal"),
                    team=str(shown.get("team") or "general"),
                    receive_count=1,
                    segment=shown.get("segment"),
                )
            )
        )
    return 0 if len(decisions) == len(eml_files) else 1
