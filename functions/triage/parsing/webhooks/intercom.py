"""Intercom notifications: ``{"type": "notification_event", "topic": ..., "data": {"item": conversation}}``.

Both conversation shapes are read: API ≤ 1.4 (``user`` + ``conversation_message``) and API 2.x (``source`` with
its ``author``). A user's first message is the conversation message; a reply is the newest conversation part
written by the user (``user``, ``lead`` or ``contact``). Admin, bot and operator parts are not the customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest, missing, tag_names

CUSTOMER_AUTHORS: Final = frozenset({"user", "lead", "contact"})
AGENT_TOPICS: Final = frozenset(
    {
        "conversation.admin.replied",
        "conversation.admin.single.created",
        "conversation.admin.closed",
        "conversation.admin.opened",
        "conversation.admin.snoozed",
        "conversation.admin.unsnoozed",
        "conversation.admin.assigned",
        "conversation.operator.replied",
    }
)
NOTE_TOPICS: Final = frozenset({"conversation.admin.noted"})
OTHER_PREFIXES: Final = (
    "conversation.",
    "conversation_part.",
    "contact.",
    "user.",
    "ticket.",
    "company.",
    "visitor.",
)
_TAG = re.compile(r"<[^>]+>")


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    if payload is not None and payload["id"].text():
        return payload["id"].text()
    return digest(body)  # the ping has "id": null


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    topic = payload.need_text("topic")
    if topic == "ping":
        return Ignore(model.PING)
    if topic in NOTE_TOPICS:
        return Ignore(model.INTERNAL_NOTE)
    if topic in AGENT_TOPICS:
        return Ignore(model.AGENT_REPLY)
    if topic == "conversation.user.created":
        item = payload.need("data", "item")
        first = item["conversation_message"] if item["conversation_message"].present else item["source"]
        if not first.present:
            raise missing(item["conversation_message"].path)
        return _message(payload, item, first, creates_ticket=True)
    if topic == "conversation.user.replied":
        item = payload.need("data", "item")
        parts = item.get("conversation_parts", "conversation_parts")
        written = [
            part
            for part in parts.items()
            if _author_type(part) in CUSTOMER_AUTHORS
            and (part["body"].present or part["attachments"].present)
        ]
        if not written:
            raise missing(parts.path)
        return _message(payload, item, written[-1], creates_ticket=False)
    if topic.startswith(OTHER_PREFIXES):
        return Ignore(model.NOT_CUSTOMER_EVENT)
    return Ignore(model.UNSUPPORTED_EVENT)


def _author_type(part: Field) -> str:
    return part.get("author", "type").text().lower()


def _message(
    payload: Field, item: Field, message: Field, *, creates_ticket: bool
) -> CustomerMessage | Ignore:
    kind = _author_type(message)
    if kind and kind not in CUSTOMER_AUTHORS:
        return Ignore(model.AGENT_REPLY)
    if message["part_type"].text() == "note":
        return Ignore(model.INTERNAL_NOTE)
    author = message["author"]
    user = item["user"]
    name = user["name"].text() or author["name"].text()
    address = user["email"].text() or author["email"].text()
    subject = _TAG.sub("", message["subject"].text() or item["title"].text()).strip()
    return CustomerMessage(
        account=payload["app_id"].text(),
        ticket_id=item.need_text("id"),
        message_key=message.need_text("id"),
        author=person(name, address),
        subject=subject,
        html=message["body"].text(),
        tags=tag_names(item.get("tags", "tags")),
        creates_ticket=creates_ticket,
    )
