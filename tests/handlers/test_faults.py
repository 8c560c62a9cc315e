"""Faults on moto: throttled SES, failing SQS sends, unreadable S3 objects, DynamoDB down, poison messages.

Errors are injected on the handlers' own boto3 clients (``triage.aws.client``) through botocore's
``before-parameter-build`` event: the call raises the ``ClientError`` AWS would return once the SDK's own retries
are spent. SES sends get no SDK retry at all (a resent reply could arrive twice): those tests answer at the HTTP
level instead (``before-send``), where the SDK would retry. Every test checks what a customer and an agent would see: the batch response, the replies SES accepted,
the escalations on the queues, the decision records and the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError
from cfnlint.decode import cfn_yaml
from test_pipeline import EVENTS, decision, escalations

from triage import aws, local
from triage.service import read_email
from triage.settings import get_settings

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
MAX_RECEIVE_COUNT = 5

Params = dict[str, Any]


@contextmanager
def failing(
    service: str,
    operation: str,
    code: str,
    *,
    when: Callable[[Params], bool] = lambda params: True,
    times: int | None = None,
    message: str = "injected fault",
) -> Iterator[list[Params]]:
    """``operation`` on the handlers' ``service`` client raises ``code`` (for calls matching ``when``, the first
    ``times`` of them); yields the parameters of the calls that failed."""
    client = aws.client(service, get_settings().aws_endpoint_url)
    failed: list[Params] = []

    def inject(params: Params, **_: Any) -> None:
        if when(params) and (times is None or len(failed) < times):
            failed.append(dict(params))
            raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    event = f"before-parameter-build.{service}.{operation}"
    client.meta.events.register(event, inject)
    try:
        yield failed
    finally:
        client.meta.events.unregister(event, inject)


def store(stack: local.Stack, name: str, key: str | None = None) -> tuple[str, int]:
    """SES stores ``events/email/<name>.eml`` under ``inbound/``; returns the key and size."""
    raw = (EVENTS / f"{name}.eml").read_bytes()
    key = key or f"inbound/{name}"
    boto3.client("s3", region_name=local.REGION).put_object(Bucket=stack.bucket, Key=key, Body=raw)
    return key, len(raw)


def s3_event(stack: local.Stack, objects: list[tuple[str, int]]) -> dict[str, Any]:
    """One S3 notification carrying several records (S3 may batch them)."""
    return {
        "Records": [
            record
            for key, size in objects
            for record in local.s3_put_event(stack.bucket, key, size)["Records"]
        ]
    }


def intake(stack: local.Stack, *names: str) -> None:
    event = s3_event(stack, [store(stack, name) for name in names])
    local.handler_module("email_intake").handler(event, local.LambdaContext())


def poll(stack: local.Stack, queue_url: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One poll of the Lambda SQS event source, the visibility timeout already over for what failed before:
    receive, invoke the worker, delete what succeeded. Returns the response and the records received."""
    sqs = boto3.client("sqs", region_name=local.REGION)
    url = queue_url or stack.triage_queue_url
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )
    if not received:
        return {"batchItemFailures": []}, []
    try:
        response = local.handler_module("triage_worker").handler(
            local.sqs_event(url, received), local.LambdaContext(function_name="triage-worker")
        )
    except BatchProcessingError:
        # Powertools raises when every record of the batch failed; Lambda then returns the whole batch.
        response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in received]}
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    for message in received:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return response, received


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def queue_depth(queue_url: str) -> int:
    attributes = boto3.client("sqs", region_name=local.REGION).get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def to_address(name: str) -> Callable[[Params], bool]:
    """SES calls whose recipient is the sender of ``events/email/<name>.eml``."""
    from email import message_from_bytes
    from email.policy import default

    parsed = message_from_bytes((EVENTS / f"{name}.eml").read_bytes(), policy=default)
    address = parsed["From"].addresses[0].addr_spec.lower()
    return lambda params: address in [d.lower() for d in params.get("Destinations", [])]


