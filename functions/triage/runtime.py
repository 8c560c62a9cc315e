"""Composition root for the Lambda handlers: settings, adapters and core wired once per process."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from triage import aws
from triage.conversation import MemoryConversationStore
from triage.message import InboundMessage
from triage.observability import logger
from triage.routing import load_routing
from triage.service import EmailIntake, TriageWorker, load_model_or_none, policy_for
from triage.settings import get_settings

if TYPE_CHECKING:  # the worker never loads the webhook parsers
    from triage.webhook_intake import WebhookIntake


def keep_imported_objects() -> None:
    """Move what the imports built to the collector's permanent generation (``gc.freeze``) and turn collection back
    on. Each handler module turns it off before its imports and calls this last: the objects they build (over 100k
    in the worker) live as long as the process, so collecting while importing them only cost time (~50 ms of the
    worker's cold start), and a full collection after it would walk them all again (up to 60 ms in the worker's
    first message)."""
    gc.freeze()
    gc.enable()


@lru_cache(maxsize=1)
def email_intake() -> EmailIntake:
    settings = get_settings()
    return EmailIntake(
        settings, aws.S3RawMailStore(settings), aws.SqsQueue(settings.triage_queue_url, settings)
    )


@lru_cache(maxsize=1)
def triage_worker() -> TriageWorker:
    settings = get_settings()
    return TriageWorker(
        settings,
        mailer=aws.SesMailer(settings),
        escalations=aws.SqsQueue(settings.escalation_queue_url, settings),
        decisions=aws.S3DecisionLog(settings),
        model=lambda: load_model_or_none(settings),
        conversations=(
            aws.DynamoConversationStore(settings)
            if settings.conversation_table
            else MemoryConversationStore()
        ),
        customers=aws.DynamoCustomerDirectory(settings) if settings.customer_table else None,
        outbox=aws.SqsQueue(settings.outbox_queue_url, settings) if settings.outbox_queue_url else None,
        blobs=aws.S3Blobs(settings),
        routing=load_routing(settings.routing_file) if settings.escalation_queue_prefix else None,
        team_queue=lambda name: aws.queue_by_name(name, settings.aws_endpoint_url),
        queue_prefix=settings.escalation_queue_prefix,
        knowledge=knowledge_base(settings),
    )


@lru_cache(maxsize=1)
def _idempotency() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """The worker's ``handle`` made exactly-once per message key (Powertools Idempotency on DynamoDB).

    Without a table (local runs) there is no guard; the template always sets one.
    """
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    settings = get_settings()
    worker = triage_worker()
    if not settings.idempotency_table:
        return None, worker.handle
    config = IdempotencyConfig(
        event_key_jmespath="dedupe_key || id",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )

    def handle(message: InboundMessage) -> dict[str, Any]:
        return worker.handle(message)

    guarded = idempotent_function(
        data_keyword_argument="message", persistence_store=aws.idempotency_store(settings), config=config
    )(handle)
    return config, guarded


def mine_faq_drafts(days: int = 7) -> dict[str, int]:
    """The scheduled job: the last ``days`` of agents' feedback → new pending FAQ drafts (known ones skipped)."""
    from datetime import UTC, datetime, timedelta

    from triage.agent import read_feedback
    from triage.faq import S3FaqStore, messages_from_feedback, mine

    settings = get_settings()
    s3 = aws.client("s3", settings.aws_endpoint_url)
    store = S3FaqStore(s3, settings.decision_log_bucket)
    feedback = read_feedback(
        s3, settings.decision_log_bucket, "feedback/", datetime.now(UTC) - timedelta(days=days)
    )
    drafts = mine(messages_from_feedback(feedback), known=store.list())
    new = sum(1 for draft in drafts if store.put(draft, overwrite=False))
    logger.info("faq drafts mined", extra={"feedback": len(feedback), "drafts": len(drafts), "new": new})
    return {"feedback": len(feedback), "drafts": len(drafts), "new": new}


