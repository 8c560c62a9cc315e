"""Replies back to the helpdesks (issue 5, point 5): the exact requests each vendor client sends, and how
``deliver`` retries. Every HTTP exchange is served by ``responses``; nothing touches the network and the
retry tests inject a fake ``sleep``, so they assert behaviour, never timing."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from triage.helpdesk import (
    PROVIDERS,
    Credentials,
    CredentialsError,
    OutboxItem,
    PermanentError,
    PostUncertain,
    RetryableError,
    client_for,
    deliver,
)
from triage.helpdesk._http import retry_after_seconds
from triage.helpdesk._text import to_html
from triage.helpdesk.outbox import MAX_DELAY_SECONDS
from triage.observability import logger

REPLY = 'Hello Ana,\nyour refund <b>is</b> on its way & "soon".\n\nBest, Support'
REPLY_HTML = "<p>Hello Ana,<br>your refund &lt;b&gt;is&lt;/b&gt; on its way &amp; &quot;soon&quot;.</p><p>Best, Support</p>"
NOTE = "Summary: refund request, second contact.\nReason: customer asks for a person."
NOTE_HTML = "<p>Summary: refund request, second contact.<br>Reason: customer asks for a person.</p>"
KEY = "msg-7f3a"

SECRETS: dict[str, dict[str, str]] = {
    "zendesk": {"subdomain": "acme", "email": "bot@acme.example", "api_token": "zd-secret-token"},
    "freshdesk": {"domain": "acme.freshdesk.com", "api_key": "fd-secret-key"},
    "intercom": {"access_token": "ic-secret-token", "admin_id": "814"},
    "helpscout": {"access_token": "hs-secret-token"},
    "front": {"api_token": "fr-secret-token", "author_id": "tea_55"},
    "gorgias": {"domain": "acme", "username": "bot@acme.example", "api_key": "gg-secret-key"},
    "generic": {"base_url": "https://desk.acme.example/api/", "token": "gn-secret-token"},
}


def credentials(provider: str, **overrides: str) -> Credentials:
    return Credentials.from_json(provider, json.dumps({**SECRETS[provider], **overrides}))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sent(call: Any) -> Any:
    return json.loads(call.request.body)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


# --- Zendesk -------------------------------------------------------------------------------------------------

ZENDESK_TICKET = "https://acme.zendesk.com/api/v2/tickets/4711.json"
ZENDESK_AUDIT = {"ticket": {"id": 4711}, "audit": {"id": 9001, "events": [{"id": 9002, "type": "Comment"}]}}


def test_zendesk_reply_is_a_public_comment_on_a_ticket_update(http: responses.RequestsMock) -> None:
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)

    created = client_for(credentials("zendesk")).post_reply("4711", REPLY, idempotency_key=KEY)

    assert created == "9002"
    (call,) = http.calls
    assert call.request.method == "PUT"
    assert call.request.url == ZENDESK_TICKET
    assert call.request.headers["Authorization"] == basic("bot@acme.example/token", "zd-secret-token")
    assert sent(call) == {"ticket": {"comment": {"body": REPLY, "public": True}}}
    assert "Idempotency-Key" not in call.request.headers


def test_zendesk_escalation_is_a_private_comment_and_additional_tags_in_one_update(
    http: responses.RequestsMock,
) -> None:
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)

    created = client_for(credentials("zendesk")).escalate(
        "4711", NOTE, ["escalated", "refund"], idempotency_key=KEY
    )

    assert created == "9002"
    (call,) = http.calls
    assert call.request.method == "PUT"
    assert sent(call) == {
        "ticket": {"comment": {"body": NOTE, "public": False}, "additional_tags": ["escalated", "refund"]}
    }


# --- Freshdesk -----------------------------------------------------------------------------------------------

FRESHDESK = "https://acme.freshdesk.com/api/v2/tickets/88"


def test_freshdesk_reply_posts_escaped_html_with_api_key_basic_auth(http: responses.RequestsMock) -> None:
    http.post(f"{FRESHDESK}/reply", status=201, json={"id": 5001, "body": "..."})

    created = client_for(credentials("freshdesk")).post_reply("88", REPLY, idempotency_key=KEY)

    assert created == "5001"
    (call,) = http.calls
    assert call.request.url == f"{FRESHDESK}/reply"
    assert call.request.headers["Authorization"] == basic("fd-secret-key", "X")
    assert sent(call) == {"body": REPLY_HTML}


def test_freshdesk_escalation_adds_missing_tags_then_a_private_note(http: responses.RequestsMock) -> None:
    http.get(FRESHDESK, json={"id": 88, "tags": ["vip"]})
    http.put(FRESHDESK, json={"id": 88, "tags": ["vip", "escalated"]})
    http.post(f"{FRESHDESK}/notes", status=201, json={"id": 5002})

    created = client_for(credentials("freshdesk")).escalate(
        "88", NOTE, ["escalated", "vip"], idempotency_key=KEY
    )

    assert created == "5002"
    get, put, note = http.calls
    assert (get.request.method, put.request.method, note.request.method) == ("GET", "PUT", "POST")
    assert sent(put) == {"tags": ["vip", "escalated"]}
    assert sent(note) == {"body": NOTE_HTML, "private": True}


def test_freshdesk_escalation_skips_the_tag_update_when_every_tag_is_there(
    http: responses.RequestsMock,
) -> None:
    http.get(FRESHDESK, json={"id": 88, "tags": ["escalated"]})
    http.post(f"{FRESHDESK}/notes", status=201, json={"id": 5003})

    client_for(credentials("freshdesk", domain="acme")).escalate(
        "88", NOTE, ["escalated"], idempotency_key=KEY
    )

    assert [call.request.method for call in http.calls] == ["GET", "POST"]


# --- Intercom ------------------------------------------------------------------------------------------------

INTERCOM = "https://api.intercom.io"
INTERCOM_CONVERSATION = {
    "type": "conversation",
    "id": "123",
    "conversation_parts": {"conversation_parts": [{"id": "p1"}, {"id": "p2"}]},
}


def test_intercom_reply_is_an_admin_comment_with_bearer_and_version(http: responses.RequestsMock) -> None:
    http.post(f"{INTERCOM}/conversations/123/reply", json=INTERCOM_CONVERSATION)

    created = client_for(credentials("intercom")).post_reply("123", REPLY, idempotency_key=KEY)

    assert created == "p2"
    (call,) = http.calls
    assert call.request.headers["Authorization"] == "Bearer ic-secret-token"
    assert call.request.headers["Intercom-Version"] == "2.11"
    assert sent(call) == {"message_type": "comment", "type": "admin", "admin_id": "814", "body": REPLY_HTML}


def test_intercom_escalation_finds_or_creates_each_tag_by_name_then_adds_a_note(
    http: responses.RequestsMock,
) -> None:
    http.post(f"{INTERCOM}/tags", json={"type": "tag", "id": "17", "name": "escalated"})
    http.post(f"{INTERCOM}/conversations/123/tags", json={"type": "tag", "id": "17"})
    http.post(f"{INTERCOM}/tags", json={"type": "tag", "id": "18", "name": "refund"})
    http.post(f"{INTERCOM}/conversations/123/tags", json={"type": "tag", "id": "18"})
    http.post(f"{INTERCOM}/conversations/123/reply", json=INTERCOM_CONVERSATION)

    created = client_for(credentials("intercom")).escalate(
        "123", NOTE, ["escalated", "refund"], idempotency_key=KEY
    )

    assert created == "p2"
    bodies = [(call.request.url, sent(call)) for call in http.calls]
    assert bodies == [
        (f"{INTERCOM}/tags", {"name": "escalated"}),
        (f"{INTERCOM}/conversations/123/tags", {"id": "17", "admin_id": "814"}),
        (f"{INTERCOM}/tags", {"name": "refund"}),
        (f"{INTERCOM}/conversations/123/tags", {"id": "18", "admin_id": "814"}),
        (
            f"{INTERCOM}/conversations/123/reply",
            {"message_type": "note", "type": "admin", "admin_id": "814", "body": NOTE_HTML},
        ),
    ]


# --- Help Scout ----------------------------------------------------------------------------------------------

HELPSCOUT = "https://api.helpscout.net/v2/conversations/555"


def test_helpscout_reply_names_the_primary_customer_and_returns_the_thread_id(
    http: responses.RequestsMock,
) -> None:
    http.get(HELPSCOUT, json={"id": 555, "primaryCustomer": {"id": 77}, "tags": []})
    http.post(f"{HELPSCOUT}/reply", status=201, headers={"Resource-ID": "3001"})

    created = client_for(credentials("helpscout")).post_reply("555", REPLY, idempotency_key=KEY)

    assert created == "3001"
    read, reply = http.calls
    assert read.request.method == "GET"
    assert reply.request.headers["Authorization"] == "Bearer hs-secret-token"
    assert sent(reply) == {"customer": {"id": 77}, "text": REPLY_HTML}


def test_helpscout_escalation_keeps_existing_tags_and_adds_a_note(http: responses.RequestsMock) -> None:
    http.get(HELPSCOUT, json={"id": 555, "tags": [{"id": 1, "tag": "vip", "color": "#fff"}]})
    http.put(f"{HELPSCOUT}/tags", status=204)
    http.post(f"{HELPSCOUT}/notes", status=201, headers={"Resource-ID": "3002"})

    created = client_for(credentials("helpscout")).escalate("555", NOTE, ["escalated"], idempotency_key=KEY)

    assert created == "3002"
    _, tags, note = http.calls
    assert (tags.request.method, tags.request.url) == ("PUT", f"{HELPSCOUT}/tags")
    assert sent(tags) == {"tags": ["vip", "escalated"]}
    assert sent(note) == {"text": NOTE_HTML}


def test_helpscout_conversation_without_a_customer_is_permanent(http: responses.RequestsMock) -> None:
    http.get(HELPSCOUT, json={"id": 555})

    with pytest.raises(PermanentError):
        client_for(credentials("helpscout")).post_reply("555", REPLY, idempotency_key=KEY)


# --- Front ---------------------------------------------------------------------------------------------------

FRONT = "https://api2.frontapp.com"


def test_front_reply_sends_html_and_text_on_behalf_of_the_teammate(http: responses.RequestsMock) -> None:
    http.post(
        f"{FRONT}/conversations/cnv_9/messages", status=202, json={"status": "accepted", "message_uid": "u1"}
    )

    created = client_for(credentials("front")).post_reply("cnv_9", REPLY, idempotency_key=KEY)

    assert created == "u1"
    (call,) = http.calls
    assert call.request.headers["Authorization"] == "Bearer fr-secret-token"
    assert sent(call) == {"body": REPLY_HTML, "text": REPLY, "author_id": "tea_55"}


def test_front_escalation_resolves_tag_names_across_pages_then_comments(http: responses.RequestsMock) -> None:
    page_two = "https://acme.api.frontapp.com/tags?page_token=p2"
    http.get(
        f"{FRONT}/tags",
        json={"_pagination": {"next": page_two}, "_results": [{"id": "tag_1", "name": "VIP"}]},
    )
    # A pagination link to a foreign host is not followed: the token never leaves Front.
    http.get(
        page_two,
        json={
            "_pagination": {"next": "https://evil.example/tags"},
            "_results": [{"id": "tag_2", "name": "billing"}],
        },
    )
    http.post(f"{FRONT}/tags", status=201, json={"id": "tag_3", "name": "escalated"})
    http.post(f"{FRONT}/conversations/cnv_9/tags", status=204)
    http.post(f"{FRONT}/conversations/cnv_9/comments", status=201, json={"id": "com_4"})

    created = client_for(credentials("front")).escalate(
        "cnv_9", NOTE, ["vip", "escalated", "billing"], idempotency_key=KEY
    )

    assert created == "com_4"
    calls = [(call.request.method, call.request.url) for call in http.calls]
    assert calls == [
        ("GET", f"{FRONT}/tags"),
        ("GET", page_two),
        ("POST", f"{FRONT}/tags"),
        ("POST", f"{FRONT}/conversations/cnv_9/tags"),
        ("POST", f"{FRONT}/conversations/cnv_9/comments"),
    ]
    assert sent(http.calls[2]) == {"name": "escalated"}
    assert sent(http.calls[3]) == {"tag_ids": ["tag_1", "tag_3", "tag_2"]}
    assert sent(http.calls[4]) == {"body": NOTE, "author_id": "tea_55"}


# --- Gorgias -------------------------------------------------------------------------------------------------

GORGIAS = "https://acme.gorgias.com/api/tickets/321"


def test_gorgias_reply_is_an_outgoing_agent_message_to_the_ticket_customer(
    http: responses.RequestsMock,
) -> None:
    http.get(GORGIAS, json={"id": 321, "channel": "email", "customer": {"id": 66}})
    http.post(f"{GORGIAS}/messages", status=201, json={"id": 7001})

    created = client_for(credentials("gorgias")).post_reply("321", REPLY, idempotency_key=KEY)

    assert created == "7001"
    _, message = http.calls
    assert message.request.headers["Authorization"] == basic("bot@acme.example", "gg-secret-key")
    assert sent(message) == {
        "channel": "email",
        "via": "api",
        "from_agent": True,
        "public": True,
        "sender": {"email": "bot@acme.example"},
        "receiver": {"id": 66},
        "body_text": REPLY,
        "body_html": REPLY_HTML,
    }


def test_gorgias_escalation_adds_tags_by_name_then_an_internal_note(http: responses.RequestsMock) -> None:
    http.post(f"{GORGIAS}/tags", status=201)
    http.post(f"{GORGIAS}/messages", status=201, json={"id": 7002})

    created = client_for(credentials("gorgias")).escalate("321", NOTE, ["escalated"], idempotency_key=KEY)

    assert created == "7002"
    tags, note = http.calls
    assert sent(tags) == {"names": ["escalated"]}
    assert sent(note) == {
        "channel": "internal-note",
        "via": "api",
        "from_agent": True,
        "public": False,
        "sender": {"email": "bot@acme.example"},
        "body_text": NOTE,
        "body_html": NOTE_HTML,
    }


# --- Generic -------------------------------------------------------------------------------------------------

GENERIC = "https://desk.acme.example/api/tickets/T-1"


def test_generic_reply_carries_bearer_and_the_idempotency_key(http: responses.RequestsMock) -> None:
    http.post(f"{GENERIC}/replies", status=201, json={"id": "r-1"})

    created = client_for(credentials("generic")).post_reply("T-1", REPLY, idempotency_key=KEY)

    assert created == "r-1"
    (call,) = http.calls
    assert call.request.headers["Authorization"] == "Bearer gn-secret-token"
    assert call.request.headers["Idempotency-Key"] == KEY
    assert sent(call) == {"body": REPLY}


def test_generic_escalation_is_a_private_note_with_tags(http: responses.RequestsMock) -> None:
    http.post(f"{GENERIC}/notes", status=201, json={"id": "n-1"})

    created = client_for(credentials("generic")).escalate("T-1", NOTE, ["escalated"], idempotency_key=KEY)

    assert created == "n-1"
    (call,) = http.calls
    assert call.request.headers["Idempotency-Key"] == KEY
    assert sent(call) == {"body": NOTE, "tags": ["escalated"], "private": True}


# --- What every client shares --------------------------------------------------------------------------------


def test_a_ticket_id_cannot_change_the_vendor_path(http: responses.RequestsMock) -> None:
    http.post("https://desk.acme.example/api/tickets/1%2F..%2F..%2Fadmin%3Fx%3D1/replies", json={"id": "r"})

    client_for(credentials("generic")).post_reply("1/../../admin?x=1", REPLY, idempotency_key=KEY)

    assert len(http.calls) == 1


def test_a_redirect_is_not_followed_and_is_permanent(http: responses.RequestsMock) -> None:
    http.post(f"{GENERIC}/replies", status=301, headers={"Location": "https://elsewhere.example/x"})

    with pytest.raises(PermanentError) as raised:
        client_for(credentials("generic")).post_reply("T-1", REPLY, idempotency_key=KEY)

    assert raised.value.status == 301
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    ("provider", "key", "value"),
    [
        ("zendesk", "subdomain", "acme.evil.example/x"),
        ("zendesk", "subdomain", "acme.evil.example"),
        ("freshdesk", "domain", "acme.freshdesk.com.evil.example"),
        ("freshdesk", "domain", "https://acme.freshdesk.com"),
        ("gorgias", "domain", "acme:8443"),
        ("generic", "base_url", "http://desk.acme.example/api"),
        ("generic", "base_url", "https://user:pw@desk.acme.example/api"),
    ],
)
def test_credentials_that_would_send_secrets_elsewhere_are_refused(
    provider: str, key: str, value: str
) -> None:
    with pytest.raises(CredentialsError) as raised:
        client_for(credentials(provider, **{key: value}))

    assert key in str(raised.value)


def test_http_is_allowed_for_a_local_generic_receiver_only() -> None:
    client_for(credentials("generic", base_url="http://localhost:8080/api"))


def test_text_becomes_escaped_html_paragraphs() -> None:
    assert to_html("a<script>alert(1)</script>\r\nb\n\n\nc & d") == (
        "<p>a&lt;script&gt;alert(1)&lt;/script&gt;<br>b</p><p>c &amp; d</p>"
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
        ({"X-RateLimit-Retry-After": "12"}, 12.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_seconds_http_dates_and_help_scouts_header(
    headers: dict[str, str], expected: float | None
) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT

    assert retry_after_seconds(headers, now=now) == expected


# --- deliver(): retries ------------------------------------------------------------------------------------------


def reply_item(provider: str = "zendesk", ticket_id: str = "4711") -> OutboxItem:
    return OutboxItem(
        kind="reply", provider=provider, account="acme", ticket_id=ticket_id, body=REPLY, idempotency_key=KEY
    )


def test_429_with_retry_after_then_success_retries_once_after_the_vendors_delay(
    http: responses.RequestsMock,
) -> None:
    http.put(ZENDESK_TICKET, status=429, headers={"Retry-After": "2"})
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)
    sleep = FakeSleep()

    created = deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep)

    assert created == "9002"
    assert sleep.delays == [2.0]
    assert len(http.calls) == 2


def test_503_every_time_raises_retryable_after_four_attempts_with_growing_jittered_waits(
    http: responses.RequestsMock,
) -> None:
    for _ in range(4):
        http.put(ZENDESK_TICKET, status=503)
    sleep = FakeSleep()

    with pytest.raises(RetryableError) as raised:
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep, base_delay=0.5)

    assert raised.value.status == 503
    assert len(http.calls) == 4
    assert len(sleep.delays) == 3
    for attempt, delay in enumerate(sleep.delays, start=1):
        assert 0.0 <= delay <= 0.5 * 2 ** (attempt - 1)


def test_401_is_permanent_at_once(http: responses.RequestsMock) -> None:
    http.put(ZENDESK_TICKET, status=401, json={"error": "Couldn't authenticate you"})
    sleep = FakeSleep()

    with pytest.raises(PermanentError) as raised:
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep)

    assert raised.value.status == 401
    assert sleep.delays == []
    assert len(http.calls) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_client_errors_are_permanent(http: responses.RequestsMock, status: int) -> None:
    http.put(ZENDESK_TICKET, status=status)

    with pytest.raises(PermanentError):
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=FakeSleep())


def note_item(provider: str = "zendesk", ticket_id: str = "4711") -> OutboxItem:
    return OutboxItem(
        kind="escalation",
        provider=provider,
        account="acme",
        ticket_id=ticket_id,
        body=NOTE,
        tags=("escalated",),
        idempotency_key=KEY,
    )


def refused() -> requests.exceptions.ConnectionError:
    """What requests raises when nothing listens: the connection never opened."""
    return requests.exceptions.ConnectionError(
        MaxRetryError(None, ZENDESK_TICKET, NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    )


def dropped() -> requests.exceptions.ConnectionError:
    """What requests raises when the vendor closes the connection after our request went out."""
    return requests.exceptions.ConnectionError(
        ProtocolError(
            "Connection aborted.", RemoteDisconnected("Remote end closed connection without response")
        )
    )


@pytest.mark.parametrize("status", [408, 409, 503])
def test_statuses_that_took_nothing_on_are_retried(http: responses.RequestsMock, status: int) -> None:
    http.put(ZENDESK_TICKET, status=status)
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)

    assert deliver(reply_item(), client_for(credentials("zendesk")), sleep=FakeSleep()) == "9002"


@pytest.mark.parametrize(
    "failure",
    [
        refused(),
        requests.exceptions.ConnectTimeout("no connection"),
        requests.exceptions.SSLError("handshake"),
    ],
    ids=["refused", "connect-timeout", "tls-handshake"],
)
def test_a_reply_whose_connection_never_opened_is_retried(
    http: responses.RequestsMock, failure: Exception
) -> None:
    http.put(ZENDESK_TICKET, body=failure)
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)
    sleep = FakeSleep()

    assert deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep) == "9002"
    assert len(sleep.delays) == 1


UNCERTAIN: list[dict[str, Any]] = [
    {"body": requests.exceptions.ReadTimeout("slow")},
    {"body": dropped()},
    {"status": 500},
    {"status": 502},
    {"status": 504},
]
UNCERTAIN_IDS = ["read-timeout", "dropped", "500", "502", "504"]


@pytest.mark.parametrize("failure", UNCERTAIN, ids=UNCERTAIN_IDS)
def test_a_reply_the_vendor_may_have_posted_is_never_posted_again(
    http: responses.RequestsMock, failure: dict[str, Any]
) -> None:
    http.put(ZENDESK_TICKET, **failure)
    sleep = FakeSleep()

    with pytest.raises(PostUncertain) as raised:
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep)

    assert raised.value.status == failure.get("status", 0)
    assert len(http.calls) == 1
    assert sleep.delays == []


@pytest.mark.parametrize("failure", UNCERTAIN, ids=UNCERTAIN_IDS)
def test_a_note_is_retried_whatever_the_vendor_may_have_done(
    http: responses.RequestsMock, failure: dict[str, Any]
) -> None:
    """A second copy of an internal note costs nothing; a note that never arrives leaves the customer waiting."""
    http.put(ZENDESK_TICKET, **failure)
    http.put(ZENDESK_TICKET, json=ZENDESK_AUDIT)

    assert deliver(note_item(), client_for(credentials("zendesk")), sleep=FakeSleep()) == "9002"


def test_a_read_that_times_out_is_retried_even_for_a_reply(http: responses.RequestsMock) -> None:
    """Help Scout reads the conversation before replying: a failed read cannot have posted anything."""
    http.get(HELPSCOUT, body=requests.exceptions.ReadTimeout("slow"))
    http.get(HELPSCOUT, json={"id": 555, "primaryCustomer": {"id": 77}, "tags": []})
    http.post(f"{HELPSCOUT}/reply", status=201, headers={"Resource-ID": "3001"})

    created = deliver(reply_item("helpscout", "555"), client_for(credentials("helpscout")), sleep=FakeSleep())

    assert created == "3001"


def test_a_wait_longer_than_the_cap_goes_back_to_sqs_at_once(http: responses.RequestsMock) -> None:
    http.put(ZENDESK_TICKET, status=429, headers={"Retry-After": str(int(MAX_DELAY_SECONDS) + 30)})
    sleep = FakeSleep()

    with pytest.raises(RetryableError) as raised:
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=sleep)

    assert raised.value.retry_after == MAX_DELAY_SECONDS + 30
    assert sleep.delays == []


def test_an_escalation_item_is_delivered_as_note_and_tags(http: responses.RequestsMock) -> None:
    http.post(f"{GENERIC}/notes", status=201, json={"id": "n-2"})
    item = note_item("generic", "T-1")

    assert deliver(item, client_for(credentials("generic")), sleep=FakeSleep()) == "n-2"
    assert sent(http.calls[0])["tags"] == ["escalated"]


class RecordCollector(logging.Handler):
    """Every field of every log record, extras included, as text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(repr(record.__dict__))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    collector = RecordCollector()
    logger.addHandler(collector)
    try:
        yield collector.lines
    finally:
        logger.removeHandler(collector)


