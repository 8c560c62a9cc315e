"""POST /webhooks/{provider} (HTTP API) → verify → normalise → triage queue → 202.

Adapts the HTTP event only: the raw body (base64-decoded when API Gateway encoded it) and the headers go to
``triage.webhook_intake.WebhookIntake``, whose answer becomes the response. Bad input is never a 5xx and a response
never carries a stack trace.
"""

import gc

gc.disable()  # no collections while importing, until keep_imported_objects() (the last line; see triage.runtime)

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from triage.observability import logger, metrics, tracer
from triage.parsing.webhooks import WebhookRejected, raw_body
from triage.runtime import keep_imported_objects, register_webhook_context, webhook_intake
from triage.webhook_intake import error

app = APIGatewayHttpResolver()


def _respond(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=body, headers=headers or {})


@app.post("/webhooks/<provider>")
def receive(provider: str) -> Response[str]:
    event = app.current_event
    try:
        body = raw_body(event.get("body"), bool(event.get("isBase64Encoded")))
    except WebhookRejected as rejected:
        return _respond(rejected.status, error(rejected.status, rejected.code, str(rejected)).json())
    answer = webhook_intake().receive(provider, body, dict(event.headers or {}))
    return _respond(answer.status, answer.json(), answer.headers)


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _respond(404, error(404, "not_found", "POST /webhooks/{provider} is the only endpoint.").json())


@app.exception_handler(Exception)
def failed(error: Exception) -> Response[str]:
    # The type only: a validation error's text would quote the customer's message.
    logger.error("webhook intake failed", extra={"error": type(error).__name__})
    return _respond(503, error(503, "unavailable", "The message could not be stored; please retry.").json())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:  # type: ignore[type-arg]
    register_webhook_context(context)
    return app.resolve(event, context)


keep_imported_objects()
