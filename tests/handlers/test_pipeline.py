"""The whole path on moto: .eml in S3 → email intake handler → triage queue → worker → SES or escalation queue."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from triage import local, runtime

EVENTS = Path(__file__).resolve().parents[2] / "events" / "email"


def deliver(stack: local.Stack, name: str, key: str | None = None, times: int = 1) -> None:
    """SES stores the mail; S3 notifies the intake function (``times`` > 1: a duplicate notification)."""
    raw = (EVENTS / f"{name}.eml").read_bytes()
    key = key or f"inbound/{name}"
    boto3.client("s3", region_name=local.REGION).put_object(Bucket=stack.bucket, Key=key, Body=raw)
    intake = local.handler_module("email_intake").handler
    for _ in range(times):
        intake(local.s3_put_event(stack.bucket, key, len(raw)), local.LambdaContext())


def run_worker(stack: local.Stack) -> list[dict[str, Any]]:
    return local.drain_to_worker(stack.triage_queue_url, local.handler_module("triage_worker").handler)


def escalations(stack: local.Stack) -> list[dict[str, Any]]:
    return local.escalations(stack)


def decision(stack: local.Stack, key: str) -> dict[str, Any]:
    body = boto3.client("s3", region_name=local.REGION).get_object(
        Bucket=stack.bucket, Key=f"decisions/{key}.json"
    )
    return json.loads(body["Body"].read())


def test_routine_mail_gets_one_in_thread_auto_reply(stack: local.Stack) -> None:
    deliver(stack, "routine_order_tracking")
    run_worker(stack)

    sent = local.sent_emails()
    assert len(sent) == 1
    reply = message_from_bytes(sent[0]["raw"], policy=default)
    original = message_from_bytes((EVENTS / "routine_order_tracking.eml").read_bytes(), policy=default)
    assert reply["In-Reply-To"] == original["Message-ID"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Subject"].startswith("Re: ")
    assert set(sent[0]["destinations"]) == {original["From"].addresses[0].addr_spec.lower()}
    assert escalations(stack) == []
    record = decision(stack, "routine_order_tracking")
    assert record["decision"]["action"] == "auto_reply"
    assert record["delivered_by"] == "ses"


def test_angry_mail_becomes_an_escalation_with_summary_and_raw_pointer(stack: local.Stack) -> None:
    deliver(stack, "angry_refund_demand")
    run_worker(stack)

    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert escalation["reason"] in {"negative_emotion", "human_requested"}
    assert escalation["summary"]["key_points"]
    assert escalation["raw"] == {
        "bucket": stack.bucket,
        "key": "inbound/angry_refund_demand",
        "size": (EVENTS / "angry_refund_demand.eml").stat().st_size,
    }
    assert "MIME-Version" not in json.dumps(escalation)
    assert escalation["suggested_reply"] is None or escalation["suggested_reply"].startswith("[DRAFT")


def test_machine_mail_is_recorded_as_no_reply(stack: local.Stack) -> None:
    deliver(stack, "out_of_office_autoreply")
    run_worker(stack)

    assert local.sent_emails() == []
    assert escalations(stack) == []
    record = decision(stack, "out_of_office_autoreply")
    assert record["decision"]["action"] == "no_reply"
    assert record["decision"]["reason"] == "machine_mail"
    assert "auto_submitted" in record["decision"]["detail"]


def test_a_duplicate_s3_notification_never_sends_a_second_reply(stack: local.Stack) -> None:
    deliver(stack, "password_reset", times=2)
    run_worker(stack)

    assert len(local.sent_emails()) == 1


def test_url_encoded_object_keys_are_read(stack: local.Stack) -> None:
    deliver(stack, "password_reset", key="inbound/with space+plus=equals")
    run_worker(stack)

    assert len(local.sent_emails()) == 1
    assert decision(stack, "with space+plus=equals")["raw"]["key"] == "inbound/with space+plus=equals"


def test_a_poison_record_fails_alone_in_the_batch(stack: local.Stack) -> None:
    deliver(stack, "password_reset")
    sqs = boto3.client("sqs", region_name=local.REGION)
    sqs.send_message(QueueUrl=stack.triage_queue_url, MessageBody="{not json")
    received = sqs.receive_message(QueueUrl=stack.triage_queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 2
    poison = next(m for m in received if m["Body"] == "{not json")

    response = local.handler_module("triage_worker").handler(
        local.sqs_event(stack.triage_queue_url, received), local.LambdaContext()
    )

    assert response["batchItemFailures"] == [{"itemIdentifier": poison["MessageId"]}]
    assert len(local.sent_emails()) == 1


def test_missing_object_fails_the_invocation_for_a_retry(stack: local.Stack) -> None:
    intake = local.handler_module("email_intake").handler
    with pytest.raises(RuntimeError, match="1 of 1 records failed"):
        intake(local.s3_put_event(stack.bucket, "inbound/not-there", 10), local.LambdaContext())


def test_the_worker_publishes_how_many_records_it_took_and_how_many_failed(
    stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(stack, "routine_order_tracking")
    sqs = boto3.client("sqs", region_name=local.REGION)
    received = sqs.receive_message(QueueUrl=stack.triage_queue_url, MaxNumberOfMessages=10)["Messages"]
    broken = {**received[0], "MessageId": "broken", "Body": "{not a message"}
    capsys.readouterr()

    worker = local.handler_module("triage_worker").handler
    event = local.sqs_event(stack.triage_queue_url, [*received, broken])
    response = worker(event, local.LambdaContext(function_name="triage-worker"))

    assert response["batchItemFailures"] == [{"itemIdentifier": "broken"}]
    [document] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"BatchRecords"' in line
    ]
    assert (document["BatchRecords"], document["BatchRecordsFailed"]) == ([2.0], [1.0])


def test_with_a_summary_model_configured_bedrock_writes_the_agents_summary(stack: local.Stack) -> None:
    """The worker as template.yaml deploys it with ``SummaryModelId`` set to a cross-Region profile. Bedrock's answer
    is given here; the session's permission check (tests/iam_plugin.py) holds the Converse call, and the call the
    profile routes to another Region, to the template's statements."""
    answer = {
        "wants": "A refund for a broken order.",
        "happened": [],
        "expects": "a refund",
        "key_points": ["refund"],
    }
    prompts: list[str] = []

    def bedrock(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        prompts.append(params["body"].decode())
        text = json.dumps(answer)
        output = {"message": {"role": "assistant", "content": [{"text": text}]}}
        return AWSResponse(params["url"], 200, {}, None), {"output": output, "stopReason": "end_turn"}

    assert boto3.DEFAULT_SESSION is not None  # the stack's clients came from it, as the worker's will
    events = boto3.DEFAULT_SESSION.events
    events.register("before-call.bedrock-runtime.Converse", bedrock)
    configured = {
        "SUMMARISER": "bedrock",
        "BEDROCK_MODEL_ID": "eu.vendor.summary-v1:0",
        "BEDROCK_REGION": local.REGION,
    }
    try:
        with local.environment(configured):
            runtime.reset()
            deliver(stack, "angry_refund_demand")
            run_worker(stack)
    finally:
        events.unregister("before-call.bedrock-runtime.Converse", bedrock)
        runtime.reset()

    [escalation] = escalations(stack)
    assert escalation["agent_summary"]["backend"] == "bedrock"
    assert escalation["agent_summary"]["wants"] == answer["wants"]
    [prompt] = prompts
    sender = message_from_bytes((EVENTS / "angry_refund_demand.eml").read_bytes(), policy=default)["From"]
    assert sender.addresses[0].addr_spec not in prompt  # addresses are masked before they leave for Bedrock