def test_errors_and_logs_never_carry_the_body_or_a_secret(
    http: responses.RequestsMock, log_lines: list[str]
) -> None:
    http.put(ZENDESK_TICKET, status=503)
    http.put(ZENDESK_TICKET, status=422, json={"details": {"body": REPLY}})

    with pytest.raises(PermanentError) as raised:
        deliver(reply_item(), client_for(credentials("zendesk")), sleep=FakeSleep())

    assert log_lines, "the retry should have been logged"
    assert any("4711" in line for line in log_lines)
    for text in [str(raised.value), *log_lines]:
        assert "refund" not in text
        assert "zd-secret-token" not in text
        assert "bot@acme.example" not in text


# --- Credentials ---------------------------------------------------------------------------------------------


def test_credentials_name_every_missing_key_and_never_echo_values() -> None:
    with pytest.raises(CredentialsError) as raised:
        Credentials.from_json("zendesk", json.dumps({"subdomain": "acme-secret-subdomain", "email": " "}))

    message = str(raised.value)
    assert "email" in message
    assert "api_token" in message
    assert "acme-secret-subdomain" not in message


@pytest.mark.parametrize(
    "text", ['{"api_key": "fd-secret-key"', '["fd-secret-key"]', '{"api_key": ["fd-secret-key"]}']
)
def test_malformed_secrets_are_refused_without_quoting_them(text: str) -> None:
    with pytest.raises(CredentialsError) as raised:
        Credentials.from_json("freshdesk", text)

    assert "fd-secret-key" not in str(raised.value)