# ----------------------------------------------------------------------------------------------------------
# SES
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["Throttling", "LimitExceededException"])
def test_a_throttled_send_fails_only_that_record_and_never_replies_twice(
    stack: local.Stack, code: str
) -> None:
    intake(stack, "routine_order_tracking", "angry_refund_demand")
    with failing("ses", "SendRawEmail", code, times=1) as refused:
        response, received = poll(stack)

    assert len(refused) == 1
    [reply_record] = [m for m in received if "routine_order_tracking" in m["Body"]]
    assert failed_ids(response) == {reply_record["MessageId"]}
    assert local.sent_emails() == []
    assert decision(stack, "routine_order_tracking")["decision"]["action"] == "auto_reply"
    assert [e["message_key"] for e in escalations(stack)] == ["angry_refund_demand"]

    # SQS redelivers it; SES works again. Whatever the retry decides, the customer never gets two replies and
    # the message ends in exactly one outcome.
    response, received = poll(stack)
    assert len(received) == 1
    assert failed_ids(response) == set()
    assert queue_depth(stack.triage_queue_url) == 0
    outcome = decision(stack, "routine_order_tracking")["decision"]
    replies = local.sent_emails()
    assert len(replies) <= 1
    retried_escalations = escalations(stack)
    assert len(replies) + len(retried_escalations) == 1
    assert outcome["action"] == ("auto_reply" if replies else "escalate")

    # A further redelivery of the same message changes nothing.
    boto3.client("sqs", region_name=local.REGION).send_message(
        QueueUrl=stack.triage_queue_url, MessageBody=reply_record["Body"]
    )
    poll(stack)
    assert len(local.sent_emails()) == len(replies)
    assert escalations(stack) == []


@pytest.mark.parametrize("code", ["MessageRejected", "AccountSendingPausedException"])
def test_a_reply_refused_for_good_goes_to_a_person_at_once(stack: local.Stack, code: str) -> None:
    """A recipient the SES sandbox has not verified, a rejected message, sending paused: a redelivery would be
    refused alike (five times, then the dead-letter queue), so the customer gets a person now."""
    intake(stack, "routine_order_tracking")
    with failing("ses", "SendRawEmail", code) as refused:
        response, _ = poll(stack)

    assert len(refused) == 1  # tried once, not retried
    assert failed_ids(response) == set()
    assert queue_depth(stack.triage_queue_url) == 0
    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert (escalation["reason"], escalation["reason_detail"]) == ("reply_refused", [code])
    assert escalation["suggested_reply"].startswith("[DRAFT")  # the would-be reply, for the agent to send
    record = decision(stack, "routine_order_tracking")
    assert (record["decision"]["action"], record["delivered_by"]) == ("escalate", "sqs")

    # What the conversation store remembers: an escalation, not an automatic answer (the next message of the
    # thread may still get one), and the agent's history of this customer says so.
    original = read_email((EVENTS / "routine_order_tracking.eml").read_bytes(), get_settings())
    answer = {"id": "later", "dedupe_key": "", "message_id": "<later@example.org>"}
    later = original.model_copy(update=answer | {"in_reply_to": original.message_id})
    history = aws.DynamoConversationStore(get_settings()).history(later, datetime.now(UTC))
    assert history.auto_replied_by is None
    refused_turn = ("escalate", "reply_refused")
    assert [(turn.action, turn.reason) for turn in history.turns] == [refused_turn]
    assert [(turn.action, turn.reason) for turn in history.customer] == [refused_turn]

    # A redelivery of the same message changes nothing.
    poll(stack)
    assert escalations(stack) == []
    assert local.sent_emails() == []


def test_a_spent_daily_quota_hands_the_reply_to_a_person_at_once(stack: local.Stack) -> None:
    """SES answers Throttling both to a rate and to the 24-hour quota. The rate passes in a second; the quota would
    meet every redelivery of the next minutes and leave the message in the DLQ, so a person answers now."""
    intake(stack, "routine_order_tracking")
    with failing("ses", "SendRawEmail", "Throttling", message="Daily message quota exceeded.") as refused:
        response, _ = poll(stack)

    assert len(refused) == 1
    assert failed_ids(response) == set()
    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert (escalation["reason"], escalation["reason_detail"]) == ("reply_refused", ["DailyQuotaExceeded"])


