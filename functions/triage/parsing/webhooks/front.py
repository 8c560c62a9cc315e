"""Front: application webhooks ``{"type": "inbound_received", "authorization": {"id": company}, "payload": event}``.
The older rule-webhook shape, where the event itself is the body (``{"type": "inbound", ...}``), is read too, but
only when it comes signed as an application webhook: Front's rule webhooks sign with HMAC-SHA1 and no timestamp
(no replay window), a scheme the intake refuses (401 ``missing_timestamp``); use an application webhook.

The customer's message is the event's target message; it must be inbound and have no teammate author. The
conversation id is the ticket, the first source inbox names the brand, the company id is the account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest, tag_names

AGENT_EVENTS: Final = frozenset({"outbound", "out_reply", "reply", "message_sent"})
NOTE_EVENTS: Final = frozenset({"comment", "mention"})
OTHER_EVENTS: Final = frozenset(
    {
        "assign",
        "unassign",
        "archive",
        "reopen",
        "trash",
        "restore",
        "tag",
        "untag",
        "move",
        "forward",
        "sending_error",
        "message_bounced",
        "conversation_snoozed",
        "conversation_snooze_expired",
        "link_added",
        "link_removed",
    }
)


def _event(payload: Field) -> Field:
    inner = payload["payload"]
    return inner if inner.is_object() else payload


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    if payload is not None and _event(payload)["id"].text():
        return _event(payload)["id"].text()
    return digest(body)


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    event = _event(payload)
    kind = event.need_text("type").lower()
    if kind in NOTE_EVENTS:
        return Ignore(model.INTERNAL_NOTE)
    if kind in AGENT_EVENTS:
        return Ignore(model.AGENT_REPLY)
    if kind in OTHER_EVENTS:
        return Ignore(model.NOT_CUSTOMER_EVENT)
    if kind != "inbound":
        return Ignore(model.UNSUPPORTED_EVENT)
    message = event.need("target", "data")
    if message["is_inbound"].present and not message["is_inbound"].is_true():
        return Ignore(model.AGENT_REPLY)
    if message["author"].present:
        return Ignore(model.AGENT_REPLY)  # a teammate wrote it (imported or sent as inbound)
    conversation = event.need("conversation")
    sender = next(
        (item for item in message["recipients"].items() if item["role"].text().lower() == "from"),
        conversation["recipient"],
    )
    inbox = event.get("source", "data", 0)
    return CustomerMessage(
        account=payload.get("authorization", "id").text(),
        ticket_id=conversation.need_text("id"),
        message_key=message.need_text("id"),
        author=person(sender["name"].text(), sender["handle"].text()),
        subject=message["subject"].text() or conversation["subject"].text(),
        text=message["text"].text(),
        html=message["body"].text(),
        tags=tag_names(conversation["tags"]),
        brand=inbox["name"].text(),
    )