def test_credentials_repr_hides_the_values() -> None:
    assert "zd-secret-token" not in repr(credentials("zendesk"))


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(CredentialsError):
        Credentials.from_json("desk", "{}")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_has_a_client(provider: str) -> None:
    client = client_for(credentials(provider))

    assert callable(client.post_reply)
    assert callable(client.escalate)


# --- OutboxItem ----------------------------------------------------------------------------------------------


def test_outbox_item_round_trips_through_json() -> None:
    item = OutboxItem(
        kind="escalation",
        provider="front",
        account="acme",
        ticket_id="cnv_9",
        body="Zusammenfassung: Rückerstattung ✓",
        tags=("escalated", "refund"),
        idempotency_key=KEY,
    )

    assert OutboxItem.from_json(item.to_json()) == item


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"kind": "reply", "provider": "zendesk", "ticket_id": "1"}, "body"),
        ({"kind": "shout", "provider": "zendesk", "ticket_id": "1", "body": "x"}, "kind"),
        ({"kind": "reply", "provider": "desk", "ticket_id": "1", "body": "x"}, "provider"),
        ({"kind": "reply", "provider": "zendesk", "ticket_id": 1, "body": "x"}, "ticket_id"),
        ({"kind": "reply", "provider": "zendesk", "ticket_id": "1", "body": "x", "tags": "vip"}, "tags"),
        ({"kind": "reply", "provider": "zendesk", "ticket_id": "1", "body": "x", "to": "a@b.c"}, "to"),
    ],
)
def test_a_malformed_outbox_item_is_refused_naming_the_field(document: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        OutboxItem.from_json(json.dumps(document))


def test_an_outbox_item_error_never_quotes_the_body() -> None:
    with pytest.raises(ValueError, match="ticket_id") as raised:
        OutboxItem.from_json(json.dumps({"kind": "reply", "provider": "zendesk", "body": REPLY}))

    assert "refund" not in str(raised.value)


def test_the_sender_uses_rotated_credentials_once_they_are_in_the_secret() -> None:
    """A refreshed token (Help Scout's last two days) or a rotated key: the next post uses it, not the client the
    container built hours ago; unchanged credentials keep the client (and its connections)."""
    from triage.outbound import HelpdeskSender

    secret = {"base_url": "https://desk.example.net", "token": "old-token"}

    class Secrets:
        def credentials(self, provider: str) -> Credentials:
            return Credentials.from_json(provider, json.dumps(secret))

    built: list[str] = []

    class Vendor:
        def __init__(self, credentials: Credentials) -> None:
            self.token = credentials.values["token"]
            built.append(self.token)

        def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
            return f"posted with {self.token}"

    sender = HelpdeskSender(Secrets(), client_factory=Vendor)  # type: ignore[arg-type]
    item = OutboxItem(
        kind="reply", provider="generic", account="", ticket_id="T-1", body="Hello", idempotency_key="k"
    )
    assert sender.send(item)["created"] == "posted with old-token"
    assert sender.send(item)["created"] == "posted with old-token"
    secret["token"] = "new-token"
    assert sender.send(item)["created"] == "posted with new-token"
    assert built == ["old-token", "new-token"]
