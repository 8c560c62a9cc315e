"""Post our replies and escalation notes back to the helpdesk a message came from (issue 5, "Replies back").

The triage worker queues an ``OutboxItem`` for every helpdesk message it answers or escalates; the sender
function reads it, builds a client with ``client_for`` from the provider's Secrets Manager secret, and calls
``deliver``. One module per vendor documents its endpoints, auth and body format.

Idempotency (the same outbox item delivered twice must not post twice):

- ``generic`` sends ``Idempotency-Key`` on every request; a receiver implementing our scheme deduplicates.
- None of Zendesk, Freshdesk, Intercom, Help Scout, Front or Gorgias documents an idempotency key for adding a
  reply or a note (Zendesk's ``Idempotency-Key`` covers ticket creation only). For them the sender must guard
  the call itself: a conditional write on ``idempotency_key`` (Powertools Idempotency) before calling
  ``deliver``, so an SQS redelivery after success is a no-op. What no key can settle, a reply the vendor may have
  received without our knowing (no answer in time, the connection dropped after sending, 500/502/504), is never
  posted again: ``deliver`` raises ``PostUncertain`` and the sender asks a person, in an internal note, to check
  the ticket (``triage.outbound``). Notes are retried either way.
- Escalations apply tags before posting the note, so a retry after a failed note repeats only harmless steps.

Nothing here logs a body, a subject, an address or a credential; error messages carry provider, operation and
HTTP status only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import requests

from triage.helpdesk.credentials import PROVIDERS, Credentials, CredentialsError
from triage.helpdesk.errors import HelpdeskError, PermanentError, PostUncertain, RetryableError
from triage.helpdesk.freshdesk import FreshdeskClient
from triage.helpdesk.front import FrontClient
from triage.helpdesk.generic import GenericClient
from triage.helpdesk.gorgias import GorgiasClient
from triage.helpdesk.helpscout import HelpScoutClient
from triage.helpdesk.intercom import IntercomClient
from triage.helpdesk.outbox import HelpdeskClient, OutboxItem, backoff_delay, deliver
from triage.helpdesk.zendesk import ZendeskClient

__all__ = [
    "PROVIDERS",
    "Credentials",
    "CredentialsError",
    "HelpdeskClient",
    "HelpdeskError",
    "OutboxItem",
    "PermanentError",
    "PostUncertain",
    "RetryableError",
    "backoff_delay",
    "client_for",
    "deliver",
]

_CLIENTS: Mapping[str, Callable[[Credentials, requests.Session, float], HelpdeskClient]] = {
    "zendesk": ZendeskClient,
    "freshdesk": FreshdeskClient,
    "intercom": IntercomClient,
    "helpscout": HelpScoutClient,
    "front": FrontClient,
    "gorgias": GorgiasClient,
    "generic": GenericClient,
}


def client_for(
    credentials: Credentials, session: requests.Session | None = None, timeout: float = 10.0
) -> HelpdeskClient:
    """The client for ``credentials.provider``. Pass one ``requests.Session`` per sender container to reuse
    connections; ``timeout`` bounds connect and each read, in seconds."""
    client_class = _CLIENTS[credentials.provider]
    return client_class(credentials, session if session is not None else requests.Session(), timeout)
