"""Reading a vendor's JSON: every access knows its path, so a missing field is reported by name (never by value)."""

from __future__ import annotations

import hashlib
import json
from typing import Final

from triage.parsing.webhooks.model import WebhookRejected

_TRUE: Final = frozenset({"true", "1", "yes", "y", "on"})


def parse_json(body: bytes) -> Field:
    """The body as a JSON object, or a 400 that says why it is not one."""
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise WebhookRejected(400, "malformed_json", "The body is not UTF-8 encoded JSON.") from None
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and over-long integers; RecursionError absurd nesting.
        raise WebhookRejected(400, "malformed_json", "The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise WebhookRejected(400, "malformed_json", "The body is JSON but not a JSON object.")
    return Field(value, "")


def missing(path: str) -> WebhookRejected:
    return WebhookRejected(400, "missing_field", f"Required field '{path}' is missing or empty.")


class Field:
    """A JSON value and the path that led to it (``data.item.conversation_parts.conversation_parts[0].id``)."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    def _child(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def __getitem__(self, key: str | int) -> Field:
        """The child at ``key``; a Field holding ``None`` when it is not there (optional access)."""
        value: object = None
        if (
            isinstance(key, int)
            and isinstance(self.value, list)
            and -len(self.value) <= key < len(self.value)
        ):
            value = self.value[key]
        elif isinstance(key, str) and isinstance(self.value, dict):
            value = self.value.get(key)
        return Field(value, self._child(key))

    def get(self, *keys: str | int) -> Field:
        field = self
        for key in keys:
            field = field[key]
        return field

    @property
    def present(self) -> bool:
        return self.value is not None and self.value != "" and self.value != [] and self.value != {}

    def required(self) -> Field:
        if not self.present:
            raise missing(self.path)
        return self

    def need(self, *keys: str | int) -> Field:
        return self.get(*keys).required()

    def text(self) -> str:
        """A scalar as text ('' for null, objects and lists); JSON numbers keep their integer form."""
        value = self.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else str(value)
        return ""

    def need_text(self, *keys: str | int) -> str:
        field = self.get(*keys)
        text = field.text()
        if not text:
            raise missing(field.path)
        return text

    def is_true(self) -> bool:
        """A flag that may arrive as a JSON boolean or as text from a template ("True", "true", "1")."""
        if isinstance(self.value, bool):
            return self.value
        return self.text().lower() in _TRUE

    def items(self) -> list[Field]:
        if not isinstance(self.value, list):
            return []
        return [self[index] for index in range(len(self.value))]

    def is_object(self) -> bool:
        return isinstance(self.value, dict)


def tag_names(field: Field, *, key: str = "name") -> tuple[str, ...]:
    """Tags as names, whether the vendor sends ``["a", "b"]``, ``[{"name": "a"}]`` or ``"a b"`` / ``"a, b"``."""
    names: list[str] = []
    if isinstance(field.value, str):
        names = field.value.replace(",", " ").split()
    else:
        for item in field.items():
            name = item[key].text() if item.is_object() else item.text()
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))


def digest(*parts: str | bytes) -> str:
    """A stable hex id from content (length-prefixed, so ("ab", "c") and ("a", "bc") differ)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(str(len(data)).encode("ascii") + b":" + data)
    return hasher.hexdigest()
