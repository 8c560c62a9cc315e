"""decide(message, classification, rules) → Decision: the AI/human line, with the reason that drew it.

Guards run from the most certain to the least. The first that fires decides; only a message that passes every one
of them is answered automatically. When in doubt, a person reads it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from triage.classifier import Classification
from triage.cues import asks_for_human, negative_cues
from triage.emotion import EmotionReading
from triage.message import InboundMessage
from triage.parsing.machine_mail import WEAK_SIGNALS, replies_to_auto_reply


class Action(StrEnum):
    AUTO_REPLY = "auto_reply"
    ESCALATE = "escalate"
    NO_REPLY = "no_reply"


class Reason(StrEnum):
    ROUTINE_INTENT = "routine_intent"
    MACHINE_MAIL = "machine_mail"
    UNREADABLE = "unreadable"
    NO_REPLY_ADDRESS = "no_reply_address"
    HUMAN_REQUESTED = "human_requested"
    NEGATIVE_EMOTION = "negative_emotion"
    REPLY_TO_AUTO_REPLY = "reply_to_auto_reply"
    AUTO_REPLY_SUPPRESSED = "auto_reply_suppressed"
    PARSE_TROUBLE = "parse_trouble"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    INTENT_NOT_ROUTINE = "intent_not_routine"
    LOW_CONFIDENCE = "low_confidence"
    AMBIGUOUS_INTENT = "ambiguous_intent"
    NO_TEMPLATE = "no_template"
    MODEL_UNAVAILABLE = "model_unavailable"


# Defects after which we cannot trust that we read what the customer wrote.
DOUBTFUL_DEFECTS = frozenset(
    {
        "header_too_long",
        "nul_in_headers",
        "unknown_charset",
        "8bit_without_charset",
        "too_many_parts",
        "too_deep",
        "unparsable_content_type",
        "text_truncated",
        "missing_from",
        "missing_header_body_separator",
        "tnef_attachment",
    }
)
# Intents that are themselves a request to reach people.
HUMAN_INTENTS = frozenset({"contact_human_agent", "contact_customer_service"})


class Rules(BaseModel):
    """What the policy needs from settings (issue 4 turns this into per-segment profiles)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_reply_intents: frozenset[str]
    min_confidence: float = Field(ge=0.0, le=1.0)
    min_margin: float = Field(0.25, ge=0.0, le=1.0)
    reply_languages: frozenset[str] = frozenset({"en"})
    templated_intents: frozenset[str] = frozenset()
    use_model_thresholds: bool = True


class _DecisionBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_key: str
    reason: Reason
    detail: tuple[str, ...] = Field((), description="What made the reason fire: signals, phrases, defects.")
    intent: str | None = None
    confidence: float | None = None
    top_k: tuple[tuple[str, float], ...] = ()
    model_version: str | None = None


class AutoReplyDecision(_DecisionBase):
    action: Literal[Action.AUTO_REPLY] = Action.AUTO_REPLY


class EscalateDecision(_DecisionBase):
    action: Literal[Action.ESCALATE] = Action.ESCALATE


class NoReplyDecision(_DecisionBase):
    action: Literal[Action.NO_REPLY] = Action.NO_REPLY


Decision = Annotated[AutoReplyDecision | EscalateDecision | NoReplyDecision, Field(discriminator="action")]


def classification_text(message: InboundMessage) -> str:
    """What the model reads: the subject (without Re:/Fwd:) and what the customer wrote this time."""
    subject = message.subject
    while True:
        head, sep, rest = subject.partition(":")
        if sep and head.strip().lower() in {"re", "aw", "sv", "fw", "fwd", "wg", "tr", "rv", "r", "antw"}:
            subject = rest.strip()
            continue
        break
    return f"{subject}\n{message.text}".strip()


def decide(
    message: InboundMessage,
    classification: Classification | None,
    rules: Rules,
    emotion: EmotionReading | None = None,
) -> AutoReplyDecision | EscalateDecision | NoReplyDecision:
    """``emotion``: the emotion head's reading with the phrase table; without it the phrase table alone."""
    model_facts = (
        {
            "intent": classification.label,
            "confidence": round(classification.confidence, 4),
            "top_k": tuple((label, round(p, 4)) for label, p in classification.top_k),
            "model_version": classification.model_version,
        }
        if classification
        else {}
    )

    def escalate(reason: Reason, detail: list[str] | tuple[str, ...] = ()) -> EscalateDecision:
        return EscalateDecision(message_key=message.id, reason=reason, detail=tuple(detail), **model_facts)

    strong_signals = [signal for signal in message.auto_signals if signal not in WEAK_SIGNALS]
    if strong_signals:
        return NoReplyDecision(
            message_key=message.id, reason=Reason.MACHINE_MAIL, detail=tuple(strong_signals), **model_facts
        )
    text = classification_text(message)
    if not message.text.strip() and not message.subject.strip():
        return escalate(Reason.UNREADABLE, message.defects)
    if not message.from_.address:
        return escalate(Reason.NO_REPLY_ADDRESS, message.defects)
    human_phrases = asks_for_human(text)
    if not human_phrases and classification and classification.label in HUMAN_INTENTS:
        human_phrases = [f"intent:{classification.label}"]
    if human_phrases:
        return escalate(Reason.HUMAN_REQUESTED, human_phrases)
    if emotion is None:
        emotion = EmotionReading.from_cues(negative_cues(text))
    if emotion.negative:
        return escalate(
            Reason.NEGATIVE_EMOTION, emotion.cues or (f"{emotion.label}:{emotion.confidence:.2f}",)
        )
    if replies_to_auto_reply(message.thread_ids):
        return escalate(Reason.REPLY_TO_AUTO_REPLY)
    weak = [signal for signal in message.auto_signals if signal in WEAK_SIGNALS]
    if weak:
        return escalate(Reason.AUTO_REPLY_SUPPRESSED, weak)
    doubtful = [defect for defect in message.defects if defect.split(":")[0] in DOUBTFUL_DEFECTS]
    if doubtful:
        return escalate(Reason.PARSE_TROUBLE, doubtful)
    if message.language and message.language not in rules.reply_languages:
        return escalate(Reason.UNSUPPORTED_LANGUAGE, [message.language])
    if classification is None:
        return escalate(Reason.MODEL_UNAVAILABLE)
    if classification.confidence < rules.min_confidence:
        return escalate(
            Reason.LOW_CONFIDENCE, [f"{classification.confidence:.2f}<{rules.min_confidence:.2f}"]
        )
    if rules.use_model_thresholds and not classification.auto_eligible:
        # The model card's per-label threshold: below it, this label does not reach the target precision.
        threshold = classification.threshold
        below = (
            f"{classification.confidence:.2f}<{threshold:.2f}"
            if threshold is not None
            else "never auto-eligible"
        )
        return escalate(Reason.LOW_CONFIDENCE, [f"{classification.label}:{below}"])
    if classification.label not in rules.auto_reply_intents:
        return escalate(Reason.INTENT_NOT_ROUTINE, [classification.label])
    if classification.margin < rules.min_margin:
        return escalate(
            Reason.AMBIGUOUS_INTENT, [f"{label}:{p:.2f}" for label, p in classification.top_k[:2]]
        )
    if rules.templated_intents and classification.label not in rules.templated_intents:
        return escalate(Reason.NO_TEMPLATE, [classification.label])
    return AutoReplyDecision(message_key=message.id, reason=Reason.ROUTINE_INTENT, **model_facts)
