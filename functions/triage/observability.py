"""The one Logger, Tracer and Metrics of the service (Powertools).

Logs carry ids, intents, confidences, decisions, reasons and the model version: never an address, a subject or a body.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "triage"
METRICS_NAMESPACE = "SupportTriage"


def _collected_after(build: Callable[[], Tracer]) -> Tracer:
    """``build()``, then a collection of what it left behind. ``Tracer()`` builds the X-Ray SDK's sampling client,
    whose parsed service model (~27k objects held in reference cycles) is garbage as soon as it is built. Handlers
    import with the collector off, then freeze everything (:func:`triage.runtime.keep_imported_objects`): uncollected,
    that garbage would stay for good (7 MB of the worker's peak memory). Frozen first, what exists already is left
    out of the collection, which walks only what ``build`` made: ~10-20 ms, where one over everything imported
    costs 40-80 ms."""
    gc.freeze()
    try:
        return build()
    finally:
        gc.collect()


logger = Logger(service=SERVICE)
tracer = _collected_after(lambda: Tracer(service=SERVICE))
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
