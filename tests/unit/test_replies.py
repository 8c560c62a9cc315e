"""Automatic replies: in thread, marked automatic, safe against header injection, filled from the message."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from triage.message import Address, InboundMessage
from triage.parsing.machine_mail import LOOP_HEADER, REPLY_MESSAGE_ID_PREFIX
from triage.replies import (
    ReplyStyle,
    compose_mime,
    first_name,
    reply_body,
    reply_content,
    reply_subject,
    templated_intents,
)
from triage.settings import DEFAULT_AUTO_REPLY_INTENTS

STYLE = ReplyStyle(help_url="https://help.example.com/", signature="The Support team")


def inbound(**fields: object) -> InboundMessage:
    base: dict[str, object] = {
        "id": "k1",
        "message_id": "<abc.123@mail.customer.example.net>",
        "references": ("<earlier@mail.customer.example.net>",),
        "from": Address(name="Jane Doe", address="jane@customer.example.net"),
        "subject": "Where is order #A-48213?",
        "text": "Hi, where is my order #A-48213? Thanks",
    }
    return InboundMessage(**(base | fields))


def sent(message: InboundMessage) -> object:
    body = reply_body("track_order", message, STYLE)
    assert body is not None
    mime = compose_mime(
        reply_content(message, body),
        from_address="support@example.com",
        from_name="Support",
        loop_token="stack-1",
    )
    return message_from_bytes(mime.as_bytes(), policy=default)


def test_every_allowlisted_intent_has_a_template() -> None:
    assert set(DEFAULT_AUTO_REPLY_INTENTS) <= templated_intents()


def test_reply_is_in_thread_and_marked_automatic() -> None:
    reply = sent(inbound())
    assert reply["In-Reply-To"] == "<abc.123@mail.customer.example.net>"
    assert reply["References"] == "<earlier@mail.customer.example.net> <abc.123@mail.customer.example.net>"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["X-Auto-Response-Suppress"] == "All"
    assert reply["Precedence"] == "auto_reply"
    assert reply[LOOP_HEADER] == "stack-1"
    assert reply["Message-ID"].startswith(f"<{REPLY_MESSAGE_ID_PREFIX}")
    assert reply["Subject"] == "Re: Where is order #A-48213?"
    assert reply["To"] == "jane@customer.example.net"


def test_reply_goes_to_reply_to_when_given() -> None:
    reply = sent(inbound(reply_to=(Address(address="orders@customer.example.net"),)))
    assert reply["To"] == "orders@customer.example.net"


def test_body_is_filled_from_the_message() -> None:
    body = reply_body("track_order", inbound(), STYLE)
    assert body is not None
    assert body.startswith("Hi Jane,")
    assert "(order A-48213)" in body
    assert "https://help.example.com/orders" in body
    assert "automatic" in body.lower()


def test_unknown_intent_has_no_body() -> None:
    assert reply_body("get_refund", inbound(), STYLE) is None


def test_encoded_crlf_in_subject_cannot_inject_a_header() -> None:
    reply = sent(inbound(subject="hi\r\nBcc: evil@attacker.example"))
    assert reply["Bcc"] is None
    assert reply["Subject"] == "Re: hi Bcc: evil@attacker.example"


def test_outlook_style_message_id_is_quoted_safely() -> None:
    reply = sent(inbound(message_id="<[abc].1@[10.1.2.3].OUTLOOK.COM>", references=()))
    assert reply["In-Reply-To"] == "<[abc].1@[10.1.2.3].OUTLOOK.COM>"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("", "Re: your message"), ("RE: AW: Fwd: Parcel", "Re: Parcel"), ("Re[2]: x", "Re: x")],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe", "Jane"),
        ("Doe, Jane", "Jane"),
        ("", ""),
        ("ACME SALES", ""),
        ("jane@x.example", ""),
        ("x", ""),
    ],
)
def test_first_name_only_when_clear(name: str, expected: str) -> None:
    assert first_name(Address(name=name, address="a@b.example")) == expected
