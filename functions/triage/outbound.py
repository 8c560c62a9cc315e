"""Replies and escalation notes posted back to the helpdesk a message came from (the outbox queue's consumer).

Each outbox item is posted once: the sender runs ``HelpdeskSender.send`` under Powertools Idempotency keyed on the
item's ``idempotency_key`` (only the generic scheme has a vendor-side idempotency key). Transient vendor errors are
retried with backoff inside ``triage.helpdesk.deliver``, then by SQS redelivery, then the item waits in the outbox
DLQ (with an alarm) — never lost. A permanent error (bad credentials, ticket gone) fails the item at once. A reply
the vendor may have posted without confirming it is not posted again: a note asks a person to check the ticket.
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
        note = OutboxItem(
            kind="escalation",
            provider=item.provider,
            account=item.account,
            ticket_id=item.ticket_id,
            body=UNCONFIRMED_NOTE.format(
                status=f"HTTP {uncertain.status}" if uncertain.status else "no answer"
            ),
            tags=(ESCALATED_TAG, UNCONFIRMED_TAG),
            idempotency_key=f"unconfirmed:{item.idempotency_key}",
        )
        noted: str | None = None
        try:
            noted = deliver(note, client, sleep=self._sleep)
        except HelpdeskError as error:
            logger.error(
                "could not ask a person to check an unconfirmed reply",
                extra={"provider": item.provider, "ticket_id": item.ticket_id, "error": type(error).__name__},
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


UNCONFIRMED_TAG = "triage-reply-unconfirmed"
UNCONFIRMED_NOTE = (
    "Our automatic reply to this ticket may or may not have been posted: the helpdesk did not confirm it "
    "({status}), so it was not sent again. Please check the conversation: if the customer has no answer, reply "
    "yourself."
)
