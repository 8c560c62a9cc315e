"""REFERENCE §6 A1: one fixture per machine-mail signal (events/machine_mail): 0 automatic replies, none lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from test_pipeline import run_worker

from triage import local
from triage.classifier import IntentModel
from triage.service import read_email, triage_message
from triage.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "events" / "machine_mail"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def test_the_corpus_is_complete() -> None:
    assert len(MANIFEST) >= 30
    assert {entry["file"] for entry in MANIFEST} == {path.name for path in CORPUS.glob("*.eml")}


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_each_fixture_shows_its_signals_and_is_never_answered(
    entry: dict[str, Any], settings: Settings, model: IntentModel
) -> None:
    message = read_email((CORPUS / entry["file"]).read_bytes(), settings)
    expected = set(entry["signals"]) | set(entry.get("missing_signals", []))
    assert expected <= set(message.auto_signals) | ({"reply_to_auto_reply"} & expected)
    outcome = triage_message(message, model, settings)
    assert outcome.decision.action.value in {"no_reply", "escalate"}
    assert outcome.reply is None


def test_the_whole_corpus_through_the_stack_sends_nothing_and_loses_nothing(stack: local.Stack) -> None:
    s3 = boto3.client("s3", region_name=local.REGION)
    intake = local.handler_module("email_intake").handler
    for entry in MANIFEST:
        raw = (CORPUS / entry["file"]).read_bytes()
        key = f"inbound/{entry['file']}"
        s3.put_object(Bucket=stack.bucket, Key=key, Body=raw)
        intake(local.s3_put_event(stack.bucket, key, len(raw)), local.LambdaContext())
    run_worker(stack)

    assert local.sent_emails() == []
    records = s3.list_objects_v2(Bucket=stack.bucket, Prefix="decisions/")["Contents"]
    assert len(records) == len(MANIFEST)
    actions = [
        json.loads(s3.get_object(Bucket=stack.bucket, Key=record["Key"])["Body"].read())["decision"]["action"]
        for record in records
    ]
    assert set(actions) <= {"no_reply", "escalate"}
