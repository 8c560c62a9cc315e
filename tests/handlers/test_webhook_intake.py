"""POST /webhooks/{provider} on moto: signed deliveries reach the triage queue once; bad input gets a clear 4xx."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import responses
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from test_pipeline import escalations, run_worker

from triage import local
from triage.parsing.webhooks import PROVIDERS, sign

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
SECRETS = {provider: f"test-secret-{provider}" for provider in PROVIDERS if provider != "generic"} | {
    "generic": "whsec_dGVzdC1zZWNyZXQtZ2VuZXJpYy0zMi1ieXRlcy1rZXk="
}


def customer_case(provider: str) -> str:
    """The first fixture of ``provider`` that holds a customer's message."""
    for expected in sorted((FIXTURES / provider).glob("*.expected.json")):
        if json.loads(expected.read_text(encoding="utf-8")).get("ignored") is None:
            return expected.name.removesuffix(".expected.json")
    raise AssertionError(f"no customer message among the {provider} fixtures")


def request(
    provider: str, name: str, secret: str | None = None, **overrides: Any
) -> tuple[bytes, dict[str, str]]:
    """The fixture's body and headers, signed now (the fixtures are signed at a fixed past time)."""
    body = (FIXTURES / provider / f"{name}.json").read_bytes()
    headers = json.loads((FIXTURES / provider / f"{name}.headers.json").read_text(encoding="utf-8"))
    fresh = sign(provider, body, secret or SECRETS[provider], datetime.now(UTC))
    kept = {key: value for key, value in headers.items() if key.lower() not in {k.lower() for k in fresh}}
    return body, kept | fresh | overrides


@pytest.fixture
def webhooks(stack: local.Stack) -> local.Stack:
    for provider, secret in SECRETS.items():
        # Rotation: an old secret still active beside the current one.
        local.put_secret(f"triage/webhooks/{provider}", json.dumps({"secrets": [f"old-{provider}", secret]}))
    return stack


def post(provider: str, body: bytes, headers: dict[str, str], *, base64_body: bool = False) -> dict[str, Any]:
    event = local.http_event("POST", f"/webhooks/{provider}", body, headers, base64_body=base64_body)
    response: dict[str, Any] = local.handler_module("webhook_intake").handler(event, local.LambdaContext())
    response["json"] = json.loads(response["body"])
    return response


