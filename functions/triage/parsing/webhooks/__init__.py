"""Helpdesk webhooks in: verify the vendor's signature over the raw bytes, then read the event into a message.

The pure core of webhook intake (no AWS, no HTTP): the intake handler calls ``raw_body`` → ``verify`` →
``normalise`` and maps ``WebhookRejected`` to its status. Verification never parses JSON; normalisation turns a
customer's new ticket or reply into an ``InboundMessage`` and acknowledges everything else with a reason code, so
agent replies, notes, our own posts, pings and challenges never loop back through a helpdesk. Each provider module
documents its payload and its delivery id; README.md in ``events/webhooks`` documents the templates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from triage.message import InboundMessage
from triage.parsing.webhooks import freshdesk, front, generic, gorgias, helpscout, intercom, zendesk
from triage.parsing.webhooks.compose import LOOP_MARKER, OUR_TAG, to_message
from triage.parsing.webhooks.model import (
    CHALLENGE,
    IGNORED_REASONS,
    CustomerMessage,
    Ignore,
    Normalised,
    Verified,
    WebhookRejected,
)
from triage.parsing.webhooks.payload import Field, parse_json
from triage.parsing.webhooks.signatures import (
    FRONT_CHALLENGE,
    MAX_BODY_BYTES,
    TOKEN_HEADER,
    TOLERANCE_SECONDS,
    check_signature,
    check_size,
    lower_headers,
    raw_body,
    sign_headers,
    unknown_provider,
)

__all__ = [
    "IGNORED_REASONS",
    "LOOP_MARKER",
    "MAX_BODY_BYTES",
    "OUR_TAG",
    "PROVIDERS",
    "TOKEN_HEADER",
    "TOLERANCE_SECONDS",
    "Normalised",
    "Verified",
    "WebhookRejected",
    "normalise",
    "raw_body",
    "sign",
    "verify",
]

PROVIDERS: Final[tuple[str, ...]] = (
    "zendesk",
    "freshdesk",
    "intercom",
    "helpscout",
    "front",
    "gorgias",
    "generic",
)
_CHALLENGE_MAX: Final = 256


@dataclass(frozen=True)
class _Reader:
    delivery_id: Callable[[Mapping[str, str], bytes, Field | None], str]
    read: Callable[[Field, Mapping[str, str]], CustomerMessage | Ignore]


_READERS: Final[dict[str, _Reader]] = {
    "zendesk": _Reader(zendesk.delivery_id, zendesk.read),
    "freshdesk": _Reader(freshdesk.delivery_id, freshdesk.read),
    "intercom": _Reader(intercom.delivery_id, intercom.read),
    "helpscout": _Reader(helpscout.delivery_id, helpscout.read),
    "front": _Reader(front.delivery_id, front.read),
    "gorgias": _Reader(gorgias.delivery_id, gorgias.read),
    "generic": _Reader(generic.delivery_id, generic.read),
}


def _reader(provider: str) -> _Reader:
    reader = _READERS.get(provider)
    if reader is None:
        raise unknown_provider(provider)
    return reader


def _lenient_json(body: bytes) -> Field | None:
    """The payload for the delivery id only, after verification; a broken body is normalise's 400, not ours."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return Field(value, "") if isinstance(value, dict) else None


def verify(
    provider: str, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> Verified:
    """Accept the request if any active secret verifies it; else raise ``WebhookRejected`` (401/404/413).

    ``body`` is the raw request bytes (see ``raw_body``); header names may come in any case; ``now`` should be
    timezone-aware (a naive value is taken as UTC). The JSON is parsed only after the signature holds, and only
    to find the vendor's delivery id where it lives in the payload.
    """
    reader = _reader(provider)
    signed_at = check_signature(provider, body, headers, secrets, now)
    lowered = lower_headers(headers)
    payload = None if provider in ("generic", "helpscout") else _lenient_json(body)
    return Verified(
        provider=provider, delivery_id=reader.delivery_id(lowered, body, payload), signed_at=signed_at
    )


def sign(
    provider: str, body: bytes, secret: str, now: datetime, delivery_id: str | None = None
) -> dict[str, str]:
    """The headers a valid request for ``body`` carries (``triage webhook --sign``, fixtures and tests)."""
    _reader(provider)
    return sign_headers(provider, body, secret, now, delivery_id)


def normalise(provider: str, body: bytes, headers: Mapping[str, str], verified: Verified) -> Normalised:
    """A verified request → the customer's message, or the reason it is acknowledged and ignored.

    Raises ``WebhookRejected`` 400 ``malformed_json`` / ``missing_field`` (naming the field path), 413, 404.
    """
    reader = _reader(provider)
    if verified.provider != provider:
        raise ValueError("normalise() was given the verification of another provider")
    check_size(body)
    lowered = lower_headers(headers)
    if provider == "front" and FRONT_CHALLENGE in lowered:
        return Normalised(
            verified.delivery_id, None, CHALLENGE, challenge=_challenge(lowered[FRONT_CHALLENGE])
        )
    found = reader.read(parse_json(body), lowered)
    outcome = (
        to_message(provider, verified.delivery_id, found) if isinstance(found, CustomerMessage) else found
    )
    if isinstance(outcome, InboundMessage):
        return Normalised(verified.delivery_id, outcome, None)
    return Normalised(verified.delivery_id, None, outcome.reason)


def _challenge(value: str) -> str:
    """Front's challenge is echoed back: only a short printable token is (no header or body injection)."""
    if not value or len(value) > _CHALLENGE_MAX or not value.isascii() or not value.isprintable():
        raise WebhookRejected(
            400, "bad_challenge", "The 'X-Front-Challenge' header is not a short printable token."
        )
    return value
