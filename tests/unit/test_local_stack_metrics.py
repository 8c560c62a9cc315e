"""The local tools (``triage serve``, ``triage bench --local-stack``, ``triage load-webhooks``) print no stray EMF lines.

They run the handlers in this process with ``POWERTOOLS_METRICS_DISABLED`` set. Powertools' disabled flush neither
prints nor clears, so the values pile up, and at the 100th value of one metric ``add_metric`` prints the EMF document
to stdout anyway. ``local.lambda_handler`` ends each invocation's metrics as Lambda's flush would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics import MetricUnit

from triage import local, runtime
from triage.observability import metrics

MORE_THAN_A_DOCUMENT = 150  # an EMF document holds at most 100 values of one metric


@pytest.fixture
def metrics_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As the local tools run the handlers, with the service's metric set starting empty."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@metrics.log_metrics
def counting_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    metrics.add_metric(name="Counted", unit=MetricUnit.Count, value=1)
    return {}


def emf_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if '"_aws"' in line and '"CloudWatchMetrics"' in line]


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_powertools_still_prints_disabled_metrics_at_the_100th_value(
    metrics_disabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Why one_invocation_of_metrics exists; should this fail, Powertools has changed and the wrapper may go.
    for _ in range(MORE_THAN_A_DOCUMENT):
        counting_handler({}, local.LambdaContext())
    assert len(emf_lines(capsys.readouterr().out)) == 1


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_invocations_through_the_local_runner_print_no_emf(
    metrics_disabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a handler that adds one value of one metric per invocation, as the local runner invokes it
    handler = local.one_invocation_of_metrics(counting_handler)
    # When it is invoked for more values than an EMF document holds
    for _ in range(MORE_THAN_A_DOCUMENT):
        handler({}, local.LambdaContext())
    # Then stdout carries no EMF document, and nothing is left over for the next invocation
    assert emf_lines(capsys.readouterr().out) == []
    assert metrics.metric_set == {}


def test_the_metric_set_is_cleared_when_the_handler_fails(metrics_disabled: None) -> None:
    def failing(event: dict[str, Any], context: Any) -> None:
        metrics.add_metric(name="Counted", unit=MetricUnit.Count, value=1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        local.one_invocation_of_metrics(failing)({}, local.LambdaContext())
    assert metrics.metric_set == {}


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_the_email_intake_on_the_local_stack_prints_no_emf_for_many_mails(
    stack: local.Stack, metrics_disabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the email intake function as triage serve invokes it (it counts EmailsAccepted once per mail)
    intake = local.lambda_handler("email_intake")
    s3 = boto3.client("s3", region_name=local.REGION)
    raw = (
        b"From: Customer <customer@example.org>\r\nTo: support@example.com\r\nSubject: Where is my order?\r\n"
        b"Message-ID: <metrics-{n}@example.org>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\n"
        b"Hello, where is my order? Thanks\r\n"
    )
    # When more mails arrive than an EMF document holds values
    for n in range(MORE_THAN_A_DOCUMENT):
        key = f"inbound/metrics-{n}"
        body = raw.replace(b"{n}", str(n).encode())
        s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
        intake(
            local.s3_put_event(stack.bucket, key, len(body)),
            local.LambdaContext(function_name="email-intake"),
        )
    runtime.reset()
    # Then each was queued, and stdout shows no EMF document
    sqs = boto3.client("sqs", region_name=local.REGION)
    queued = sqs.get_queue_attributes(
        QueueUrl=stack.triage_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert int(queued) == MORE_THAN_A_DOCUMENT
    out = capsys.readouterr().out
    assert emf_lines(out) == [], json.dumps(emf_lines(out)[:1])[:300]
