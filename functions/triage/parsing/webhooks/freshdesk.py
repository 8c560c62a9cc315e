"""Freshdesk automation-rule webhooks: admin-templated JSON wrapped in ``{"freshdesk_webhook": {...}}``.

Freshdesk signs nothing; the rule sends our shared secret in the ``X-Triage-Token`` header. README.md gives the
template: Freshdesk placeholders (``{{ticket.id}}``, ``{{ticket.description}}``,
``{{ticket.latest_public_comment}}``, ``{{ticket.requester.email}}``, ``{{triggered_event}}`` ...) plus a literal
``event`` per rule (``ticket_created`` or ``customer_replied``; the rule's "performed by: requester" condition is
what makes it the customer). Without ``event`` the Zulip-style ``triggered_event`` is read:
``{ticket_action:created}`` is a new ticket, ``{note_type:...}`` a note, status and priority changes are no message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest, tag_names

WRAPPER: Final = "freshdesk_webhook"
AGENT_ROLES: Final = frozenset({"agent", "admin", "supervisor", "system"})


def _ticket(payload: Field) -> Field:
    inner = payload[WRAPPER]
    return inner if inner.is_object() else payload


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    if payload is not None:
        ticket = _ticket(payload)
        ticket_id, updated = ticket["ticket_id"].text(), ticket["ticket_updated_at"].text()
        if ticket_id and updated:
            return f"{ticket_id}.{updated}"
    return digest(body)


def _event(ticket: Field) -> str:
    event = ticket["event"].text().lower()
    if event:
        return event
    triggered = ticket["triggered_event"].text().lower().replace(" ", "")
    if "ticket_action:created" in triggered:
        return "ticket_created"
    if "note_type:private" in triggered:
        return "note_added"
    if "note_type:public" in triggered or "reply_sent" in triggered:
        return "agent_replied"
    if triggered.startswith(("{status:", "{priority:", "{ticket_type:", "{group_id:", "{responder_id:")):
        return "ticket_updated"
    return triggered or "unknown"


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    ticket = _ticket(payload)
    event = _event(ticket)
    if event == "note_added":
        return Ignore(model.INTERNAL_NOTE)
    if event == "agent_replied":
        return Ignore(model.AGENT_REPLY)
    if event == "ticket_updated":
        return Ignore(model.NOT_CUSTOMER_EVENT)
    if event not in ("ticket_created", "customer_replied"):
        return Ignore(model.UNSUPPORTED_EVENT)
    if ticket["author_role"].text().lower() in AGENT_ROLES:
        return Ignore(model.AGENT_REPLY)
    ticket_id = ticket.need_text("ticket_id")
    author = person(ticket["requester_name"].text(), ticket["requester_email"].text())
    if event == "ticket_created":
        html, key = ticket["ticket_description"].text(), "description"
    else:
        html = ticket["ticket_latest_public_comment"].text()
        # No comment id: the update time tells "Any update?" on Monday from the same words on Thursday.
        key = digest(author.address, html, ticket["ticket_updated_at"].text())[:24]
    return CustomerMessage(
        account=_subdomain(ticket["ticket_url"].text()),
        ticket_id=ticket_id,
        message_key=key,
        author=author,
        subject=ticket["ticket_subject"].text(),
        html=html,
        tags=tag_names(ticket["ticket_tags"]),
        brand=ticket["ticket_portal_name"].text(),
        creates_ticket=event == "ticket_created",
    )


def _subdomain(url: str) -> str:
    if not url:
        return ""
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return host.split(".", 1)[0] if host.endswith(".freshdesk.com") else host