class _Raw:
    """The body of a made-up HTTP response, as botocore reads it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@contextmanager
def ses_answers(answer: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """Every SendRawEmail request that leaves the handlers' SES client reaches ``answer`` (which returns a response
    or raises) before moto; yields the requests, however many times botocore sent them."""
    ses = aws.client("ses", get_settings().aws_endpoint_url)
    sent: list[Any] = []

    def intercept(request: Any, **_: Any) -> Any:
        sent.append(request)
        return answer(request)

    ses.meta.events.register_first("before-send.ses.SendRawEmail", intercept)
    try:
        yield sent
    finally:
        ses.meta.events.unregister("before-send.ses.SendRawEmail", intercept)


def internal_failure(request: Any) -> AWSResponse:
    body = b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>"
    return AWSResponse(request.url, 500, {}, _Raw(body))


def read_timeout(request: Any) -> None:
    raise ReadTimeoutError(endpoint_url=request.url)


def dropped(request: Any) -> None:
    raise ConnectionClosedError(endpoint_url=request.url)


@pytest.mark.parametrize(
    "answer", [internal_failure, read_timeout, dropped], ids=["500", "read-timeout", "dropped"]
)
def test_a_send_ses_may_have_taken_is_made_once_and_never_again(stack: local.Stack, answer: Any) -> None:
    """After a 500, a read timeout or a dropped connection the reply may be on its way: botocore does not send it
    again (one attempt), and the redelivery hands the message to a person rather than replying a second time."""
    intake(stack, "routine_order_tracking")
    with ses_answers(answer) as attempts:
        response, _ = poll(stack)
    assert len(attempts) == 1
    assert len(failed_ids(response)) == 1
    # moto's own handler sees the request too before the 500 is returned, as SES may have done: at most one copy.
    copies = len(local.sent_emails())
    assert copies <= 1

    response, _ = poll(stack)
    assert failed_ids(response) == set()
    assert len(local.sent_emails()) == copies
    [escalation] = escalations(stack)
    assert escalation["reason"] == "send_uncertain"


def test_a_send_that_never_reached_ses_is_sent_on_the_redelivery(stack: local.Stack) -> None:
    def unreachable(request: Any) -> None:
        raise ConnectTimeoutError(endpoint_url=request.url)

    intake(stack, "routine_order_tracking")
    with ses_answers(unreachable) as attempts:
        response, _ = poll(stack)
    assert len(attempts) == 1
    assert len(failed_ids(response)) == 1

    poll(stack)
    assert len(local.sent_emails()) == 1
    assert escalations(stack) == []


@pytest.mark.parametrize("throttles", [1, 3])
def test_a_throttled_reply_is_sent_once_when_redelivered(stack: local.Stack, throttles: int) -> None:
    """However often SES throttles it, the redelivery sends it: each attempt's claim was given back, so neither the
    thread nor the sender's caps count the attempts that sent nothing."""
    intake(stack, "routine_order_tracking")
    with failing("ses", "SendRawEmail", "Throttling", times=throttles):
        for _ in range(throttles):
            response, _ = poll(stack)
            assert len(failed_ids(response)) == 1

    poll(stack)

    assert len(local.sent_emails()) == 1
    assert escalations(stack) == []
    assert decision(stack, "routine_order_tracking")["decision"]["action"] == "auto_reply"


def test_a_decision_record_that_cannot_be_written_delays_the_reply_but_does_not_escalate_it(
    stack: local.Stack,
) -> None:
    """S3 fails the decision record after the reply was reserved: nothing was sent, so the reservation is given back
    and the redelivery replies, rather than escalating as a reply that might have gone out (send_uncertain)."""
    intake(stack, "routine_order_tracking")
    with failing(
        "s3", "PutObject", "ServiceUnavailable", when=lambda params: params["Key"].startswith("decisions/")
    ) as refused:
        response, _ = poll(stack)
    assert refused
    assert len(failed_ids(response)) == 1
    assert local.sent_emails() == []

    response, _ = poll(stack)
    assert failed_ids(response) == set()
    assert len(local.sent_emails()) == 1
    assert escalations(stack) == []
    assert decision(stack, "routine_order_tracking")["decision"]["action"] == "auto_reply"


