"""Automatic replies: in thread, marked automatic, safe against header injection, filled from the message."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from triage.message import Address, InboundMessage
from triage.parsing.machine_mail import LOOP_HEADER, REPLY_MESSAGE_ID_PREFIX
from triage.profiles import load_policy
from triage.replies import (
    ReplyStyle,
    ReplyTemplates,
    TemplateError,
    compose_mime,
    first_name,
    reply_content,
    reply_subject,
    without_automatic_notice,
)

INFRA = Path(__file__).resolve().parents[2] / "infra"
STYLE = ReplyStyle(help_url="https://help.example.com/", signature="The Support team")
TEMPLATES = ReplyTemplates(INFRA / "templates")


def reply_body(intent: str, message: InboundMessage, style: ReplyStyle = STYLE) -> str | None:
    return TEMPLATES.render(intent, message, style).body


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


def test_every_automated_intent_of_every_profile_has_a_template() -> None:
    policy = load_policy(INFRA / "policy.json")
    for profile in policy.profiles.values():
        assert profile.auto_reply_intents <= TEMPLATES.intents


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
    [
        ("", "Re: your message"),
        ("RE: AW: Fwd: Parcel", "Re: Parcel"),
        ("Re[2]: x", "Re: x"),
        ("Re： 包裹", "Re: 包裹"),
        ("回复：包裹", "Re: 包裹"),
        ("VS: SV: Paketti", "Re: Paketti"),
        ("Odp: Paczka", "Re: Paczka"),
        ("Antwort: Paket", "Re: Paket"),
        ("Relay: Parcel", "Re: Relay: Parcel"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe", "Jane"),
        ("Doe, Jane", "Jane"),
        ("Mr Smith", ""),
        ("Mrs. Patel", ""),
        ("Herr Weber", ""),
        ("Mme Dupont", ""),
        ("Accounts Payable", ""),
        ("The Smiths", ""),
        ("Customer Service", ""),
        ("Sarah Miller Family", ""),
        ("", ""),
        ("ACME SALES", ""),
        ("jane@x.example", ""),
        ("x", ""),
    ],
)
def test_first_name_only_when_clear(name: str, expected: str) -> None:
    assert first_name(Address(name=name, address="a@b.example")) == expected


def test_a_template_that_needs_an_order_number_asks_for_it_when_missing() -> None:
    with_number = TEMPLATES.render(
        "get_invoice", inbound(subject="Invoice", text="Please send the invoice for order 55120."), STYLE
    )
    assert with_number.body is not None
    assert "orders/55120/invoice" in with_number.body
    assert not with_number.missing
    without = TEMPLATES.render(
        "get_invoice", inbound(subject="Invoice", text="I need my invoice please."), STYLE
    )
    assert without.missing == ("order_number",)
    assert without.asks_for_missing
    assert without.body is not None
    assert "order number" in without.body
    assert "$" not in without.body


def test_a_missing_field_with_no_ask_template_gives_no_reply(tmp_path: Path) -> None:
    (tmp_path / "_footer.txt").write_text("\n$signature\n", encoding="utf-8")
    (tmp_path / "refund_status.txt").write_text("Order $order_number is refunded.", encoding="utf-8")
    rendered = ReplyTemplates(tmp_path).render(
        "refund_status", inbound(subject="Refund", text="Refunded yet?"), STYLE
    )
    assert rendered.body is None
    assert rendered.missing == ("order_number",)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("Dear $customer_name,", r"unknown placeholder\(s\) customer_name"),
        ("Costs $ 5", "malformed placeholder"),
    ],
)
def test_a_template_that_could_send_a_broken_reply_stops_start_up(
    tmp_path: Path, content: str, complaint: str
) -> None:
    (tmp_path / "_footer.txt").write_text("$signature", encoding="utf-8")
    (tmp_path / "track_order.txt").write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError, match=complaint):
        ReplyTemplates(tmp_path)


def test_templates_need_a_footer(tmp_path: Path) -> None:
    (tmp_path / "track_order.txt").write_text("Hello", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"_footer\.txt"):
        ReplyTemplates(tmp_path)


def test_a_reply_without_its_automatic_notice_is_what_a_person_would_send() -> None:
    body = reply_body("track_order", inbound())
    assert body is not None
    assert "automatic answer" in body  # what the customer gets says so

    draft = without_automatic_notice(body)

    assert draft.startswith("Hi Jane,")
    assert draft.endswith("The Support team")
    assert "automatic" not in draft.lower()
    assert "\n--" not in draft


def test_a_signature_block_that_says_nothing_automatic_is_kept() -> None:
    body = "Hello,\n\nIt is on its way.\n\n--\nThe Support team\nhttps://help.example.com\n"
    assert without_automatic_notice(body) == body.rstrip()
