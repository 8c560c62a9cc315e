"""The one place a helpdesk client touches the network: status codes become our errors, nothing is logged.

Redirects are not followed: Help Scout and Front answer 301 for a merged conversation, and requests would turn a
redirected POST into a GET (and could carry the Authorization header to another host). A 3xx is a
``PermanentError`` naming the status; the ticket id must be updated by a person.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

from triage.helpdesk.credentials import CredentialsError
from triage.helpdesk.errors import PermanentError, RetryableError

USER_AGENT = "serverless-support-triage/0.1 (+helpdesk replies)"

# 408 Request Timeout, 409 Conflict (a concurrent update of the same ticket) and 429 clear up by themselves.
RETRYABLE_4XX = frozenset({408, 409, 429})
# Server errors after which the vendor may have done what we asked: it failed while answering, or a gateway gave up
# waiting for it. 503 (and 501, 505...) mean the request was not taken on.
MAYBE_DONE_5XX = frozenset({500, 502, 504})


def segment(value: str) -> str:
    """One URL path segment: a ticket id can never add ``/..`` or a query string to the vendor URL."""
    return quote(value.strip(), safe="")


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date) or Help Scout's ``X-RateLimit-Retry-After``."""
    for name in ("Retry-After", "X-RateLimit-Retry-After"):
        raw = headers.get(name)
        if raw is None:
            continue
        raw = raw.strip()
        try:
            return max(float(raw), 0.0)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            continue
        reference = time.time() if now is None else now
        return max(when.timestamp() - reference, 0.0)
    return None


def json_object(response: requests.Response) -> dict[str, Any]:
    """The response body as a JSON object, or ``{}``: a 2xx with an odd body still means the post was made."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Transport:
    """Sends one request with the provider's auth and maps the outcome onto ``RetryableError``/``PermanentError``."""

    def __init__(
        self,
        provider: str,
        session: requests.Session,
        timeout: float,
        *,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self._session = session
        self._timeout = timeout
        self._auth = auth
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        what = f"{self.provider} {operation}"
        writes = method.upper() not in ("GET", "HEAD")  # a read that fails cannot have posted anything
        try:
            response = self._session.request(
                method,
                url,
                json=json,
                headers={**self._headers, **(headers or {})},
                auth=self._auth,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as error:
            raise RetryableError(f"{what}: could not connect within {self._timeout:g} s") from error
        except requests.Timeout as error:
            raise RetryableError(
                f"{what}: no answer within {self._timeout:g} s", maybe_posted=writes
            ) from error
        except requests.ConnectionError as error:
            raise RetryableError(
                f"{what}: connection failed", maybe_posted=writes and _may_have_arrived(error)
            ) from error
        except requests.RequestException as error:
            raise PermanentError(
                f"{what}: request could not be sent ({type(error).__name__})", status=0
            ) from error
        status = response.status_code
        if 200 <= status < 300:
            return response
        if status in RETRYABLE_4XX or status >= 500:
            raise RetryableError(
                f"{what}: HTTP {status}",
                retry_after=retry_after_seconds(response.headers),
                status=status,
                maybe_posted=writes and status in MAYBE_DONE_5XX,
            )
        if 300 <= status < 400:
            raise PermanentError(f"{what}: HTTP {status} (moved or merged ticket?)", status=status)
        # The vendor's error body can quote what we sent (the reply text): only the status goes into the message.
        raise PermanentError(f"{what}: HTTP {status}", status=status)


def _may_have_arrived(error: requests.ConnectionError) -> bool:
    """False only when the connection never opened (refused, no such host, TLS handshake failed): then the request
    cannot have reached the vendor. A connection reset or closed after sending may have delivered it."""
    if isinstance(error, requests.exceptions.SSLError):
        return False
    cause = error.args[0] if error.args else None
    return not isinstance(getattr(cause, "reason", cause), NewConnectionError)


_ACCOUNT = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def vendor_host(provider: str, key: str, value: str, suffix: str) -> str:
    """``acme`` or ``acme.<suffix>`` as the checked host ``acme.<suffix>``.

    Anything else (another domain, a scheme, a path, a port) is refused: the credentials only go to the vendor.
    """
    host = value.strip().lower().rstrip(".")
    if host.endswith(f".{suffix}"):
        host = host[: -len(suffix) - 1]
    if not _ACCOUNT.match(host):
        raise CredentialsError(
            f"{provider} credentials: {key} must be the account name (acme) or acme.{suffix}"
        )
    return f"{host}.{suffix}"