# ----------------------------------------------------------------------------------------------------------
# SQS
# ----------------------------------------------------------------------------------------------------------
def test_a_failed_escalation_send_is_retried_and_escalated_once(stack: local.Stack) -> None:
    intake(stack, "angry_refund_demand", "routine_order_tracking")
    with failing("sqs", "SendMessage", "AWS.SimpleQueueService.ServiceUnavailable") as refused:
        response, received = poll(stack)

    assert len(refused) == 1
    [escalation_record] = [m for m in received if "angry_refund_demand" in m["Body"]]
    assert failed_ids(response) == {escalation_record["MessageId"]}
    assert len(local.sent_emails()) == 1
    assert escalations(stack) == []

    response, received = poll(stack)
    assert [m["MessageId"] for m in received] == [escalation_record["MessageId"]]
    assert failed_ids(response) == set()
    [escalation] = escalations(stack)
    assert escalation["message_key"] == "angry_refund_demand"
    assert decision(stack, "angry_refund_demand")["decision"]["action"] == "escalate"
    assert len(local.sent_emails()) == 1


# ----------------------------------------------------------------------------------------------------------
# S3 (email intake)
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchKey", "SlowDown"])
def test_an_unreadable_object_fails_the_invocation_and_the_other_records_go_through(
    stack: local.Stack, code: str
) -> None:
    objects = [store(stack, "angry_refund_demand"), store(stack, "routine_order_tracking")]
    event = s3_event(stack, objects)
    handler = local.handler_module("email_intake").handler
    unreadable = "inbound/angry_refund_demand"
    with (
        failing("s3", "GetObject", code, when=lambda params: params.get("Key") == unreadable),
        pytest.raises(RuntimeError, match="1 of 2 records failed"),
    ):
        handler(event, local.LambdaContext())

    # The readable mail was queued; the unreadable one is still in the bucket for Lambda's retry.
    assert queue_depth(stack.triage_queue_url) == 1
    s3 = boto3.client("s3", region_name=local.REGION)
    assert s3.head_object(Bucket=stack.bucket, Key=unreadable)["ContentLength"] == objects[0][1]

    # Lambda's asynchronous retry delivers the same event again: both mails end in one outcome each.
    handler(event, local.LambdaContext())
    while poll(stack)[1]:
        pass
    assert len(local.sent_emails()) == 1
    assert [e["message_key"] for e in escalations(stack)] == ["angry_refund_demand"]


