"""Escalations stay small on the queue: a 10 MB email, and the claim check for anything large."""

from __future__ import annotations

import json
from email.message import EmailMessage

import boto3
import pytest
from test_pipeline import run_worker

from triage import local, service


def ten_megabyte_mail() -> bytes:
    mail = EmailMessage()
    mail["From"] = "Dana Fox <dana@customer.example.org>"
    mail["To"] = "support@example.com"
    mail["Subject"] = "The invoice you sent me is wrong, see the scans"
    mail["Message-ID"] = "<big-1@customer.example.org>"
    body = (
        "Hello,\n\nThe invoice for order 77812 charges me twice. "
        + "Every page of it is attached. " * 200_000
    )
    mail.set_content(body)
    mail.add_attachment(b"\x89PNG" + bytes(3_000_000), maintype="image", subtype="png", filename="scan.png")
    return mail.as_bytes()


def escalation_bodies(stack: local.Stack) -> list[str]:
    """The raw bodies on the team queues (what an agent's pull receives)."""
    sqs = boto3.client("sqs", region_name=local.REGION)
    urls = sqs.list_queues(QueueNamePrefix=stack.escalation_queue_prefix)["QueueUrls"]
    return [
        message["Body"]
        for url in urls
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_an_escalation_from_a_10_mb_mail_stays_small_and_points_at_the_mail(stack: local.Stack) -> None:
    raw = ten_megabyte_mail()
    assert len(raw) > 10_000_000
    s3 = boto3.client("s3", region_name=local.REGION)
    s3.put_object(Bucket=stack.bucket, Key="inbound/big", Body=raw)
    local.handler_module("email_intake").handler(
        local.s3_put_event(stack.bucket, "inbound/big", len(raw)), local.LambdaContext()
    )
    run_worker(stack)
    [body] = escalation_bodies(stack)
    assert len(body.encode()) < 64 * 1024
    escalation = json.loads(body)
    assert escalation["raw"] == {"bucket": stack.bucket, "key": "inbound/big", "size": len(raw)}
    assert s3.head_object(Bucket=stack.bucket, Key="inbound/big")["ContentLength"] == len(raw)


def test_a_large_escalation_goes_to_s3_with_a_pointer_on_the_queue(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CLAIM_CHECK_BYTES", 200)
    raw = ten_megabyte_mail()
    s3 = boto3.client("s3", region_name=local.REGION)
    s3.put_object(Bucket=stack.bucket, Key="inbound/big", Body=raw)
    local.handler_module("email_intake").handler(
        local.s3_put_event(stack.bucket, "inbound/big", len(raw)), local.LambdaContext()
    )
    run_worker(stack)
    [body] = escalation_bodies(stack)
    pointer = json.loads(body)
    location = pointer["claim_check"]
    assert location == {"bucket": stack.bucket, "key": "escalations/big.json"}
    assert pointer["reason"]
    assert pointer["key_points"]
    full = json.loads(s3.get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read())
    assert full["message_key"] == "big"
    assert full["summary"]["key_points"] == pointer["key_points"]
