"""S3 ObjectCreated (an email SES stored) → parse → triage queue.

S3 events can carry several records and can arrive twice; the worker is idempotent on the message key, so a
duplicate here costs one extra queue message, never a second reply. A record that fails is retried by Lambda's
asynchronous retries (then the on-failure destination) while the others still go through.
"""

import gc

gc.disable()  # no collections while importing, until keep_imported_objects() (the last line; see triage.runtime)

from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from triage.observability import logger, metrics, tracer
from triage.runtime import email_intake, keep_imported_objects


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, int]:
    intake = email_intake()
    failures: list[Exception] = []
    accepted = 0
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)
        try:
            accepted += intake.accept(record.s3.bucket.name, key) is not None
        except Exception as error:
            # The type only: a validation error's text would quote the mail it could not read.
            logger.error("email intake failed", extra={"s3_key": key, "error": type(error).__name__})
            failures.append(error)
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(list(event.records))} records failed") from failures[0]
    return {"accepted": accepted, "skipped": len(list(event.records)) - accepted}


keep_imported_objects()
