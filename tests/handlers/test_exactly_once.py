"""Exactly one reply, however the same mail arrives, and none at all when the guard itself is down (moto)."""

from __future__ import annotations

import json

import boto3
from test_pipeline import EVENTS, decision, deliver, escalations, run_worker

from triage import local, runtime


def redeliver_everything_queued(stack: local.Stack, bodies: list[str]) -> None:
    sqs = boto3.client("sqs", region_name=local.REGION)
    for body in bodies:
        sqs.send_message(QueueUrl=stack.triage_queue_url, MessageBody=body)


def queued_bodies(stack: local.Stack) -> list[str]:
    sqs = boto3.client("sqs", region_name=local.REGION)
    messages = sqs.receive_message(
        QueueUrl=stack.triage_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [message["Body"] for message in messages.get("Messages", [])]


def test_the_same_mail_three_ways_gets_one_reply(stack: local.Stack) -> None:
    # 1. S3 notifies twice for one object; 2. SES stores the same mail again under another key (an SMTP retry).
    deliver(stack, "routine_order_tracking", times=2)
    deliver(stack, "routine_order_tracking", key="inbound/smtp-retry-copy")
    bodies = queued_bodies(stack)
    assert len(bodies) == 3
    run_worker(stack)
    # 3. SQS delivers the same triage message again after the worker finished.
    redeliver_everything_queued(stack, bodies[:1])
    run_worker(stack)

    assert len(local.sent_emails()) == 1
    assert escalations(stack) == []
    assert decision(stack, "routine_order_tracking")["decision"]["action"] == "auto_reply"


def test_a_crash_after_sending_never_sends_twice(stack: local.Stack) -> None:
    deliver(stack, "routine_order_tracking")
    [body] = queued_bodies(stack)
    run_worker(stack)
    assert len(local.sent_emails()) == 1
    # The crash: the idempotency record never reached COMPLETED (here: it is gone), the message comes back.
    dynamodb = boto3.client("dynamodb", region_name=local.REGION)
    for item in dynamodb.scan(TableName=stack.table)["Items"]:
        dynamodb.delete_item(TableName=stack.table, Key={"id": item["id"]})
    redeliver_everything_queued(stack, [body])
    run_worker(stack)

    assert len(local.sent_emails()) == 1
    [escalation] = escalations(stack)
    assert escalation["reason"] == "send_uncertain"


def test_an_escalation_delivered_three_ways_is_escalated_once(stack: local.Stack) -> None:
    deliver(stack, "angry_refund_demand", times=2)
    deliver(stack, "angry_refund_demand", key="inbound/another-copy")
    run_worker(stack)
    assert len(escalations(stack)) == 1
    assert local.sent_emails() == []


def test_no_idempotency_store_means_no_automatic_reply(stack: local.Stack) -> None:
    boto3.client("dynamodb", region_name=local.REGION).delete_table(TableName=stack.table)
    runtime.reset()
    deliver(stack, "routine_order_tracking")
    results = run_worker(stack)

    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert escalation["reason"] == "state_unavailable"
    assert escalation["reason_detail"] == ["idempotency store unavailable"]
    assert all(not result.get("batchItemFailures") for result in results)
    assert json.loads((EVENTS / "routine_order_tracking.expected.json").read_text())["action"] == "auto_reply"
