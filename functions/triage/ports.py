"""The small interfaces the core talks to. ``triage.aws`` implements them with boto3; tests may use moto."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol


class RawMailStore(Protocol):
    def get(self, bucket: str, key: str) -> bytes: ...


class MessageQueue(Protocol):
    def send(self, body: str) -> str:
        """Put one message on the queue; returns the queue's message id."""
        ...


class SendRefused(RuntimeError):
    """The mail service refused the message: it was certainly not sent. Anything else that fails during a send may
    have sent it.

    ``code`` is the service's error code. ``retry`` says whether trying again later may send it (throttled); when it
    is False the refusal is about this message, its recipient or the account (rejected, an unverified recipient in the
    SES sandbox, sending paused) and a redelivery would be refused the same way."""

    def __init__(self, message: str, *, code: str, retry: bool) -> None:
        super().__init__(message)
        self.code, self.retry = code, retry


class Mailer(Protocol):
    def send_raw(self, mime: bytes, *, source: str, destinations: Sequence[str]) -> str:
        """Send one RFC 5322 message; returns the provider's message id."""
        ...


class DecisionLog(Protocol):
    def record(self, key: str, document: str) -> None:
        """Keep one decision record (JSON) durably under ``key``."""
        ...


class CustomerDirectory(Protocol):
    def segment_of(self, address: str) -> str | None:
        """The segment the company's customer table gives this address, if any (raises StateUnavailable)."""
        ...


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> tuple[str, str]:
        """Store ``data`` durably; returns (bucket, key) where it can be read back."""
        ...


class SecretStore(Protocol):
    def secrets(self, provider: str) -> list[str]:
        """The active signing secrets (or shared tokens) for ``provider``; empty when none is configured."""
        ...


class SecretsUnavailable(RuntimeError):
    """The secret store could not be read (not: no secret configured)."""


def secrets_from_document(document: object) -> list[str]:
    """A provider's secret as stored: a JSON list, ``{"secrets": [...]}``, ``{"secret": "..."}`` or a string."""
    if isinstance(document, str):
        text = document
        try:
            document = json.loads(text)
        except ValueError:
            return [text] if text else []
    if isinstance(document, dict):
        document = document.get("secrets", document.get("secret", []))
    if isinstance(document, str):
        return [document] if document else []
    if isinstance(document, list):
        return [str(value) for value in document if value]
    return []
