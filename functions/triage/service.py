"""The two jobs of the pipeline, wired to ports: take mail in, and triage one message to its outcome.

Every message ends as exactly one of: an automatic reply, an escalation, or a recorded no-reply with its reason.
A failure raises, so the queue redelivers it (and after ``maxReceiveCount`` it lands in the dead-letter queue).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from triage.classifier import (
    Classification,
    Encoder,
    IntentModel,
    ModelError,
    TextModel,
    artifact_name,
    load_model,
)
from triage.emotion import read_emotion
from triage.escalation import Escalation, build_escalation
from triage.message import InboundMessage, RawPointer
from triage.observability import logger, metrics
from triage.parsing.email import parse_email
from triage.policy import (
    AutoReplyDecision,
    Decision,
    EscalateDecision,
    Reason,
    Rules,
    classification_text,
    decide,
)
from triage.ports import DecisionLog, Mailer, MessageQueue, RawMailStore
from triage.replies import (
    ReplyContent,
    ReplyStyle,
    compose_mime,
    reply_body,
    reply_content,
    templated_intents,
)
from triage.settings import Settings
from triage.urgency import assess_urgency


class Outcome(BaseModel):
    """What triage decided for one message, and what it would send."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    reply: ReplyContent | None = None
    escalation: Escalation | None = None


