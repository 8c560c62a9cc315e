"""The small interfaces the core talks to. ``triage.aws`` implements them with boto3; tests may use moto."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class RawMailStore(Protocol):
    def get(self, bucket: str, key: str) -> bytes: ...


class MessageQueue(Protocol):
    def send(self, body: str) -> str:
        """Put one message on the queue; returns the queue's message id."""
        ...


class SendRefused(RuntimeError):
    """The mail service refused the message (throttled, rejected): it was certainly not sent, so trying again
    later may send it. Anything else that fails during a send may have sent it."""


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
