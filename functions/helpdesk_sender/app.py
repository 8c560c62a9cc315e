"""SQS batch of outbox items → post each reply or note to its helpdesk (partial batch responses).

A failed item goes back to the queue on its own (then to the outbox DLQ after ``maxReceiveCount``); each item is
posted once (Powertools Idempotency on its ``idempotency_key``).
"""

import gc

gc.disable()  # no collections while importing, until keep_imported_objects() (the last line; see triage.runtime)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from triage.helpdesk import OutboxItem
from triage.observability import count_batch, logger, metrics, tracer
from triage.runtime import keep_imported_objects, post_once

# The helpdesk APIs are called through requests: traced here only (the shared tracer patches botocore).
tracer.patch(["requests"])
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    return post_once(OutboxItem.from_json(record.body), lambda_context)


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
