"""Replies and escalation notes posted back to the helpdesk a message came from (the outbox queue's consumer).

Each outbox item is posted once: the sender runs ``HelpdeskSender.send`` under Powertools Idempotency keyed on the
item's ``idempotency_key`` (only the generic scheme has a vendor-side idempotency key). Transient vendor errors are
retried with backoff inside ``triage.helpdesk.deliver``, then by SQS redelivery, then the item waits in the outbox
DLQ (with an alarm) — never lost. A permanent error (bad credentials, ticket gone) fails the item at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from triage.helpdesk import Credentials, HelpdeskClient, OutboxItem, client_for, deliver
from triage.observability import logger


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
        self._clients: dict[str, HelpdeskClient] = {}

    def _client(self, provider: str) -> HelpdeskClient:
        if provider not in self._clients:
            self._clients[provider] = self._factory(self._credentials.credentials(provider))
        return self._clients[provider]

    def send(self, item: OutboxItem) -> dict[str, Any]:
        created = deliver(item, self._client(item.provider), sleep=self._sleep)
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
