"""SQS batch of normalised messages → classify → decide → auto-reply, escalate or record a no-reply.

Partial batch responses: only the records that failed go back to the queue (then to its DLQ after
``maxReceiveCount``); processing is exactly-once per message key through Powertools Idempotency.
"""

import gc

gc.disable()  # no collections while importing, until keep_imported_objects() (the last line; see triage.runtime)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from triage.message import InboundMessage
from triage.observability import count_batch, logger, metrics, tracer
from triage.runtime import keep_imported_objects, triage_once

processor = BatchProcessor(event_type=EventType.SQS)


# Traced without its result as metadata: the decision record quotes the phrases that decided it, and traces, like
# logs, carry no customer text.
@tracer.capture_method(capture_response=False)
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    return triage_once(InboundMessage.model_validate_json(record.body), lambda_context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    count_batch(event, response)
    return response


keep_imported_objects()
