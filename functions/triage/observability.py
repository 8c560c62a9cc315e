"""The one Logger, Tracer and Metrics of the service (Powertools).

Logs carry ids, intents, confidences, decisions, reasons and the model version: never an address, a subject or a body.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "triage"
METRICS_NAMESPACE = "SupportTriage"


# What the tracer patches as it is built: the AWS SDK, which every function calls. X-Ray's default (``patch_all``)
# would import requests and sqlite3 in every function just to patch them, ~35 ms of each cold start; the helpdesk
# sender, the one function that calls requests, patches it itself.
TRACED_MODULES = ("botocore",)

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE, patch_modules=TRACED_MODULES)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


def count_batch(event: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    """``BatchRecords`` and ``BatchRecordsFailed`` of one SQS batch (a partial batch response): the failures went back
    to the queue, and after its ``maxReceiveCount`` to the dead-letter queue, so they are the figure to alarm on.
    Every invocation of a batch handler publishes these, never an empty metric set."""
    metrics.add_metric(name="BatchRecords", unit=MetricUnit.Count, value=len(event.get("Records") or ()))
    failed = len(response.get("batchItemFailures") or ())
    metrics.add_metric(name="BatchRecordsFailed", unit=MetricUnit.Count, value=failed)


@contextmanager
def quiet_logs(level: str = "WARNING") -> Iterator[None]:
    """Local tools print their own summary: the service's structured logs only from ``level`` up, meanwhile."""
    saved = logger.log_level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)
