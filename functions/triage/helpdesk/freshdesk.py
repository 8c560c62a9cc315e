"""Freshdesk (API v2): a reply, or a private note plus tags.

- Reply: ``POST https://{domain}/api/v2/tickets/{id}/reply`` ``{"body": html}``
- Escalation: tags first, then the note (so a retry after a failed note only re-applies tags, which is harmless):
  ``GET /api/v2/tickets/{id}`` for the current tags, ``PUT /api/v2/tickets/{id}`` ``{"tags": current + new}``
  only when something is new (``tags`` replaces the whole list), then
  ``POST /api/v2/tickets/{id}/notes`` ``{"body": html, "private": true}``.
- Auth: HTTP Basic ``{api_key}:X``.  ``domain`` is ``acme`` or ``acme.freshdesk.com``.
- Body: HTML, so the text is escaped (``triage.helpdesk._text.to_html``).
- Returns the conversation id of the reply or note.
- Idempotency: no idempotency key in the Freshdesk API.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from triage.helpdesk._http import Transport, json_object, segment, vendor_host
from triage.helpdesk._text import to_html
from triage.helpdesk.credentials import Credentials


class FreshdeskClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        host = vendor_host("freshdesk", "domain", credentials["domain"], "freshdesk.com")
        self._base = f"https://{host}/api/v2"
        self._http = Transport("freshdesk", session, timeout, auth=(credentials["api_key"], "X"))

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        url = f"{self._base}/tickets/{segment(ticket_id)}/reply"
        response = self._http.request("POST", url, operation="reply", json={"body": to_html(body)})
        return str(json_object(response).get("id", ""))

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        ticket_url = f"{self._base}/tickets/{segment(ticket_id)}"
        if tags:
            current = (
                json_object(self._http.request("GET", ticket_url, operation="read tags")).get("tags") or []
            )
            present = [str(tag) for tag in current]
            new = [tag for tag in dict.fromkeys(tags) if tag not in present]
            if new:
                self._http.request("PUT", ticket_url, operation="add tags", json={"tags": present + new})
        response = self._http.request(
            "POST",
            f"{ticket_url}/notes",
            operation="escalation note",
            json={"body": to_html(note), "private": True},
        )
        return str(json_object(response).get("id", ""))
