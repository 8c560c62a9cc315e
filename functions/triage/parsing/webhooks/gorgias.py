"""Gorgias HTTP integrations: a JSON form whose values are Gorgias template variables (README.md has ours).

Gorgias signs nothing; the integration sends our shared secret in the ``X-Triage-Token`` header. Template values
arrive as text, so flags read "True"/"False". The message is the ticket's newest message
(``{{ticket.messages[-1]...}}``): written by an agent (``from_agent``) or not public (an internal note) it is
ignored. One integration fires on several triggers with the same template, so the same customer message may
arrive from "ticket created" and "ticket message created": its message id keeps it one message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest

MESSAGE_EVENTS: Final = frozenset({"", "ticket-created", "ticket-message-created", "ticket-updated"})


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    if payload is not None:
        ticket_id = payload["ticket_id"].text()
        event, message_id = payload["event"].text(), payload["message_id"].text()
        if ticket_id and message_id:
            return ".".join(part for part in (ticket_id, event, message_id) if part)
    return digest(body)


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    event = payload["event"].text().lower().replace("_", "-")
    if event not in MESSAGE_EVENTS:
        return Ignore(model.NOT_CUSTOMER_EVENT)
    ticket_id = payload.need_text("ticket_id")
    message_id = payload.need_text("message_id")
    if payload["message_public"].present and not payload["message_public"].is_true():
        return Ignore(model.INTERNAL_NOTE)
    if payload["message_from_agent"].is_true():
        return Ignore(model.AGENT_REPLY)
    text, html = payload["message_body_text"].text(), payload["message_body_html"].text()
    name = payload["message_sender_name"].text() or payload["customer_name"].text()
    address = payload["message_sender_email"].text() or payload["customer_email"].text()
    tags = tuple(
        dict.fromkeys(tag.strip() for tag in payload["ticket_tags"].text().split(",") if tag.strip())
    )
    return CustomerMessage(
        account=payload["account"].text(),
        ticket_id=ticket_id,
        message_key=message_id,
        author=person(name, address),
        subject=payload["ticket_subject"].text(),
        text=text,
        html=html,
        tags=tags,
        brand=payload["ticket_channel_name"].text(),
        creates_ticket=event == "ticket-created",
    )
