"""Front (Core API): a reply message, or a comment plus tags.

- Reply: ``POST https://api2.frontapp.com/conversations/{id}/messages`` ``{"body": html, "text": plain}`` plus
  ``"author_id"`` when the secret has one (the teammate the reply is sent on behalf of). Front sends it
  asynchronously (202) and answers with a ``message_uid``.
- Escalation: Front tags a conversation by tag id, so each tag name is resolved first: ``GET /tags`` (following
  ``_pagination.next`` on Front's own hosts only), and ``POST /tags`` ``{"name": tag}`` when it does not exist yet;
  then ``POST /conversations/{id}/tags`` ``{"tag_ids": [...]}`` and ``POST /conversations/{id}/comments``
  ``{"body": note}`` (+ ``author_id``). Tags go first: re-applying them on a retry is harmless.
- Auth: ``Authorization: Bearer {api_token}``.
- Body: message ``body`` is HTML (escaped), ``text`` the plain version; a comment body is plain text/Markdown.
- Returns the ``message_uid`` (or message ``id``) of a reply, the comment ``id`` of an escalation.
- Idempotency: no idempotency key in the Front Core API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from triage.helpdesk._http import Transport, json_object, segment
from triage.helpdesk._text import to_html
from triage.helpdesk.credentials import Credentials
from triage.helpdesk.errors import PermanentError

BASE_URL = "https://api2.frontapp.com"
MAX_TAG_PAGES = 20


class FrontClient:
    def __init__(self, credentials: Credentials, session: requests.Session, timeout: float) -> None:
        self._author_id = credentials.get("author_id")
        headers = {"Authorization": f"Bearer {credentials['api_token']}"}
        self._http = Transport("front", session, timeout, headers=headers)

    def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
        payload = self._with_author({"body": to_html(body), "text": body})
        url = f"{BASE_URL}/conversations/{segment(ticket_id)}/messages"
        message = json_object(self._http.request("POST", url, operation="reply", json=payload))
        return str(message.get("message_uid") or message.get("id") or "")

    def escalate(self, ticket_id: str, note: str, tags: Sequence[str], *, idempotency_key: str) -> str:
        conversation_url = f"{BASE_URL}/conversations/{segment(ticket_id)}"
        if tags:
            tag_ids = self._tag_ids(list(dict.fromkeys(tags)))
            self._http.request(
                "POST", f"{conversation_url}/tags", operation="add tags", json={"tag_ids": tag_ids}
            )
        payload = self._with_author({"body": note})
        comment = json_object(
            self._http.request(
                "POST", f"{conversation_url}/comments", operation="escalation note", json=payload
            )
        )
        return str(comment.get("id", ""))

    def _with_author(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "author_id": self._author_id} if self._author_id else payload

    def _tag_ids(self, names: list[str]) -> list[str]:
        known = self._existing_tags()
        ids: list[str] = []
        for name in names:
            tag_id = known.get(name.lower())
            if tag_id is None:
                response = self._http.request(
                    "POST", f"{BASE_URL}/tags", operation="create tag", json={"name": name}
                )
                tag_id = str(json_object(response).get("id", ""))
                if not tag_id:
                    raise PermanentError(
                        "front create tag: no tag id in the response", status=response.status_code
                    )
            ids.append(tag_id)
        return ids

    def _existing_tags(self) -> dict[str, str]:
        """Lower-cased tag name to id, over all pages of ``GET /tags``."""
        tags: dict[str, str] = {}
        url: str | None = f"{BASE_URL}/tags"
        for _ in range(MAX_TAG_PAGES):
            if url is None:
                break
            page = json_object(self._http.request("GET", url, operation="list tags"))
            for tag in page.get("_results") or []:
                if isinstance(tag, dict) and tag.get("name") and tag.get("id"):
                    tags.setdefault(str(tag["name"]).lower(), str(tag["id"]))
            pagination = page.get("_pagination")
            following = pagination.get("next") if isinstance(pagination, dict) else None
            url = following if isinstance(following, str) and _is_front_host(following) else None
        return tags


def _is_front_host(url: str) -> bool:
    """The bearer token only ever goes to Front: a pagination link elsewhere is not followed."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "frontapp.com" or host.endswith(".frontapp.com"))
