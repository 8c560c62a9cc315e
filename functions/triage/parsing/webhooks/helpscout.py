"""Help Scout: the event name is the ``X-HelpScout-Event`` header; the body is the v2 Conversation object.

The customer's message is the newest thread of type ``customer`` (threads come in ``_embedded.threads``, or in
``threads`` in older payloads; they are sorted here by time and id rather than trusting their order). Help Scout
sends no delivery id, so the delivery id is a hash of event name and body: a retry of the same delivery is
identical, and two events about one thread still share the dedupe key (conversation id + thread id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from triage.parsing.webhooks import model
from triage.parsing.webhooks.compose import person
from triage.parsing.webhooks.model import CustomerMessage, Ignore
from triage.parsing.webhooks.payload import Field, digest, missing, tag_names
from triage.parsing.webhooks.signatures import HELPSCOUT_EVENT

MESSAGE_EVENTS: Final = frozenset({"convo.created", "convo.customer.reply.created"})
OTHER_PREFIXES: Final = ("convo.", "customer.", "satisfaction.", "tag.", "message.")


def delivery_id(headers: Mapping[str, str], body: bytes, payload: Field | None) -> str:
    return digest(headers.get(HELPSCOUT_EVENT, ""), body)


def read(payload: Field, headers: Mapping[str, str]) -> CustomerMessage | Ignore:
    event = headers.get(HELPSCOUT_EVENT, "").lower()
    if not event:
        raise model.WebhookRejected(400, "missing_field", "The 'X-HelpScout-Event' header is missing.")
    if event == "helpscout.test":
        return Ignore(model.PING)
    if event == "convo.agent.reply.created":
        return Ignore(model.AGENT_REPLY)
    if event == "convo.note.created":
        return Ignore(model.INTERNAL_NOTE)
    if event in MESSAGE_EVENTS:
        return _customer_thread(payload, created=event == "convo.created")
    if event.startswith(OTHER_PREFIXES):
        return Ignore(model.NOT_CUSTOMER_EVENT)
    return Ignore(model.UNSUPPORTED_EVENT)


def _threads(payload: Field) -> Field:
    embedded = payload.get("_embedded", "threads")
    return embedded if embedded.present else payload["threads"]


def _customer_thread(payload: Field, *, created: bool) -> CustomerMessage | Ignore:
    conversation = payload.need_text("id")
    threads = _threads(payload)
    written = [
        thread
        for thread in threads.items()
        if thread["type"].text().lower() == "customer" and thread["state"].text().lower() in ("", "published")
    ]
    if not written:
        if created and payload.get("createdBy", "type").text().lower() == "user":
            return Ignore(model.AGENT_REPLY)  # a conversation an agent started
        raise missing(threads.path if threads.present else "_embedded.threads")
    thread = max(written, key=lambda item: (item["createdAt"].text(), _number(item["id"].text())))
    who = next(
        (
            candidate
            for candidate in (
                thread["customer"],
                thread["createdBy"],
                payload["primaryCustomer"],
                payload["customer"],
            )
            if candidate["email"].present
        ),
        thread["createdBy"],
    )
    name = " ".join(part for part in (who["first"].text(), who["last"].text()) if part)
    mailbox = payload["mailbox"]
    account = payload["mailboxId"].text() or mailbox["id"].text()
    return CustomerMessage(
        account=account,
        ticket_id=conversation,
        message_key=thread.need_text("id"),
        author=person(name, who["email"].text()),
        subject=payload["subject"].text(),
        html=thread["body"].text(),
        tags=tag_names(payload["tags"], key="tag") or tag_names(payload["tags"]),
        brand=mailbox["name"].text() or account,
        creates_ticket=created,
    )


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0
