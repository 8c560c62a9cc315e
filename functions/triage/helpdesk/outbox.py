"""The outbox item the triage worker queues for a helpdesk message, and the retrying delivery of one.

Retry layers, innermost first: ``deliver`` retries a ``RetryableError`` a few times inside one invocation
(exponential backoff with full jitter, honouring the vendor's ``Retry-After``); then it raises, the sender reports
the SQS message as a batch item failure, SQS redelivers after the visibility timeout, and after
``maxReceiveCount`` receives the item lands in the DLQ. A ``PermanentError`` is raised at once: retrying a 401
or a 404 only burns the vendor's rate limit.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from triage.helpdesk.credentials import PROVIDERS
from triage.helpdesk.errors import PostUncertain, RetryableError
from triage.observability import logger

OutboxKind = Literal["reply", "escalation"]
# Every ticket a person must take over is tagged so; the second tag of a note says why (triage-<reason>).
ESCALATED_TAG = "triage-escalated"
_KINDS: tuple[OutboxKind, ...] = ("reply", "escalation")

# Longest wait between two attempts inside one invocation. A vendor asking for longer (Retry-After: 60) is not
# kept waiting in a billed Lambda: the error goes back to SQS at once, whose redelivery comes later anyway.
MAX_DELAY_SECONDS = 30.0


class HelpdeskClient(Protocol):
    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        """Post a public reply to the customer; returns the vendor's id of what was created."""
        ...

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        """Add an internal (private) note and the tag(s) to the ticket; returns the vendor's id of the note."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    """One post back to a helpdesk, as JSON on the outbox queue.

    ``body`` is the reply text for ``reply`` and the note (summary, key points, reason) for ``escalation``.
    ``idempotency_key`` is the inbound message's key: the same item delivered twice carries the same key.
    """

    kind: OutboxKind
    provider: str
    account: str
    ticket_id: str
    body: str
    tags: tuple[str, ...] = ()
    idempotency_key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"outbox item kind must be one of {', '.join(_KINDS)}, not {self.kind!r}")
        if self.provider not in PROVIDERS:
            raise ValueError(
                f"outbox item provider must be one of {', '.join(PROVIDERS)}, not {self.provider!r}"
            )
        if not self.ticket_id.strip():
            raise ValueError("outbox item has no ticket_id")
        if not self.body.strip():
            raise ValueError("outbox item has an empty body")
        object.__setattr__(self, "tags", tuple(self.tags))

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "provider": self.provider,
                "account": self.account,
                "ticket_id": self.ticket_id,
                "body": self.body,
                "tags": list(self.tags),
                "idempotency_key": self.idempotency_key,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> OutboxItem:
        """Parse a queued item; a ``ValueError`` (never echoing the body) means a poison message, not a retry."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise ValueError("outbox item is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("outbox item must be a JSON object")
        fields = ("kind", "provider", "account", "ticket_id", "body", "tags", "idempotency_key")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"outbox item has unknown field(s) {', '.join(unknown)}")
        missing = [name for name in ("kind", "provider", "ticket_id", "body") if name not in data]
        if missing:
            raise ValueError(f"outbox item is missing {', '.join(missing)}")
        strings = ("kind", "provider", "account", "ticket_id", "body", "idempotency_key")
        wrong = [name for name in strings if name in data and not isinstance(data[name], str)]
        tags = data.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            wrong.append("tags")
        if wrong:
            raise ValueError(f"outbox item has the wrong type for {', '.join(wrong)}")
        return cls(
            kind=data["kind"],
            provider=data["provider"],
            account=data.get("account", ""),
            ticket_id=data["ticket_id"],
            body=data["body"],
            tags=tuple(tags),
            idempotency_key=data.get("idempotency_key", ""),
        )


def backoff_delay(attempt: int, base_delay: float, retry_after: float | None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Full jitter (uniform in ``[0, base * 2**(attempt-1)]``, capped) spreads the retries of many senders hit by the
    same 429 or outage; a vendor's ``Retry-After`` is a floor we never go under.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_DELAY_SECONDS)
    ceiling = min(MAX_DELAY_SECONDS, base_delay * 2 ** (attempt - 1))
    return random.uniform(0.0, ceiling)  # noqa: S311 - spreading retries, not cryptography


def deliver(
    item: OutboxItem,
    client: HelpdeskClient,
    *,
    max_attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.5,
) -> str:
    """Post ``item`` through ``client``; returns the vendor's id of the created reply or note.

    Raises the last ``RetryableError`` after ``max_attempts`` attempts (or at once when the vendor asks for a wait
    longer than ``MAX_DELAY_SECONDS``), and a ``PermanentError`` at once. A reply that may have been posted
    (``RetryableError.maybe_posted``) raises ``PostUncertain`` at once: the customer must never see it twice. A
    note is retried either way (a second copy of an internal note is harmless).
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    attempt = 1
    while True:
        try:
            if item.kind == "reply":
                return client.post_reply(item.ticket_id, item.body, idempotency_key=item.idempotency_key)
            return client.escalate(item.ticket_id, item.body, item.tags, idempotency_key=item.idempotency_key)
        except RetryableError as error:
            if item.kind == "reply" and error.maybe_posted:
                logger.warning(
                    "helpdesk reply may have been posted; not retried",
                    extra={
                        "provider": item.provider,
                        "ticket_id": item.ticket_id,
                        "attempt": attempt,
                        "status": error.status,
                    },
                )
                raise PostUncertain(str(error), status=error.status or 0) from error
            too_long = error.retry_after is not None and error.retry_after > MAX_DELAY_SECONDS
            if attempt >= max_attempts or too_long:
                logger.warning(
                    "helpdesk post gave up for now",
                    extra={
                        "provider": item.provider,
                        "kind": item.kind,
                        "ticket_id": item.ticket_id,
                        "attempts": attempt,
                        "status": error.status,
                        "retry_after": error.retry_after,
                    },
                )
                raise
            delay = backoff_delay(attempt, base_delay, error.retry_after)
            logger.info(
                "helpdesk post will be retried",
                extra={
                    "provider": item.provider,
                    "kind": item.kind,
                    "ticket_id": item.ticket_id,
                    "attempt": attempt,
                    "status": error.status,
                    "delay": round(delay, 3),
                },
            )
            sleep(delay)
            attempt += 1
