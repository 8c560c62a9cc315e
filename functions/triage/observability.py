"""The one Logger, Tracer and Metrics of the service (Powertools).

Logs carry ids, intents, confidences, decisions, reasons and the model version: never an address, a subject or a body.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from triage import regex_code

SERVICE = "triage"
METRICS_NAMESPACE = "SupportTriage"


# What the tracer patches as it is built: the AWS SDK, which every function calls. X-Ray's default (``patch_all``)
# would import requests and sqlite3 in every function just to patch them, ~35 ms of each cold start; the helpdesk
# sender, the one function that calls requests, patches it itself.
TRACED_MODULES = ("botocore",)

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE, patch_modules=TRACED_MODULES)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

# What a trace keeps of an error's message: botocore's own sentence (the error code and the operation). The rest of an
# AWS error is the service's text, and SES's sandbox refusal names the recipient; any other exception's message may
# quote what it failed on (a body, an address). Its type and where it was raised stay in the trace.
_AWS_ERROR = regex_code.compile(
    r"An error occurred \([\w.]+\) when calling the \w+ operation(?: \(reached max retries: \d+\))?"
)
WITHHELD = "(message withheld from traces: it may quote a customer)"


def traced_message(message: str) -> str:
    """The part of an exception's message a trace may carry."""
    found = _AWS_ERROR.match(message)
    return found.group(0) if found else WITHHELD


def withhold_messages(entity: Any) -> None:
    """Replace the exception messages of an X-Ray segment or subsegment and its subsegments before it is sent: those
    in its ``cause`` (the SDK's record of an exception) and the exceptions Powertools puts in its metadata."""
    cause = getattr(entity, "cause", None)
    if isinstance(cause, dict):
        for throwable in cause.get("exceptions", ()):
            if isinstance(getattr(throwable, "message", None), str):
                throwable.message = traced_message(throwable.message)
    for values in (getattr(entity, "metadata", None) or {}).values():
        for key, value in values.items():
            if isinstance(value, BaseException):
                values[key] = f"{type(value).__name__}: {traced_message(str(value))}"
    for subsegment in getattr(entity, "subsegments", ()):
        withhold_messages(subsegment)


def _withhold_in_traces() -> None:
    """Send every segment through ``withhold_messages``: an emitter like the recorder's, to the same daemon."""
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

    class WithholdingEmitter(UDPEmitter):  # type: ignore[misc]
        def send_entity(self, entity: Any) -> None:
            withhold_messages(entity)
            super().send_entity(entity)

    sent_by = tracer.provider.emitter  # type: ignore[attr-defined]
    tracer.provider.configure(emitter=WithholdingEmitter(f"{sent_by.ip}:{sent_by.port}"))  # type: ignore[attr-defined]


if not tracer.disabled:
    _withhold_in_traces()


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
