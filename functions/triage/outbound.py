"""Replies and escalation notes posted back to the helpdesk a message came from (the outbox queue's consumer).

Each outbox item is posted once: the sender runs ``HelpdeskSender.send`` under Powertools Idempotency keyed on the
item's ``idempotency_key`` (only the generic scheme has a vendor-side idempotency key). Transient vendor errors are
retried with backoff inside ``triage.helpdesk.deliver``, then by SQS redelivery, then the item waits in the outbox
DLQ (with an alarm) — never lost. A permanent error fails the item at once (bad credentials: the DLQ, fixed and
redriven), except a reply the ticket refuses for good (closed, merged, gone): a note asks a person to answer. A
reply the vendor may have posted without confirming it is not posted again: a note asks a person to check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from triage.helpdesk import (
    Credentials,
    HelpdeskClient,
    HelpdeskError,
    OutboxItem,
    PermanentError,
    PostUncertain,
    client_for,
    deliver,
)
from triage.helpdesk.outbox import ESCALATED_TAG
from triage.observability import logger, metrics


class CredentialStore(Protocol):
    def credentials(self, provider: str) -> Credentials:
        """The API credentials for ``provider`` (raises when none are configured)."""
        ...


class HelpdeskSender:
    def __init__(
        self,
        credentials: CredentialStore,
        client_factory: Callable[[Credentials], HelpdeskClient] = client_for,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials, self._factory, self._sleep = credentials, client_factory, sleep
        self._clients: dict[str, tuple[Credentials, HelpdeskClient]] = {}

    def _client(self, provider: str) -> HelpdeskClient:
        """The provider's client, built again when its credentials changed: the store caches the secret for a few
        minutes, the container lives for hours, and a rotated key or a refreshed token (Help Scout's last two days)
        must be used once it is in the secret."""
        credentials = self._credentials.credentials(provider)
        kept = self._clients.get(provider)
        if kept is None or kept[0] != credentials:
            kept = self._clients[provider] = (credentials, self._factory(credentials))
        return kept[1]

    def send(self, item: OutboxItem) -> dict[str, Any]:
        client = self._client(item.provider)
        try:
            created = deliver(item, client, sleep=self._sleep)
        except PostUncertain as uncertain:
            return self._unconfirmed(item, client, uncertain)
        except PermanentError as refused:
            if item.kind != "reply" or refused.status not in TICKET_REFUSED:
                raise  # credentials or our own bug: the DLQ and its alarm; a redrive posts it once fixed
            return self._refused(item, client, refused)
        logger.info(
            "posted to helpdesk",
            extra={
                "provider": item.provider,
                "kind": item.kind,
                "ticket_id": item.ticket_id,
                "vendor_id": created,
            },
        )
        return {"provider": item.provider, "kind": item.kind, "ticket_id": item.ticket_id, "created": created}

    def _unconfirmed(
        self, item: OutboxItem, client: HelpdeskClient, uncertain: PostUncertain
    ) -> dict[str, Any]:
        """The reply may or may not be on the ticket, and posting it again could show it twice: a person checks.
        An internal note and tags ask them to; the item is done either way (an SQS redelivery would post the reply
        again), and ``HelpdeskRepliesUnconfirmed`` (with its alarm) counts it, note or not."""
        metrics.add_metric(name="HelpdeskRepliesUnconfirmed", unit=MetricUnit.Count, value=1)
        status = f"HTTP {uncertain.status}" if uncertain.status else "no answer"
        noted = self._note(
            item, client, UNCONFIRMED_NOTE.format(status=status), UNCONFIRMED_TAG, "unconfirmed"
        )
        logger.warning(
            "helpdesk reply unconfirmed; a person checks the ticket",
            extra={"provider": item.provider, "ticket_id": item.ticket_id, "note_id": noted},
        )
        return {
            "provider": item.provider,
            "kind": item.kind,
            "ticket_id": item.ticket_id,
            "created": None,
            "unconfirmed": True,
            "note": noted,
        }

    def _refused(self, item: OutboxItem, client: HelpdeskClient, refused: PermanentError) -> dict[str, Any]:
        """The ticket refused the reply for good (closed, merged, gone, a validation rule): five redeliveries would
        meet the same answer. An internal note asks a person to answer the customer; if the ticket takes no note
        either, the item fails to the outbox DLQ (its alarm) for an operator to hand on."""
        metrics.add_metric(name="HelpdeskRepliesRefused", unit=MetricUnit.Count, value=1)
        noted = self._note(
            item, client, REFUSED_NOTE.format(status=f"HTTP {refused.status}"), REFUSED_TAG, "refused"
        )
        if noted is None:
            raise refused
        logger.warning(
            "helpdesk refused the reply; a person answers",
            extra={
                "provider": item.provider,
                "ticket_id": item.ticket_id,
                "status": refused.status,
                "note_id": noted,
            },
        )
        return {
            "provider": item.provider,
            "kind": item.kind,
            "ticket_id": item.ticket_id,
            "created": None,
            "refused": refused.status,
            "note": noted,
        }

    def _note(self, item: OutboxItem, client: HelpdeskClient, body: str, tag: str, why: str) -> str | None:
        """An internal note on the reply's ticket asking a person to take over; None when it could not be posted."""
        note = OutboxItem(
            kind="escalation",
            provider=item.provider,
            account=item.account,
            ticket_id=item.ticket_id,
            body=body,
            tags=(ESCALATED_TAG, tag),
            idempotency_key=f"{why}:{item.idempotency_key}",
        )
        try:
            return deliver(note, client, sleep=self._sleep)
        except HelpdeskError as error:
            logger.error(
                "could not ask a person on the ticket to take over",
                extra={
                    "provider": item.provider,
                    "ticket_id": item.ticket_id,
                    "why": why,
                    "error": type(error).__name__,
                },
            )
            return None


# A ticket's answer to a reply that no retry changes: gone (404, 410), closed or failing a rule (422), merged or
# moved (3xx). Credentials (401, 403) are the operator's to fix, and a redrive of the DLQ then posts the reply.
TICKET_REFUSED = frozenset({301, 302, 303, 307, 308, 404, 410, 422})
REFUSED_TAG = "triage-reply-refused"
REFUSED_NOTE = (
    "Our automatic reply to this ticket was refused by the helpdesk ({status}), so the customer has no answer "
    "from us. Please reply yourself."
)
UNCONFIRMED_TAG = "triage-reply-unconfirmed"
UNCONFIRMED_NOTE = (
    "Our automatic reply to this ticket may or may not have been posted: the helpdesk did not confirm it "
    "({status}), so it was not sent again. Please check the conversation: if the customer has no answer, reply "
    "yourself."
)
