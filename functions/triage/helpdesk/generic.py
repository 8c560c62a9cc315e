"""Our own small scheme for helpdesks we have no adapter for (the outbound half of the ``generic`` webhook).

- Reply: ``POST {base_url}/tickets/{id}/replies`` ``{"body": text}``
- Escalation: ``POST {base_url}/tickets/{id}/notes`` ``{"body": note, "tags": [...], "private": true}``
- Auth: ``Authorization: Bearer {token}``.
- Body: plain text; the receiver renders it.
- Idempotency: every request carries ``Idempotency-Key: {idempotency_key}`` (the Stripe/IETF draft header); a
  receiver implementing the scheme must answer a repeated key with the first result instead of posting twice.
- Returns the ``id`` of the JSON response.
- ``base_url`` must be ``https://``; plain ``http://`` is accepted for ``localhost`` only (local testing).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import requests

from triage.helpdesk._http import Transport, json_object, segment
from triage.helpdesk.credentials import Credentials, CredentialsError

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class GenericClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        self._base = _checked_base_url(credentials["base_url"])
        headers = {"Authorization": f"Bearer {credentials['token']}"}
        self._http = Transport("generic", session, timeout, headers=headers)

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        return self._post(ticket_id, "replies", {"body": body}, idempotency_key, operation="reply")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        payload = {"body": note, "tags": list(dict.fromkeys(tags)), "private": True}
        return self._post(ticket_id, "notes", payload, idempotency_key, operation="escalation note")

    def _post(
        self, ticket_id: str, what: str, payload: dict[str, object], key: str, *, operation: str
    ) -> str:
        headers = {"Idempotency-Key": key} if key else {}
        url = f"{self._base}/tickets/{segment(ticket_id)}/{what}"
        response = self._http.request("POST", url, operation=operation, json=payload, headers=headers)
        return str(json_object(response).get("id", ""))


def _checked_base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS)
    if not host or not secure or parts.query or parts.fragment or parts.username or parts.password:
        raise CredentialsError(
            "generic credentials: base_url must be an https:// URL without query or user info"
        )
    return value.strip().rstrip("/")
