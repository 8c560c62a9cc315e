"""The one Logger, Tracer and Metrics of the service (Powertools).

Logs carry ids, intents, confidences, decisions, reasons and the model version: never an address, a subject or a body.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "triage"
METRICS_NAMESPACE = "SupportTriage"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


@contextmanager
def quiet_logs(level: str = "WARNING") -> Iterator[None]:
    """Local tools print their own summary: the service's structured logs only from ``level`` up, meanwhile."""
    saved = logger.log_level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)
