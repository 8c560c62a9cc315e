"""What can go wrong when we post back to a helpdesk, split by what the caller should do about it.

Messages carry the provider, the operation and the HTTP status: never a body, an address or a credential.
"""

from __future__ import annotations


class HelpdeskError(Exception):
    """Any failure to post a reply or an escalation note back to a helpdesk."""


class RetryableError(HelpdeskError):
    """Worth trying again later: 408, 409, 429, 5xx, timeouts and connection errors.

    ``retry_after`` is the vendor's own wait in seconds (``Retry-After`` as seconds or an HTTP date, or Help Scout's
    ``X-RateLimit-Retry-After``) when it sent one. ``maybe_posted``: the request reached the vendor and we do not
    know what it did (no answer in time, the connection dropped after sending, 500/502/504), so the post may exist;
    a retry may then post a second copy (see ``triage.helpdesk`` on idempotency).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        maybe_posted: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.maybe_posted = maybe_posted


class PostUncertain(HelpdeskError):
    """A reply to the customer may or may not have been posted, and posting it again might show it twice: it is
    not retried. ``status`` is the HTTP status, or 0 for a timeout or a dropped connection."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class PermanentError(HelpdeskError):
    """Will fail the same way every time (bad credentials, ticket not found, validation): do not retry.

    ``status`` is the HTTP status, or 0 when the failure is ours (a malformed URL, a missing field in a response).
    """

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
