"""Zendesk: event-subscription webhooks (``zen:event-type:...``) and trigger/automation webhooks (our template).

Event subscriptions carry ids, not people: ``ticket.created`` and ``ticket.comment_added`` give the requester or
author id and name, never an address, so ``from.address`` stays empty and the worker looks the requester up by
ticket. A comment and the ticket's description are keyed by author id + text, so the first comment that arrives
both as ``ticket.created`` and as ``ticket.comment_added`` is one message; with the action that made them (the
events' shared ``meta.sequence.id``, else the ten minutes the event falls in), so the same words written again
later ("Any update?" on Monday and on Thursday) are a new message, not a duplicate to drop.

Trigger webhooks send whatever JSON the admin templated; README.md documents ours (``event``, ``ticket_id``,
``ticket_title``, ``ticket_description``, ``latest_comment``, ``requester_full_name``, ``requester_email``,
``author_role``, ``tags``, ``brand``, ``account``, ``link``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest, missing, tag_names
from triage.parsing.webhooks.signatures import ZENDESK_INVOCATION

EVENT_PREFIX: Final = "zen:event-type:"
CUSTOMER_ACTORS: Final = frozenset({"user", "end-user", "end_user", "enduser", "customer"})
CUSTOMER_ROLES: Final = frozenset({"end-user", "end_user", "enduser", "end user", "customer", "requester"})
# "{{ticket.description}}" renders as a rule, then "Name, Feb 3, 2025, 19:59", then the text.
_DESCRIPTION_HEADER = re.compile(
    r"\A\s*-{10,}\s*\n(?:\s*\n)*[^\n]{1,200}\d{1,2}:\d{2}[^\n]{0,20}\n(?:\s*\n)*"
)


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    if headers.get(ZENDESK_INVOCATION):
        return headers[ZENDESK_INVOCATION]
    if payload is not None and payload["id"].text():
        return payload["id"].text()
    return digest(body)


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    event_type = payload["type"].text()
    if event_type.startswith("zen:"):
        return _event(payload, event_type.removeprefix(EVENT_PREFIX), headers)
    return _trigger(payload)


def _action(payload: Field) -> str:
    """What made this event: Zendesk's sequence id, shared by the events of one action, else the ten minutes its
    time falls in (a ticket's creation and its first comment arrive within seconds of each other)."""
    sequence = payload["event"]["meta"]["sequence"]["id"].text()
    if sequence:
        return f"sequence:{sequence}"
    when = payload["time"].text() or payload["detail"]["updated_at"].text()
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return f"time:{when}"
    return f"minutes:{int(moment.timestamp()) // 600}"


def _account(payload: Field, headers: Mapping[str, str]) -> str:
    return payload["account_id"].text() or headers.get("x-zendesk-account-id", "")


def _ticket_id(payload: Field) -> str:
    ticket = payload.get("detail", "id").text()
    subject = payload["subject"].text()
    if not ticket and subject.startswith("zen:ticket:"):
        ticket = subject.removeprefix("zen:ticket:")
    if not ticket:
        raise missing("detail.id")
    return ticket


def _event(payload: Field, kind: str, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    detail = payload["detail"]
    if kind == "ticket.created":
        ticket = _ticket_id(payload)
        requester = detail["requester_id"].text()
        submitter = detail["submitter_id"].text()
        if submitter and requester and submitter != requester:
            return Ignore(model.AGENT_REPLY)  # an agent opened it on the customer's behalf
        text = detail["description"].text()
        return CustomerMessage(
            account=_account(payload, headers),
            ticket_id=ticket,
            message_key=digest(requester, text, _action(payload))[:24],
            author=person("", ""),
            subject=detail["subject"].text(),
            text=text,
            tags=tag_names(detail["tags"]),
            brand=detail["brand_id"].text(),
            creates_ticket=True,
        )
    if kind == "ticket.comment_added":
        ticket = _ticket_id(payload)
        comment = payload.need("event", "comment")
        author = comment["author"]
        if not comment["is_public"].is_true():
            return Ignore(model.INTERNAL_NOTE)
        if author["is_staff"].is_true():
            return Ignore(model.AGENT_REPLY)
        text = comment["body"].text()
        return CustomerMessage(
            account=_account(payload, headers),
            ticket_id=ticket,
            message_key=digest(author["id"].text(), text, _action(payload))[:24],
            author=person(author["name"].text(), ""),
            subject=detail["subject"].text(),
            text=text,
            tags=tag_names(detail["tags"]),
            brand=detail["brand_id"].text(),
        )
    if kind == "messaging_ticket.message_added":
        ticket = _ticket_id(payload)
        actor = payload.need("event", "actor")
        if actor["type"].text().lower() not in CUSTOMER_ACTORS:
            return Ignore(model.AGENT_REPLY)  # agents, AI agents and the system
        message = payload.need("event", "message")
        return CustomerMessage(
            account=_account(payload, headers),
            ticket_id=ticket,
            message_key=message.need_text("id"),
            author=person(actor["name"].text(), ""),
            text=message["body"].text(),
        )
    if kind.startswith(("ticket.", "messaging_ticket.", "user.", "organization.", "article.", "community.")):
        return Ignore(model.NOT_CUSTOMER_EVENT)
    return Ignore(model.UNSUPPORTED_EVENT)


def _trigger(payload: Field) -> CustomerMessage | Ignore:
    ticket = payload.need_text("ticket_id")
    event = payload["event"].text().lower() or (
        "customer_replied" if payload["latest_comment"].present else "ticket_created"
    )
    if event not in ("ticket_created", "customer_replied"):
        return Ignore(model.NOT_CUSTOMER_EVENT)
    role = payload["author_role"].text().lower()
    if role and role not in CUSTOMER_ROLES:
        return Ignore(model.AGENT_REPLY)
    if event == "ticket_created":
        text = _DESCRIPTION_HEADER.sub("", payload["ticket_description"].text(), count=1)
    else:
        text = payload["latest_comment"].text()
    author = person(payload["requester_full_name"].text(), payload["requester_email"].text())
    return CustomerMessage(
        account=payload["account"].text()
        or _subdomain(payload["link"].text() or payload["ticket_url"].text()),
        ticket_id=ticket,
        message_key=payload["comment_id"].text() or digest(author.address or author.name, text)[:24],
        author=author,
        subject=payload["ticket_title"].text(),
        text=text,
        tags=tag_names(payload["tags"]),
        brand=payload["brand"].text(),
        creates_ticket=event == "ticket_created",
    )


def _subdomain(url: str) -> str:
    """``https://acme.zendesk.com/agent/tickets/7`` (or without the scheme) → ``acme``."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return host.split(".", 1)[0] if host.endswith(".zendesk.com") else host
