"""What can go wrong when we post back to a helpdesk, split by what the caller should do about it.

Messages carry the provider, the operation and the HTTP status: never a body, an address or a credential.
"""

from __future__ import annotations


class HelpdeskError(Exception):
    """Any failure to post a reply or an escalation note back to a helpdesk."""


class RetryableError(HelpdeskError):
    """Worth trying again later: 408, 409, 429, 5xx, timeouts and connection errors.

    ``retry_after`` is the vendor's own wait in seconds (``Retry-After`` as seconds or an HTTP date, or Help Scout's
    ``X-RateLimit-Retry-After``) when it sent one. A timeout after the request left us may mean the vendor did
    create the post: see ``triage.helpdesk`` on idempotency.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class PermanentError(HelpdeskError):
    """Will fail the same way every time (bad credentials, ticket not found, validation): do not retry.

    ``status`` is the HTTP status, or 0 when the failure is ours (a malformed URL, a missing field in a response).
    """

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