def knowledge_base(settings: Any, max_age: float = 300.0) -> Callable[[], Any]:
    """The approved FAQ entries (issue 7), read from S3 at most every ``max_age`` seconds; None while there are
    none, so the encoder is never loaded for nothing. A store that cannot be read means no FAQ answers."""
    import time

    cached: list[Any] = []
    read_at = [float("-inf")]

    def provide() -> Any:
        if time.monotonic() - read_at[0] >= max_age:
            from triage.faq import KnowledgeBase, S3FaqStore

            try:
                entries = S3FaqStore(
                    aws.client("s3", settings.aws_endpoint_url), settings.decision_log_bucket
                ).list("approved")
                cached[:] = (
                    [KnowledgeBase(entries, threshold=settings.faq_match_threshold)] if entries else [None]
                )
            except Exception as error:
                # The type only: a validation error's text quotes the entries, which hold customers' questions.
                logger.error("FAQ knowledge base unavailable", extra={"error": type(error).__name__})
                cached[:] = [None]
            read_at[0] = time.monotonic()
        return cached[0] if cached else None

    return provide


@lru_cache(maxsize=1)
def _delivery_idempotency() -> Any:
    """The Powertools IdempotencyConfig of webhook deliveries (keyed on the vendor's delivery id), or None
    without a table (local runs; the template always sets one)."""
    settings = get_settings()
    if not settings.idempotency_table:
        return None
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="key",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )


def register_webhook_context(lambda_context: Any) -> None:
    """Give the delivery guard this invocation's context, so a delivery whose function timed out mid-way is
    released when the invocation ends rather than held "in progress" until the record expires."""
    config = _delivery_idempotency()
    if config is not None and lambda_context is not None:
        config.register_lambda_context(lambda_context)


@lru_cache(maxsize=1)
def webhook_intake() -> WebhookIntake:
    """Webhook intake, each vendor delivery enqueued once (Powertools Idempotency on the delivery id)."""
    from triage.webhook_intake import DeliveryInProgress, WebhookIntake

    settings = get_settings()
    queue = aws.SqsQueue(settings.triage_queue_url, settings)
    secrets = aws.SecretsManagerSecrets(settings)
    config = _delivery_idempotency()
    if config is None:
        return WebhookIntake(secrets, queue)
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    def run(delivery: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return work()

    enqueue_once = idempotent_function(
        data_keyword_argument="delivery", persistence_store=aws.idempotency_store(settings), config=config
    )(run)

    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    def once(key: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = enqueue_once(delivery={"key": key}, work=work)
        except IdempotencyAlreadyInProgressError as racing:
            raise DeliveryInProgress(key) from racing
        return result

    return WebhookIntake(secrets, queue, once=once)


@lru_cache(maxsize=1)
def _posting() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """The helpdesk sender's ``send``, once per outbox item (Powertools Idempotency on its key)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    from triage.outbound import HelpdeskSender

    settings = get_settings()
    sender = HelpdeskSender(aws.SecretsManagerCredentials(settings))
    if not settings.idempotency_table:
        return None, lambda item: sender.send(item)
    config = IdempotencyConfig(
        event_key_jmespath="key",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )

    def send(job: dict[str, str], item: Any) -> dict[str, Any]:
        return sender.send(item)

    post = idempotent_function(
        data_keyword_argument="job", persistence_store=aws.idempotency_store(settings), config=config
    )(send)

    return config, lambda item: post(job={"key": item.idempotency_key or item.to_json()}, item=item)


def post_once(item: Any, lambda_context: Any | None = None) -> dict[str, Any]:
    config, post = _posting()
    if config is not None and lambda_context is not None:
        config.register_lambda_context(lambda_context)
    return post(item)


def triage_once(message: InboundMessage, lambda_context: Any | None = None) -> dict[str, Any]:
    """Exactly once per message key. If the idempotency store itself is down, fail closed: the message still
    reaches a person, but nothing is sent automatically (a duplicate escalation is harmless, a duplicate reply not).
    """
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError

    config, guarded = _idempotency()
    if config is not None and lambda_context is not None:
        config.register_lambda_context(lambda_context)
    try:
        return guarded(message=message)
    except IdempotencyPersistenceLayerError:
        logger.warning(
            "idempotency store unavailable; escalating without replying", extra={"message_key": message.id}
        )
        return triage_worker().handle(message, allow_auto_reply=False)


def reset() -> None:
    """Forget wired objects (tests and the demo change the environment between runs)."""
    from triage.settings import get_settings as settings_cache

    for cached in (
        email_intake,
        triage_worker,
        webhook_intake,
        _delivery_idempotency,
        _idempotency,
        _posting,
        settings_cache,
        aws.client,
        aws.queue_by_name,
        policy_for,
    ):
        cached.cache_clear()
