"""Intercom: an admin reply (``comment``) or an admin ``note`` on the conversation, plus tags by name.

- Reply: ``POST https://api.intercom.io/conversations/{id}/reply``
  ``{"message_type": "comment", "type": "admin", "admin_id": ..., "body": html}``
- Escalation: for each tag, ``POST /tags`` ``{"name": tag}`` (creates the tag if it does not exist, otherwise
  returns it: names are case-insensitive) and ``POST /conversations/{id}/tags`` ``{"id": tag_id, "admin_id": ...}``;
  then the reply call with ``"message_type": "note"``. Tags go first: re-applying a tag on retry is harmless.
- Auth: ``Authorization: Bearer {access_token}``; ``Intercom-Version`` pins the API version (``2.11``, or the
  secret's optional ``intercom_version``).
- Body: HTML (notes and comments accept some HTML), so the text is escaped.
- Returns the id of the conversation part just created (the last part in the returned conversation).
- Idempotency: no idempotency key in the Intercom REST API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from triage.helpdesk._http import Transport, json_object, segment
from triage.helpdesk._text import to_html
from triage.helpdesk.credentials import Credentials
from triage.helpdesk.errors import PermanentError

BASE_URL = "https://api.intercom.io"
DEFAULT_VERSION = "2.11"


class IntercomClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        self._admin_id = credentials["admin_id"]
        headers = {
            "Authorization": f"Bearer {credentials['access_token']}",
            "Intercom-Version": credentials.get("intercom_version") or DEFAULT_VERSION,
        }
        self._http = Transport("intercom", session, timeout, headers=headers)

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        return self._reply(ticket_id, body, message_type="comment", operation="reply")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        for name in dict.fromkeys(tags):
            response = self._http.request(
                "POST", f"{BASE_URL}/tags", operation="find tag", json={"name": name}
            )
            tag_id = str(json_object(response).get("id", ""))
            if not tag_id:
                raise PermanentError(
                    "intercom find tag: no tag id in the response", status=response.status_code
                )
            self._http.request(
                "POST",
                f"{BASE_URL}/conversations/{segment(ticket_id)}/tags",
                operation="add tag",
                json={"id": tag_id, "admin_id": self._admin_id},
            )
        return self._reply(ticket_id, note, message_type="note", operation="escalation note")

    def _reply(self, ticket_id: str, text: str, *, message_type: str, operation: str) -> str:
        payload = {
            "message_type": message_type,
            "type": "admin",
            "admin_id": self._admin_id,
            "body": to_html(text),
        }
        url = f"{BASE_URL}/conversations/{segment(ticket_id)}/reply"
        conversation = json_object(self._http.request("POST", url, operation=operation, json=payload))
        return _last_part_id(conversation)


def _last_part_id(conversation: dict[str, Any]) -> str:
    parts = conversation.get("conversation_parts")
    listed = parts.get("conversation_parts") if isinstance(parts, dict) else None
    if isinstance(listed, list) and listed and isinstance(listed[-1], dict) and "id" in listed[-1]:
        return str(listed[-1]["id"])
    return str(conversation.get("id", ""))
