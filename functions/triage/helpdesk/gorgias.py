"""Gorgias: an outgoing message on the ticket's channel, or an internal note plus tags.

- Reply: ``GET https://{domain}.gorgias.com/api/tickets/{id}`` for the customer and the ticket's channel (an
  outgoing message must name its receiver), then ``POST /api/tickets/{id}/messages`` with
  ``{"channel": <ticket channel, default "email">, "via": "api", "from_agent": true, "public": true,
  "sender": {"email": username}, "receiver": {"id": customer_id}, "body_text": text, "body_html": html}``.
  Gorgias creates the message and sends it asynchronously.
- Escalation: ``POST /api/tickets/{id}/tags`` ``{"names": [...]}`` (adds; unknown names are created), then the
  messages call with ``"channel": "internal-note", "public": false`` and no receiver.
- Auth: HTTP Basic ``{username}:{api_key}`` (the username is the agent's login email, who is also the sender).
  ``domain`` is ``acme`` or ``acme.gorgias.com``.
- Returns the message id.
- Idempotency: no idempotency key in the Gorgias REST API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from triage.helpdesk._http import Transport, json_object, segment, vendor_host
from triage.helpdesk._text import to_html
from triage.helpdesk.credentials import Credentials
from triage.helpdesk.errors import PermanentError


class GorgiasClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        host = vendor_host("gorgias", "domain", credentials["domain"], "gorgias.com")
        self._base = f"https://{host}/api"
        self._sender = credentials["username"]
        self._http = Transport(
            "gorgias", session, timeout, auth=(credentials["username"], credentials["api_key"])
        )

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        ticket_url = f"{self._base}/tickets/{segment(ticket_id)}"
        ticket = json_object(self._http.request("GET", ticket_url, operation="read ticket"))
        customer = ticket.get("customer")
        customer_id = customer.get("id") if isinstance(customer, dict) else None
        if customer_id is None:
            raise PermanentError("gorgias reply: the ticket has no customer", status=0)
        channel = ticket.get("channel") if isinstance(ticket.get("channel"), str) else "email"
        message = self._message(str(channel), body, public=True)
        message["receiver"] = {"id": customer_id}
        return self._post_message(ticket_url, message, operation="reply")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        ticket_url = f"{self._base}/tickets/{segment(ticket_id)}"
        if tags:
            names = list(dict.fromkeys(tags))
            self._http.request("POST", f"{ticket_url}/tags", operation="add tags", json={"names": names})
        message = self._message("internal-note", note, public=False)
        return self._post_message(ticket_url, message, operation="escalation note")

    def _message(self, channel: str, text: str, *, public: bool) -> dict[str, Any]:
        return {
            "channel": channel,
            "via": "api",
            "from_agent": True,
            "public": public,
            "sender": {"email": self._sender},
            "body_text": text,
            "body_html": to_html(text),
        }

    def _post_message(self, ticket_url: str, message: dict[str, Any], *, operation: str) -> str:
        response = self._http.request("POST", f"{ticket_url}/messages", operation=operation, json=message)
        return str(json_object(response).get("id", ""))
