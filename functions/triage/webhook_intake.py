"""Helpdesk webhooks in: verify, normalise, put the customer's message on the triage queue, acknowledge.

The answer follows Stripe's and Standard Webhooks' rules: the signature is checked over the raw bytes before any
JSON is read; 202 only once the message is durably on the triage queue; 401 for a bad or missing signature, 400
for a malformed or incomplete body, 404 for an unknown provider, 413 for an oversized one, always with a JSON body
that says what is wrong; events that are not a customer's message (agent replies, notes, our own posts, pings) are
acknowledged with 200 and the reason. A 5xx only ever means *we* could not store the message (the vendor retries).
Each delivery is processed once: the vendor's delivery id is the idempotency key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from triage.observability import logger, metrics
from triage.parsing.webhooks import PROVIDERS, WebhookRejected, normalise, verify
from triage.parsing.webhooks.signatures import check_size
from triage.ports import MessageQueue, SecretStore, SecretsUnavailable

_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def loggable_id(delivery_id: str) -> str:
    """A delivery id as logs may carry it. Some are built from the payload (Freshdesk and Gorgias: ticket and update
    time), so one that is not a plain token, which could hold anything a sender put there, an address included, is
    logged as its digest (the same id, the same digest: still good to correlate)."""
    if _PLAIN_ID.fullmatch(delivery_id):
        return delivery_id
    return "sha256:" + hashlib.sha256(delivery_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class DeliveryInProgress(RuntimeError):
    """Another request is enqueueing this very delivery at this moment."""


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))


def error(status: int, code: str, message: str) -> WebhookResponse:
    return WebhookResponse(status, {"status": "rejected", "error": code, "message": message})


class WebhookIntake:
    def __init__(
        self,
        secrets: SecretStore,
        queue: MessageQueue,
        once: Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``once(key, work)``: run ``work`` once per key and replay its result (Powertools Idempotency in
        Lambda); without it every delivery is enqueued (the worker still triages one message key once)."""
        self._secrets, self._queue, self._clock = secrets, queue, clock
        self._once = once or (lambda _key, work: work())

    def receive(self, provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        provider = provider.lower()
        try:
            if provider not in PROVIDERS:
                raise WebhookRejected(
                    404,
                    "unknown_provider",
                    f"No webhook endpoint for that provider; known: {', '.join(PROVIDERS)}.",
                )
            check_size(body)
            try:
                secrets = self._secrets.secrets(provider)
            except SecretsUnavailable:
                logger.exception("webhook secrets unavailable", extra={"provider": provider})
                return error(503, "secrets_unavailable", "Try again later.")
            verified = verify(provider, body, headers, secrets, self._clock())
            normalised = normalise(provider, body, headers, verified)
        except WebhookRejected as rejected:
            logger.info(
                "webhook rejected",
                extra={"provider": provider, "status": rejected.status, "error": rejected.code},
            )
            metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
            return error(rejected.status, rejected.code, str(rejected))
        if normalised.challenge is not None:
            return WebhookResponse(
                200,
                {"status": "ignored", "reason": "challenge", "challenge": normalised.challenge},
                {"x-front-challenge": normalised.challenge},
            )
        if normalised.message is None:
            logger.info(
                "webhook acknowledged",
                extra={
                    "provider": provider,
                    "delivery_id": loggable_id(normalised.delivery_id),
                    "ignored": normalised.ignored,
                },
            )
            return WebhookResponse(
                200,
                {"status": "ignored", "reason": normalised.ignored, "delivery_id": normalised.delivery_id},
            )
        message = normalised.message

        def enqueue() -> dict[str, Any]:
            queued_as = self._queue.send(message.model_dump_json(by_alias=True))
            return {"status": "accepted", "message_key": message.id, "queued_as": queued_as}

        try:
            result = self._once(f"{provider}:{normalised.delivery_id}", enqueue)
        except DeliveryInProgress:
            # The same delivery is being stored right now (a vendor retry racing the first attempt): not stored by
            # this request, so not a 2xx; 409 makes the vendor retry later, when the first attempt's result is known.
            return WebhookResponse(
                409,
                {"status": "in_progress", "delivery_id": normalised.delivery_id, "message": "Retry shortly."},
                {"retry-after": "2"},
            )
        logger.info(
            "webhook accepted",
            extra={
                "provider": provider,
                "delivery_id": loggable_id(normalised.delivery_id),
                "message_key": message.id,
            },
        )
        metrics.add_metric(name="WebhooksAccepted", unit=MetricUnit.Count, value=1)
        return WebhookResponse(202, result | {"delivery_id": normalised.delivery_id})


class StaticSecrets:
    """Secrets given up front (``triage webhook --secret``, tests, the local stack)."""

    def __init__(self, secrets: Mapping[str, list[str]]) -> None:
        self._secrets = {provider: list(values) for provider, values in secrets.items()}

    def secrets(self, provider: str) -> list[str]:
        return self._secrets.get(provider, [])
