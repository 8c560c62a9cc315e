"""The S3 notifications in events/ (shaped as S3 sends them for SES-stored mail) drive the real handlers."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
import pytest

from triage import local

EVENTS = Path(__file__).resolve().parents[2] / "events"
# Which sample mail each event's object stands for.
SAMPLES = {
    "s3_ses_put.json": ["routine_order_tracking"],
    "s3_ses_put_two_records_url_encoded.json": ["routine_order_tracking", "human_agent_request"],
}


@pytest.mark.parametrize("event_file", sorted(SAMPLES))
def test_sample_s3_event_ends_in_one_decision_per_record(stack: local.Stack, event_file: str) -> None:
    event = json.loads((EVENTS / event_file).read_text())
    s3 = boto3.client("s3", region_name=local.REGION)
    keys = []
    for record, sample in zip(event["Records"], SAMPLES[event_file], strict=True):
        # Deployed, the notification names the stack's raw-mail bucket (the intake may read only that one).
        record["s3"]["bucket"] |= {"name": stack.bucket, "arn": f"arn:aws:s3:::{stack.bucket}"}
        key = unquote_plus(record["s3"]["object"]["key"])
        s3.put_object(Bucket=stack.bucket, Key=key, Body=(EVENTS / "email" / f"{sample}.eml").read_bytes())
        keys.append(key)

    result = local.handler_module("email_intake").handler(event, local.LambdaContext())
    local.drain_to_worker(stack.triage_queue_url, local.handler_module("triage_worker").handler)

    assert result == {"accepted": len(keys), "skipped": 0}
    for key in keys:
        body = s3.get_object(Bucket=stack.bucket, Key=f"decisions/{key.rsplit('/', 1)[-1]}.json")[
            "Body"
        ].read()
        record = json.loads(body)
        assert record["raw"]["key"] == key
        assert record["decision"]["action"] in {"auto_reply", "escalate"}


def test_the_setup_notification_ses_writes_is_skipped_not_triaged(stack: local.Stack) -> None:
    """Setting up the receipt rule, SES writes a placeholder object under the action's prefix. It is no customer's
    mail: queued, it would reach an agent as a message with no sender."""
    s3 = boto3.client("s3", region_name=local.REGION)
    objects = {
        "inbound/AMAZON_SES_SETUP_NOTIFICATION": b"Subject: Amazon SES Setup Notification\r\n\r\nplaceholder\r\n",
        "inbound/routine": (EVENTS / "email" / "routine_order_tracking.eml").read_bytes(),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
    event = {
        "Records": [
            record
            for key, body in objects.items()
            for record in local.s3_put_event(stack.bucket, key, len(body))["Records"]
        ]
    }

    result = local.handler_module("email_intake").handler(event, local.LambdaContext())
    local.drain_to_worker(stack.triage_queue_url, local.handler_module("triage_worker").handler)

    assert result == {"accepted": 1, "skipped": 1}
    decided = s3.list_objects_v2(Bucket=stack.bucket, Prefix="decisions/").get("Contents", [])
    assert [item["Key"] for item in decided] == ["decisions/routine.json"]