def alarms_on(resources: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    """The properties of every CloudWatch alarm on ``queue``'s depth (Fn::ForEach entries skipped)."""
    return [
        resource["Properties"]
        for resource in resources.values()
        if isinstance(resource, dict)
        and resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
    ]


def test_after_the_retries_the_event_has_a_failure_destination_with_an_alarm() -> None:
    resources = cfn_yaml.load(str(TEMPLATE_PATH))["Resources"]
    config = resources["EmailIntakeFunction"]["Properties"]["EventInvokeConfig"]
    destination = config["DestinationConfig"]["OnFailure"]
    assert destination["Type"] == "SQS"
    queue = destination["Destination"]["Fn::GetAtt"][0]
    assert resources[queue]["Type"] == "AWS::SQS::Queue"
    assert [alarm["Threshold"] for alarm in alarms_on(resources, queue)] == [1]


# ----------------------------------------------------------------------------------------------------------
# DynamoDB
# ----------------------------------------------------------------------------------------------------------
def conversation_calls(stack: local.Stack) -> Callable[[Params], bool]:
    def touches(params: Params) -> bool:
        if params.get("TableName") == stack.conversation_table:
            return True
        items = params.get("TransactItems", [])
        return any(stack.conversation_table in str(item) for item in items)

    return touches


@pytest.mark.parametrize("operation", ["Query", "TransactWriteItems"])
def test_a_throttled_conversation_table_means_no_automatic_reply(stack: local.Stack, operation: str) -> None:
    intake(stack, "routine_order_tracking")
    with failing(
        "dynamodb",
        operation,
        "ProvisionedThroughputExceededException",
        when=conversation_calls(stack),
    ) as refused:
        response, _ = poll(stack)

    assert refused
    assert failed_ids(response) == set()
    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert escalation["reason"] == "state_unavailable"
    assert decision(stack, "routine_order_tracking")["decision"]["reason"] == "state_unavailable"


def test_a_throttled_idempotency_table_means_no_automatic_reply(stack: local.Stack) -> None:
    intake(stack, "routine_order_tracking")
    with failing(
        "dynamodb",
        "PutItem",
        "ProvisionedThroughputExceededException",
        when=lambda params: params.get("TableName") == stack.table,
    ) as refused:
        response, _ = poll(stack)

    assert refused
    assert failed_ids(response) == set()
    assert local.sent_emails() == []
    [escalation] = escalations(stack)
    assert escalation["reason"] == "state_unavailable"
    assert escalation["reason_detail"] == ["idempotency store unavailable"]


# ----------------------------------------------------------------------------------------------------------
# Poison messages and partial batches
# ----------------------------------------------------------------------------------------------------------
def test_a_poison_message_reaches_the_dead_letter_queue_after_five_receives(stack: local.Stack) -> None:
    sqs = boto3.client("sqs", region_name=local.REGION)
    poison = sqs.send_message(QueueUrl=stack.triage_queue_url, MessageBody='{"not": "an InboundMessage"}')

    for _ in range(MAX_RECEIVE_COUNT):
        response, received = poll(stack)
        assert [m["MessageId"] for m in received] == [poison["MessageId"]]
        assert failed_ids(response) == {poison["MessageId"]}
    # The next receive finds it over maxReceiveCount: SQS moves it to the dead-letter queue.
    assert poll(stack)[1] == []

    dlq_url = sqs.get_queue_url(QueueName="triage-dlq-test")["QueueUrl"]
    [dead] = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert dead["MessageId"] == poison["MessageId"]
    assert queue_depth(stack.triage_queue_url) == 0
    assert local.sent_emails() == []
    assert escalations(stack) == []


def test_the_template_redrives_the_triage_queue_after_five_receives_and_alarms_at_one() -> None:
    resources = cfn_yaml.load(str(TEMPLATE_PATH))["Resources"]
    redrive = resources["TriageQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
    dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    [alarm] = alarms_on(resources, dlq)
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_a_batch_of_five_with_two_failing_reports_exactly_those_two(stack: local.Stack) -> None:
    names = [
        "routine_order_tracking",
        "password_reset",
        "angry_refund_demand",
        "out_of_office_autoreply",
        "legal_threat",
    ]
    intake(stack, *names)
    doomed = {"password_reset", "legal_threat"}
    with failing(
        "s3",
        "PutObject",
        "SlowDown",
        when=lambda params: params.get("Key") in {f"decisions/{name}.json" for name in doomed},
    ):
        response, received = poll(stack)

    assert len(received) == len(names)
    assert failed_ids(response) == {
        m["MessageId"] for m in received if any(f'"inbound/{name}"' in m["Body"] for name in doomed)
    }
    assert len(failed_ids(response)) == len(doomed)
    assert queue_depth(stack.triage_queue_url) == len(doomed)

    # The retry settles the two; every message has its decision record, nobody got two replies.
    response, received = poll(stack)
    assert len(received) == len(doomed)
    assert failed_ids(response) == set()
    for name in names:
        assert decision(stack, name)["decision"]["action"] in {"auto_reply", "escalate", "no_reply"}
    destinations = [tuple(sent["destinations"]) for sent in local.sent_emails()]
    assert len(destinations) == len(set(destinations))
