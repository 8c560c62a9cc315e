"""EventBridge schedule (daily) → mine the last week's agent feedback for repeated questions → pending FAQ drafts.

Drafts wait for a person (`triage faq list / approve / reject`); nothing mined is ever answered before approval.
"""

import gc

gc.disable()  # no collections while importing, until keep_imported_objects() (the last line; see triage.runtime)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from triage.observability import logger, metrics, tracer
from triage.runtime import keep_imported_objects, mine_faq_drafts


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return mine_faq_drafts()


keep_imported_objects()
