"""The types every webhook module shares: the rejection, the verification result and the normalised outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from triage.message import Address, InboundMessage


class WebhookRejected(Exception):
    """A request we refuse, with the HTTP status to answer and a short machine code.

    ``str(error)`` is one sentence for the person setting up the webhook. It never contains a secret, an address,
    a subject or any part of the body: it names headers, field paths and limits only.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"WebhookRejected({self.status}, {self.code!r}, {str(self)!r})"


@dataclass(frozen=True)
class Verified:
    provider: str
    delivery_id: str
    signed_at: datetime | None


@dataclass(frozen=True)
class Normalised:
    delivery_id: str
    message: InboundMessage | None
    ignored: str | None
    challenge: str | None = None


@dataclass(frozen=True)
class CustomerMessage:
    """What a provider module reads out of a payload before it becomes an ``InboundMessage``.

    ``message_key`` identifies the customer's message inside its ticket (comment, part or thread id, or a hash of
    author and text where the vendor gives none); it is what makes two deliveries of one message one message.
    """

    account: str
    ticket_id: str
    message_key: str
    author: Address
    subject: str = ""
    text: str = ""
    html: str = ""
    tags: tuple[str, ...] = ()
    brand: str = ""
    creates_ticket: bool = False


@dataclass(frozen=True)
class Ignore:
    """An event we acknowledge and drop; ``reason`` is one of the ``IGNORED_*`` codes."""

    reason: str


# Reasons an event is acknowledged without a message.
AGENT_REPLY = "agent_reply"  # written by an agent, admin, bot or the helpdesk itself
INTERNAL_NOTE = "internal_note"  # private note or comment the customer cannot see
OWN_POST = "own_post"  # written by us (loop marker, our author name, a ticket we tagged)
PING = "ping"  # the vendor's test or subscription ping
CHALLENGE = "challenge"  # Front's endpoint validation request
NOT_CUSTOMER_EVENT = "not_customer_event"  # a known event that carries no customer message (status, user ...)
UNSUPPORTED_EVENT = "unsupported_event"  # an event type we do not know
IGNORED_REASONS = (
    AGENT_REPLY,
    INTERNAL_NOTE,
    OWN_POST,
    PING,
    CHALLENGE,
    NOT_CUSTOMER_EVENT,
    UNSUPPORTED_EVENT,
)
