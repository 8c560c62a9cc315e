"""Help Scout (Mailbox API 2.0): a reply thread, or a note thread plus tags.

- Reply: ``GET https://api.helpscout.net/v2/conversations/{id}`` for ``primaryCustomer.id`` (the reply endpoint
  requires the customer being replied to), then ``POST /v2/conversations/{id}/reply``
  ``{"customer": {"id": ...}, "text": html}``.
- Escalation: ``GET /v2/conversations/{id}`` for the current tags, ``PUT /v2/conversations/{id}/tags``
  ``{"tags": current + new}`` only when something is new (the list replaces the conversation's tags; unknown tags
  are created), then ``POST /v2/conversations/{id}/notes`` ``{"text": html}``.
- Auth: ``Authorization: Bearer {access_token}`` (an OAuth2 app token obtained by the caller; tokens expire after
  two days, so whatever writes the secret must refresh it in time).
- Body: thread text is HTML, so the text is escaped.
- Returns the ``Resource-ID`` response header: the id of the new thread.
- Rate limit: 429 with ``X-RateLimit-Retry-After`` (seconds), which ``_http`` reads.
- Idempotency: no idempotency key in the Mailbox API.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from triage.helpdesk._http import Transport, json_object, segment
from triage.helpdesk._text import to_html
from triage.helpdesk.credentials import Credentials
from triage.helpdesk.errors import PermanentError

BASE_URL = "https://api.helpscout.net/v2"


class HelpScoutClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        headers = {"Authorization": f"Bearer {credentials['access_token']}"}
        self._http = Transport("helpscout", session, timeout, headers=headers)

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        url = f"{BASE_URL}/conversations/{segment(ticket_id)}"
        conversation = self._http.request("GET", url, operation="read conversation")
        customer = json_object(conversation).get("primaryCustomer")
        customer_id = customer.get("id") if isinstance(customer, dict) else None
        if customer_id is None:
            raise PermanentError("helpscout reply: the conversation has no primary customer", status=0)
        response = self._http.request(
            "POST",
            f"{url}/reply",
            operation="reply",
            json={"customer": {"id": customer_id}, "text": to_html(body)},
        )
        return response.headers.get("Resource-ID", "")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        url = f"{BASE_URL}/conversations/{segment(ticket_id)}"
        if tags:
            conversation = json_object(self._http.request("GET", url, operation="read tags"))
            present = [_tag_name(tag) for tag in conversation.get("tags") or []]
            present = [name for name in present if name]
            new = [
                tag for tag in dict.fromkeys(tags) if tag.lower() not in {name.lower() for name in present}
            ]
            if new:
                self._http.request("PUT", f"{url}/tags", operation="add tags", json={"tags": present + new})
        response = self._http.request(
            "POST", f"{url}/notes", operation="escalation note", json={"text": to_html(note)}
        )
        return response.headers.get("Resource-ID", "")


def _tag_name(tag: object) -> str:
    """A conversation's tags come as objects (``{"id", "tag", "color"}``); accept a bare name too."""
    if isinstance(tag, dict):
        return str(tag.get("tag") or tag.get("name") or "")
    return str(tag) if isinstance(tag, str) else ""
