"""Our own documented schema for any other helpdesk, signed the Standard Webhooks way.

::

    {"type": "message.created",           # or "ping"
     "data": {"ticket_id": "T-1", "message_id": "M-1", "account": "acme", "brand": "Acme",
              "from": {"name": "Ana", "email": "ana@example.org"}, "subject": "...",
              "text": "...", "html": "...",    # at least one of the two
              "tags": ["billing"], "author_role": "customer" | "agent" | "bot",
              "internal": false, "new_ticket": true}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, tag_names
from triage.parsing.webhooks.signatures import STANDARD_ID

CUSTOMER_ROLES: Final = frozenset({"customer", "end-user", "end_user", "requester", "contact"})


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    return headers[STANDARD_ID]  # verified to be present


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    kind = payload.need_text("type")
    if kind == "ping":
        return Ignore(model.PING)
    if kind != "message.created":
        return Ignore(model.UNSUPPORTED_EVENT)
    data = payload.need("data")
    role = data.need_text("author_role").lower()
    if data["internal"].is_true():
        return Ignore(model.INTERNAL_NOTE)
    if role not in CUSTOMER_ROLES:
        return Ignore(model.AGENT_REPLY)
    text, html = data["text"].text(), data["html"].text()
    sender = data["from"]
    return CustomerMessage(
        account=data["account"].text(),
        ticket_id=data.need_text("ticket_id"),
        message_key=data.need_text("message_id"),
        author=person(sender["name"].text(), sender["email"].text()),
        subject=data["subject"].text(),
        text=text,
        html=html,
        tags=tag_names(data["tags"]),
        brand=data["brand"].text(),
        creates_ticket=data["new_ticket"].is_true(),
    )
