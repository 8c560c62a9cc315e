"""Zendesk Support: replies and internal notes are comments added by updating the ticket.

- Reply: ``PUT https://{subdomain}.zendesk.com/api/v2/tickets/{id}.json``
  ``{"ticket": {"comment": {"body": text, "public": true}}}``
- Escalation: the same call with ``"public": false`` and ``"additional_tags": [...]`` (adds to the ticket's tags,
  where ``"tags"`` would replace them), so note and tags land in one request.
- Auth: HTTP Basic ``{email}/token:{api_token}``.
- Body: ``comment.body`` is plain text, so nothing to escape.
- Returns the id of the Comment event in the response's audit (the comment id), else the audit id.
- Idempotency: Zendesk honours an ``Idempotency-Key`` header for ticket *creation* only (Ticketing API
  introduction, "Idempotency"); an update has none, so the key is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from triage.helpdesk._http import Transport, json_object, segment, vendor_host
from triage.helpdesk.credentials import Credentials


class ZendeskClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        host = vendor_host("zendesk", "subdomain", credentials["subdomain"], "zendesk.com")
        self._base = f"https://{host}/api/v2"
        auth = (f"{credentials['email']}/token", credentials["api_token"])
        self._http = Transport("zendesk", session, timeout, auth=auth)

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        return self._update(ticket_id, {"comment": {"body": body, "public": True}}, operation="reply")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        ticket: dict[str, Any] = {"comment": {"body": note, "public": False}}
        if tags:
            ticket["additional_tags"] = list(tags)
        return self._update(ticket_id, ticket, operation="escalation note")

    def _update(self, ticket_id: str, ticket: dict[str, Any], *, operation: str) -> str:
        url = f"{self._base}/tickets/{segment(ticket_id)}.json"
        response = self._http.request("PUT", url, operation=operation, json={"ticket": ticket})
        audit = json_object(response).get("audit")
        if not isinstance(audit, dict):
            return ""
        for event in audit.get("events") or []:
            if isinstance(event, dict) and event.get("type") in ("Comment", "VoiceComment") and "id" in event:
                return str(event["id"])
        return str(audit.get("id", ""))