class DecisionRecord(BaseModel):
    """The durable trace of one message's fate (no body, no subject: those stay in the raw mail)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_key: str
    channel: str
    provider: str
    decided_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    decision: Decision
    delivered_by: str = Field(description="ses (reply), sqs (escalation) or none")
    raw: RawPointer | None = None


def rules_from(settings: Settings) -> Rules:
    return Rules(
        auto_reply_intents=frozenset(settings.auto_reply_intents),
        min_confidence=settings.auto_reply_min_confidence,
        min_margin=settings.auto_reply_min_margin,
        reply_languages=frozenset(settings.reply_languages),
        templated_intents=templated_intents(),
    )


def style_from(settings: Settings) -> ReplyStyle:
    return ReplyStyle(help_url=settings.help_center_url, signature=settings.reply_signature)


def own_addresses(settings: Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*settings.support_addresses, settings.reply_from_address.lower())))


def read_email(raw: bytes, settings: Settings, pointer: RawPointer | None = None) -> InboundMessage:
    return parse_email(
        raw, pointer=pointer, own_addresses=own_addresses(settings), own_domain=settings.reply_domain
    )


def encoder_provider(settings: Settings) -> Callable[[], Encoder | None]:
    """Loads the sentence encoder on first need (never for a message the fast tier is sure of)."""

    loaded: list[Encoder | None] = []

    def provide() -> Encoder | None:
        if not loaded:
            loaded.append(_load_encoder(settings))
        return loaded[0]

    return provide


def _load_encoder(settings: Settings) -> Encoder | None:
    if not settings.use_encoder:
        return None
    try:
        from triage.encoder import default_encoder_dir, load_encoder

        directory = settings.encoder_dir or default_encoder_dir()
        return load_encoder(directory) if directory is not None else None
    except (ImportError, OSError, ValueError):
        logger.exception("encoder unavailable; the fast tier decides alone")
        return None


def classify(
    message: InboundMessage, model: IntentModel | None, encoder: Callable[[], Encoder | None] | None = None
) -> Classification | None:
    return classify_text(classification_text(message), model, encoder)


def classify_text(
    text: str, model: IntentModel | None, encoder: Callable[[], Encoder | None] | None = None
) -> Classification | None:
    """``text`` is ``classification_text``: the subject is the customer's own one-line summary, so it and the
    whole message are read as two views."""
    if model is None or not text:
        return None
    subject, _, body = text.partition("\n")
    return model.predict_views([subject, text] if subject and body.strip() else [text], encoder=encoder)


def triage_message(
    message: InboundMessage,
    model: IntentModel | None,
    settings: Settings,
    encoder: Callable[[], Encoder | None] | None = None,
    emotion_model: TextModel | None = None,
) -> Outcome:
    """Classify, decide, and compose what would be sent. No I/O (beyond loading the encoder on first need)."""
    text = classification_text(message)
    emotion = read_emotion(emotion_model, text)
    decision = decide(message, classify_text(text, model, encoder), rules_from(settings), emotion)
    style = style_from(settings)
    if isinstance(decision, AutoReplyDecision):
        body = reply_body(decision.intent or "", message, style)
        reply = reply_content(message, body) if body is not None else None
        if reply is not None and reply.to:
            return Outcome(decision=decision, reply=reply)
        decision = EscalateDecision(
            **decision.model_dump(exclude={"action", "reason"}), reason=Reason.NO_TEMPLATE
        )
    if isinstance(decision, EscalateDecision):
        draft = reply_body(decision.intent, message, style) if decision.intent else None
        urgency = assess_urgency(text, emotion=emotion.label)
        return Outcome(
            decision=decision,
            escalation=build_escalation(message, decision, draft, emotion=emotion, urgency=urgency),
        )
    return Outcome(decision=decision)


def load_model_or_none(settings: Settings) -> IntentModel | None:
    """The bundled model, or None (every message then escalates with ``model_unavailable``)."""
    try:
        return load_model(settings.model_dir)
    except ModelError:
        logger.exception(
            "model unavailable; escalating everything", extra={"model_dir": str(settings.model_dir)}
        )
        return None


def load_emotion_model_or_none(settings: Settings) -> TextModel | None:
    """The emotion head when the model directory has one (else the phrase table alone judges the tone)."""
    if not (settings.model_dir / artifact_name("emotion")).is_file():
        return None
    try:
        return load_model(settings.model_dir, "emotion")
    except ModelError:
        logger.exception("emotion head unavailable; using the phrase table")
        return None


class EmailIntake:
    def __init__(self, settings: Settings, store: RawMailStore, queue: MessageQueue) -> None:
        self._settings, self._store, self._queue = settings, store, queue

    def accept(self, bucket: str, key: str) -> InboundMessage:
        raw = self._store.get(bucket, key)
        message = read_email(raw, self._settings, RawPointer(bucket=bucket, key=key, size=len(raw)))
        queued_as = self._queue.send(message.model_dump_json(by_alias=True))
        logger.info(
            "email accepted",
            extra={
                "message_key": message.id,
                "queued_as": queued_as,
                "defects": list(message.defects),
                "auto_signals": list(message.auto_signals),
                "attachments": len(message.attachments),
                "bytes": len(raw),
            },
        )
        metrics.add_metric(name="EmailsAccepted", unit=MetricUnit.Count, value=1)
        return message


class TriageWorker:
    def __init__(
        self,
        settings: Settings,
        mailer: Mailer,
        escalations: MessageQueue,
        decisions: DecisionLog,
        model: Callable[[], IntentModel | None],
    ) -> None:
        self._settings = settings
        self._mailer, self._escalations, self._decisions = mailer, escalations, decisions
        self._model = model
        self._encoder = encoder_provider(settings)

    def handle(self, message: InboundMessage) -> dict[str, Any]:
        outcome = triage_message(
            message, self._model(), self._settings, self._encoder, load_emotion_model_or_none(self._settings)
        )
        decision = outcome.decision
        record = DecisionRecord(
            message_key=message.id,
            channel=message.channel.value,
            provider=message.provider,
            decision=decision,
            delivered_by="sqs" if outcome.escalation else "ses" if outcome.reply else "none",
            raw=message.raw,
        )
        # The record is written before anything leaves: a crash after it means a retry, never a silent loss,
        # and sending is the very last step so nothing after a sent reply can fail and cause a second one.
        self._decisions.record(message.id, record.model_dump_json())
        delivery_id = ""
        if outcome.escalation is not None:
            delivery_id = self._escalations.send(outcome.escalation.model_dump_json())
        elif outcome.reply is not None:
            mime = compose_mime(
                outcome.reply,
                from_address=self._settings.reply_from_address,
                from_name=self._settings.reply_from_name,
                loop_token=self._settings.loop_token,
            )
            delivery_id = self._mailer.send_raw(
                mime.as_bytes(), source=self._settings.reply_from_address, destinations=outcome.reply.to
            )
        logger.info(
            "message triaged",
            extra={
                "message_key": message.id,
                "action": decision.action.value,
                "reason": decision.reason.value,
                "intent": decision.intent,
                "confidence": decision.confidence,
                "model_version": decision.model_version,
                "delivered_by": record.delivered_by,
                "delivery_id": delivery_id,
            },
        )
        metrics.add_metric(name=f"Decision_{decision.action.value}", unit=MetricUnit.Count, value=1)
        return record.model_dump(mode="json") | {"delivery_id": delivery_id}