def queued(stack: local.Stack, url: str | None = None) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=local.REGION)
    messages = sqs.receive_message(
        QueueUrl=url or stack.triage_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_signed_customer_message_is_queued_and_acknowledged(provider: str, webhooks: local.Stack) -> None:
    body, headers = request(provider, customer_case(provider))
    response = post(provider, body, headers)
    assert response["statusCode"] == 202, response["json"]
    assert response["json"]["status"] == "accepted"
    [message] = queued(webhooks)
    assert message["channel"] == "webhook"
    assert message["provider"] == provider
    assert message["ticket_id"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_replayed_delivery_is_acknowledged_and_queued_once(provider: str, webhooks: local.Stack) -> None:
    body, headers = request(provider, customer_case(provider))
    first, second = post(provider, body, headers), post(provider, body, headers)
    assert first["statusCode"] == second["statusCode"] == 202
    assert len(queued(webhooks)) == 1


def test_the_delivery_guard_knows_the_invocations_remaining_time(webhooks: local.Stack) -> None:
    # Powertools releases an in-progress delivery at the invocation's deadline only if it was given the context.
    body, headers = request("zendesk", customer_case("zendesk"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert post("zendesk", body, headers)["statusCode"] == 202
    assert not [warning for warning in caught if "remaining time" in str(warning.message)]


def test_the_previous_secret_still_verifies_during_rotation(webhooks: local.Stack) -> None:
    body, headers = request("zendesk", customer_case("zendesk"), secret="old-zendesk")
    assert post("zendesk", body, headers)["statusCode"] == 202


def test_a_base64_encoded_body_is_verified_on_its_decoded_bytes(webhooks: local.Stack) -> None:
    body, headers = request("intercom", customer_case("intercom"))
    assert post("intercom", body, headers, base64_body=True)["statusCode"] == 202


@pytest.mark.parametrize(
    ("provider", "change", "status", "code"),
    [
        ("zendesk", "wrong_secret", 401, None),
        ("intercom", "drop_signature", 401, None),
        ("helpscout", "flip_byte", 401, None),
        ("zendesk", "bad_json_signed", 400, "malformed_json"),
        ("mailchimp", "none", 404, "unknown_provider"),
        ("front", "huge", 413, "too_large"),
    ],
)
def test_bad_requests_get_a_clear_4xx_with_a_json_error(
    provider: str, change: str, status: int, code: str | None, webhooks: local.Stack
) -> None:
    source = provider if provider in PROVIDERS else "zendesk"
    body, headers = request(source, customer_case(source))
    if change == "wrong_secret":
        body, headers = request(source, customer_case(source), secret="not-the-secret")
    elif change == "drop_signature":
        headers = {k: v for k, v in headers.items() if "signature" not in k.lower()}
    elif change == "flip_byte":
        body = body[:10] + bytes([body[10] ^ 1]) + body[11:]
    elif change == "bad_json_signed":
        body = b'{"type": "zen:event-type:ticket.comment_added", '
        headers = sign(source, body, SECRETS[source], datetime.now(UTC)) | {
            "x-zendesk-webhook-invocation-id": "x1"
        }
    elif change == "huge":
        body = b'{"pad": "' + b"x" * 300_000 + b'"}'
    response = post(provider, body, headers)
    assert response["statusCode"] == status
    assert response["json"]["status"] == "rejected"
    assert response["json"]["message"]
    if code:
        assert response["json"]["error"] == code
    assert "Traceback" not in response["body"]
    assert queued(webhooks) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_events_that_are_not_a_customer_message_are_acknowledged_and_ignored(
    provider: str, webhooks: local.Stack
) -> None:
    ignored = [
        path.name.removesuffix(".expected.json")
        for path in sorted((FIXTURES / provider).glob("*.expected.json"))
        if json.loads(path.read_text(encoding="utf-8")).get("ignored")
    ]
    for name in ignored:
        body, headers = request(provider, name)
        response = post(provider, body, headers)
        assert response["statusCode"] == 200, (name, response["json"])
        assert response["json"]["status"] == "ignored"
    assert queued(webhooks) == []


def test_no_secret_configured_is_a_401_not_a_crash(stack: local.Stack) -> None:
    body, headers = request("zendesk", customer_case("zendesk"))
    response = post("zendesk", body, headers)
    assert response["statusCode"] == 401
    assert response["json"]["error"] == "no_secret_configured"


def routine_ticket_answered(webhooks: local.Stack, number: str) -> None:
    """A routine question on generic ticket T-<number>, through the intake and the worker: its reply waits on the
    outbox queue, and the sender has the generic helpdesk's credentials."""
    responses.add_passthru("https://sqs.us-east-1.amazonaws.com")
    body = json.dumps(
        {
            "type": "message.created",
            "data": {
                "ticket_id": f"T-{number}",
                "message_id": f"M-{number}",
                "from": {"name": "Jane Doe", "email": "jane@customer.example.org"},
                "subject": "Order status",
                "text": "Can you help me check the status of my order please? Thanks, Jane",
                "author_role": "customer",
            },
        }
    ).encode()
    headers = sign("generic", body, SECRETS["generic"], datetime.now(UTC), delivery_id=f"msg_{number}")
    assert post("generic", body, headers)["statusCode"] == 202
    run_worker(webhooks)
    [item] = queued(webhooks, webhooks.outbox_queue_url)
    assert (item["kind"], item["provider"], item["ticket_id"]) == ("reply", "generic", f"T-{number}")
    local.put_secret(
        "triage/helpdesk/generic", json.dumps({"base_url": "https://desk.example.net/api", "token": "t0k"})
    )


def run_sender(webhooks: local.Stack) -> None:
    """The helpdesk sender over everything on the outbox queue; no item may fail."""
    result = local.drain_to_worker(webhooks.outbox_queue_url, local.handler_module("helpdesk_sender").handler)
    assert all(not batch.get("batchItemFailures") for batch in result)


@responses.activate
def test_a_routine_helpdesk_message_is_answered_on_its_ticket(
    webhooks: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """Webhook → triage worker → outbox queue → helpdesk sender → the vendor's API, all on moto + responses."""
    routine_ticket_answered(webhooks, "1001")
    assert local.sent_emails() == []  # a helpdesk customer is answered on the ticket, not by mail
    responses.add(
        responses.POST, "https://desk.example.net/api/tickets/T-1001/replies", json={"id": "R-9"}, status=201
    )
    capsys.readouterr()
    run_sender(webhooks)
    # The sender publishes its batch counts (the figure to alarm on), so no invocation has an empty metric set.
    [counts] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"BatchRecords"' in line]
    assert (counts["BatchRecords"], counts["BatchRecordsFailed"]) == ([1.0], [0.0])
    [call] = [c for c in responses.calls if "desk.example.net" in c.request.url]
    assert call.request.headers["Authorization"] == "Bearer t0k"
    assert "status of" not in json.loads(call.request.body)["body"]  # our template, not the customer's words
    assert escalations(webhooks) == []


@responses.activate
def test_a_reply_the_helpdesk_may_have_posted_is_not_sent_again_but_checked_by_a_person(
    webhooks: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """The vendor takes the reply and never answers: it may be on the ticket. Posting it again could show the
    customer two copies, so the sender asks a person, in a note, to check; the item is done (no redelivery)."""
    routine_ticket_answered(webhooks, "1003")
    replies = "https://desk.example.net/api/tickets/T-1003/replies"
    responses.add(responses.POST, replies, body=requests.exceptions.ReadTimeout("no answer"))
    responses.add(
        responses.POST, "https://desk.example.net/api/tickets/T-1003/notes", json={"id": "N-1"}, status=201
    )
    capsys.readouterr()

    run_sender(webhooks)

    posted = [call for call in responses.calls if "desk.example.net" in call.request.url]
    assert [call.request.url for call in posted] == [
        replies,
        "https://desk.example.net/api/tickets/T-1003/notes",
    ]
    note = json.loads(posted[1].request.body)
    assert note["tags"] == ["triage-escalated", "triage-reply-unconfirmed"]
    assert "may or may not have been posted" in note["body"]
    [counts] = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if '"HelpdeskRepliesUnconfirmed"' in line
    ]
    assert counts["HelpdeskRepliesUnconfirmed"] == [1.0]
    assert queued(webhooks, webhooks.outbox_queue_url) == []


def test_an_escalated_helpdesk_message_is_noted_and_tagged_on_its_ticket(webhooks: local.Stack) -> None:
    body = json.dumps(
        {
            "type": "message.created",
            "data": {
                "ticket_id": "T-2002",
                "message_id": "M-7",
                "from": {"name": "Sam Roe", "email": "sam@customer.example.org"},
                "subject": "Refund",
                "text": "The heater overheated and burned my hand. I want my money back.",
                "author_role": "customer",
            },
        }
    ).encode()
    headers = sign("generic", body, SECRETS["generic"], datetime.now(UTC), delivery_id="msg_0002")
    assert post("generic", body, headers)["statusCode"] == 202
    run_worker(webhooks)
    [escalation] = escalations(webhooks)
    assert escalation["reason"] == "sensitive_topic"
    [note] = queued(webhooks, webhooks.outbox_queue_url)
    assert (note["kind"], note["ticket_id"]) == ("escalation", "T-2002")
    assert note["tags"] == ["triage-escalated", "triage-sensitive-topic"]
    assert note["body"].startswith("AI triage handed this to a person: A sensitive matter")


def test_a_second_customer_comment_on_an_answered_ticket_goes_to_a_person(webhooks: local.Stack) -> None:
    """Zendesk names no author address and each comment has its own id: the ticket itself is the thread, so the
    first routine question is answered and a second one on the same ticket is not answered automatically again."""
    fixture = json.loads((FIXTURES / "zendesk" / "comment_added_customer.json").read_text(encoding="utf-8"))
    for n, question in enumerate(
        (
            "Where is my order 77120? When will it arrive?",
            "Where is my order 77120? It still has not arrived, can you track it please?",
        )
    ):
        comment = fixture | {"id": f"delivery-{n}"}
        comment["event"] = {"comment": fixture["event"]["comment"] | {"id": f"9000{n}", "body": question}}
        body = json.dumps(comment).encode()
        assert (
            post("zendesk", body, sign("zendesk", body, SECRETS["zendesk"], datetime.now(UTC)))["statusCode"]
            == 202
        )
    run_worker(webhooks)
    kinds = sorted(item["kind"] for item in queued(webhooks, webhooks.outbox_queue_url))
    assert kinds == ["escalation", "reply"]
    [escalation] = escalations(webhooks)
    assert escalation["reason"] == "thread_already_answered"


@responses.activate
@pytest.mark.parametrize("note_status", [201, 422])
def test_a_reply_the_ticket_refuses_for_good_is_handed_to_a_person(
    webhooks: local.Stack, note_status: int
) -> None:
    """A closed ticket answers 422 to our reply, and would to each of five redeliveries: a note asks a person to
    answer instead, and the item is done. If the ticket takes no note either, the item fails to the outbox DLQ."""
    routine_ticket_answered(webhooks, "1004")
    responses.add(
        responses.POST,
        "https://desk.example.net/api/tickets/T-1004/replies",
        json={"error": "closed"},
        status=422,
    )
    responses.add(
        responses.POST,
        "https://desk.example.net/api/tickets/T-1004/notes",
        json={"id": "N-2"},
        status=note_status,
    )
    sender = local.handler_module("helpdesk_sender").handler
    if note_status == 201:
        run_sender(webhooks)
    else:
        with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS redelivers, then the DLQ
            local.drain_to_worker(webhooks.outbox_queue_url, sender)
    posted = [call for call in responses.calls if "desk.example.net" in call.request.url]
    assert [call.request.url.rsplit("/", 1)[-1] for call in posted][:2] == ["replies", "notes"]
    note = json.loads(posted[1].request.body)
    assert note["tags"] == ["triage-escalated", "triage-reply-refused"]
    assert "Please reply yourself" in note["body"]
