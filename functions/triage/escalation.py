"""The escalation record a support agent pulls from the queue: complete on its own, small, never the MIME."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from triage.emotion import EmotionReading
from triage.message import Address, Attachment, Channel, InboundMessage, RawPointer
from triage.policy import EscalateDecision, Reason
from triage.summary import Summary, summarise
from triage.urgency import Urgency

SCHEMA_VERSION = 1

# Plain words for the agent: why the AI stepped aside.
REASON_TEXT: dict[Reason, str] = {
    Reason.UNREADABLE: "The message had no readable text.",
    Reason.NO_REPLY_ADDRESS: "The message has no sender address we could answer.",
    Reason.HUMAN_REQUESTED: "The customer asked for a person.",
    Reason.NEGATIVE_EMOTION: "The customer sounds upset; a person should answer.",
    Reason.REPLY_TO_AUTO_REPLY: "The customer answered our automatic reply: it did not solve the problem.",
    Reason.AUTO_REPLY_SUPPRESSED: "The sender asked not to receive automatic replies.",
    Reason.PARSE_TROUBLE: "Parts of the message could not be read reliably; check the original.",
    Reason.UNSUPPORTED_LANGUAGE: "The message is in a language we do not answer automatically.",
    Reason.INTENT_NOT_ROUTINE: "This kind of request is handled by people.",
    Reason.LOW_CONFIDENCE: "The model was not sure what the customer wants.",
    Reason.AMBIGUOUS_INTENT: "The message seems to ask for more than one thing.",
    Reason.NO_TEMPLATE: "There is no approved answer for this request yet.",
    Reason.MODEL_UNAVAILABLE: "The classifier was unavailable.",
}


class Escalation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    message_key: str
    message_id: str
    thread_ids: tuple[str, ...] = ()
    channel: Channel
    provider: str
    customer: Address
    subject: str
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    top_k: tuple[tuple[str, float], ...] = ()
    reason: Reason
    reason_text: str
    reason_detail: tuple[str, ...] = ()
    summary: Summary
    suggested_reply: str | None = Field(None, description="A DRAFT for the agent to edit; never sent as is.")
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()
    raw: RawPointer | None = None
    model_version: str | None = None
    emotion: EmotionReading | None = Field(
        None, description="The emotion head's reading and the phrases that show it."
    )
    urgency: Urgency | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def build_escalation(
    message: InboundMessage,
    decision: EscalateDecision,
    suggested_reply: str | None = None,
    *,
    emotion: EmotionReading | None = None,
    urgency: Urgency | None = None,
) -> Escalation:
    return Escalation(
        message_key=message.id,
        message_id=message.message_id,
        thread_ids=message.thread_ids,
        channel=message.channel,
        provider=message.provider,
        customer=message.from_,
        subject=message.subject[:300],
        language=message.language,
        intent=decision.intent,
        confidence=decision.confidence,
        top_k=decision.top_k,
        reason=decision.reason,
        reason_text=REASON_TEXT.get(decision.reason, decision.reason.value),
        reason_detail=decision.detail[:10],
        summary=summarise(message.subject, message.text),
        suggested_reply=f"[DRAFT - review before sending]\n\n{suggested_reply}" if suggested_reply else None,
        attachments=message.attachments[:50],
        defects=message.defects[:20],
        raw=message.raw,
        model_version=decision.model_version,
        emotion=emotion,
        urgency=urgency,
    )
