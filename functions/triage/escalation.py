"""The escalation record a support agent pulls from the queue: complete on its own, small, never the MIME."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from triage.conversation import ContactHistory
from triage.emotion import EmotionReading
from triage.message import Address, Attachment, Channel, InboundMessage, RawPointer
from triage.policy import EscalateDecision, Reason, classification_text
from triage.replies import without_automatic_notice
from triage.summary import (
    DRAFT_MARK,
    AgentSummary,
    CustomerHistory,
    ExtractiveSummariser,
    Summariser,
    Summary,
    SummaryInput,
    Turn,
    close_second,
    mask_addresses,
    summarise,
)
from triage.topics import sensitive_topics
from triage.urgency import Urgency

SCHEMA_VERSION = 1

# Plain words for the agent: why the AI stepped aside.
REASON_TEXT: dict[Reason, str] = {
    Reason.UNREADABLE: "The message had no readable text.",
    Reason.NO_REPLY_ADDRESS: "The message has no sender address we could answer.",
    Reason.HUMAN_REQUESTED: "The customer asked for a person.",
    Reason.NEGATIVE_EMOTION: "The customer sounds upset; a person should answer.",
    Reason.REPLY_TO_AUTO_REPLY: "The customer answered our automatic reply: it did not solve the problem.",
    Reason.AUTO_REPLY_SUPPRESSED: (
        "Not for an automatic reply: the sender asked for none, we were only in Bcc, the sender could not be "
        "verified, a form sent it for the customer, it reads like a system's notification or receipt, or it may be "
        "a mail loop (our own domain, a relay). A person decides."
    ),
    Reason.SENSITIVE_TOPIC: (
        "A sensitive matter (legal, money after a failure, safety, bereavement, personal data, fraud, an exception "
        "to policy)."
    ),
    Reason.OUT_OF_SCOPE: "Not a support request (a job application, a press or trade enquiry, a sales pitch).",
    Reason.URGENT: "The message is urgent.",
    Reason.THREAD_ALREADY_ANSWERED: "This conversation already had its one automatic reply.",
    Reason.SEND_UNCERTAIN: "An automatic reply may already have gone out for this message; check before answering.",
    Reason.REPEAT_CONTACT: "The customer is writing again about the same matter.",
    Reason.MISSING_FIELD: "The approved answer needs a detail the customer did not give (e.g. the order number).",
    Reason.AUTOMATION_OFF: "Automatic answers are off for this customer segment.",
    Reason.SHADOW_MODE: "Shadow mode: the AI would have answered (draft below); a person answers for now.",
    Reason.SENDER_RATE_LIMIT: "This sender already received the most automatic replies allowed for now.",
    Reason.AUTOMATION_SHARE_CAP: "Today's share of automatic answers for this segment is used up.",
    Reason.STATE_UNAVAILABLE: "A safety check could not run (a store was unavailable), so no automatic reply.",
    Reason.PARSE_TROUBLE: "Parts of the message could not be read reliably; check the original.",
    Reason.UNSUPPORTED_LANGUAGE: "The message is in a language we do not answer automatically.",
    Reason.INTENT_NOT_ROUTINE: "This kind of request is handled by people.",
    Reason.LOW_CONFIDENCE: "The model was not sure what the customer wants.",
    Reason.AMBIGUOUS_INTENT: "The message seems to ask for more than one thing.",
    Reason.PERSON_LIKELY: (
        "The risk model reads this as a message a person should answer (a problem, an event or a feeling beside "
        "the question), though no rule named it."
    ),
    Reason.NO_TEMPLATE: "There is no approved answer for this request yet.",
    Reason.MODEL_UNAVAILABLE: "The classifier was unavailable.",
    Reason.REPLY_REFUSED: (
        "The mail service refused our automatic reply (the recipient is not verified in the SES sandbox, the "
        "message was rejected, or sending is paused): nothing was sent."
    ),
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
    topics: tuple[str, ...] = Field(
        (),
        description=(
            "Sensitive topics the message raises (topic:phrase, e.g. legal:lawyer), whatever reason fired first: "
            "an angry customer's chargeback is still a chargeback. Routing reads them."
        ),
    )
    summary: Summary
    agent_summary: AgentSummary | None = Field(
        None,
        description="What the agent reads first: wants, what happened, expectation, history, reason, draft.",
    )
    suggested_reply: str | None = Field(None, description="A DRAFT for the agent to edit; never sent as is.")
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()
    raw: RawPointer | None = None
    model_version: str | None = None
    emotion: EmotionReading | None = Field(
        None, description="The emotion head's reading and the phrases that show it."
    )
    urgency: Urgency | None = None
    segment: str | None = None
    team: str | None = Field(None, description="The team queue it was routed to (infra/routing.json).")
    priority: str | None = Field(None, description="urgent or normal")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def build_escalation(
    message: InboundMessage,
    decision: EscalateDecision,
    suggested_reply: str | None = None,
    *,
    emotion: EmotionReading | None = None,
    urgency: Urgency | None = None,
    history: ContactHistory | None = None,
    summariser: Summariser | None = None,
    now: datetime | None = None,
) -> Escalation:
    reason_text = REASON_TEXT.get(decision.reason, decision.reason.value)
    # The would-be reply is the agent's draft, without the footer's "this is an automatic answer" notice; when the
    # thread's automatic reply already said it, it is shown as sent, never offered as a draft to send again.
    reply = without_automatic_notice(suggested_reply) if suggested_reply and suggested_reply.strip() else None
    sent = reply is not None and already_sent(decision, history)
    draft = None if sent else reply
    item = SummaryInput(
        subject=message.subject,
        text=message.text,
        turns=turns_of(history),
        history=customer_history(history, now or datetime.now(UTC)),
        intent=decision.intent,
        runner_up=close_second(decision.top_k),
        emotion=emotion,
        reason=reason_text,
        draft=draft,
        already_sent=reply if sent else None,
    )
    return Escalation(
        message_key=message.id,
        message_id=message.message_id,
        thread_ids=message.thread_ids,
        channel=message.channel,
        provider=message.provider,
        customer=message.customer,
        # The agent reads the subject beside the masked summary: a card or phone number there is masked too.
        subject=mask_addresses(message.subject)[:300],
        language=message.language,
        intent=decision.intent,
        confidence=decision.confidence,
        top_k=decision.top_k,
        reason=decision.reason,
        reason_text=reason_text,
        reason_detail=decision.detail[:10],
        topics=topics_of(message, decision)[:10],
        summary=summarise(message.subject, message.text),
        agent_summary=(summariser or DEFAULT_SUMMARISER).summarise(item),
        suggested_reply=f"{DRAFT_MARK}\n\n{draft}" if draft else None,
        attachments=message.attachments[:50],
        defects=message.defects[:20],
        raw=message.raw,
        model_version=decision.model_version,
        emotion=emotion,
        urgency=urgency,
    )


DEFAULT_SUMMARISER: Summariser = ExtractiveSummariser()


def topics_of(message: InboundMessage, decision: EscalateDecision) -> tuple[str, ...]:
    """The sensitive topics of the message: the policy's own finding when it escalated for them; else read here,
    because the policy stops at the first reason (anger, a request for a person) and never looks for them."""
    if decision.reason is Reason.SENSITIVE_TOPIC:
        return decision.detail
    return tuple(sensitive_topics(classification_text(message)))


# The customer already got this thread's automatic reply.
_THREAD_AUTO_REPLIED = frozenset({Reason.REPLY_TO_AUTO_REPLY, Reason.THREAD_ALREADY_ANSWERED})


def already_sent(decision: EscalateDecision, history: ContactHistory | None) -> bool:
    """The would-be reply is the automatic reply this thread already got: the reason says the thread was answered
    and its automatic reply was for the same intent (or the store does not say which intent it was for)."""
    if decision.reason not in _THREAD_AUTO_REPLIED:
        return False
    answered = [
        record.intent for record in (history.turns if history else ()) if record.action == "auto_reply"
    ]
    return not answered or decision.intent in answered


def turns_of(history: ContactHistory | None) -> tuple[Turn, ...]:
    """The thread's earlier messages as the summariser reads them (our automatic replies as their own turns)."""
    turns: list[Turn] = []
    for record in history.turns if history else ():
        text = " ".join(record.points) or f"(a message about {record.intent or 'an unknown topic'})"
        turns.append(
            Turn(role="customer", at=record.at, text=text, intent=record.intent, decision=record.action)
        )
        if record.action == "auto_reply":
            turns.append(Turn(role="auto_reply", at=record.at, text=f"automatic reply ({record.intent})"))
    return tuple(turns)


def customer_history(history: ContactHistory | None, now: datetime) -> CustomerHistory:
    """This customer's last 30 days: how often they wrote, what we did last, and whether an automatic reply
    brought them back."""
    recent = history.customer_contacts(now, 30) if history else ()
    if not recent:
        return CustomerHistory()
    last = recent[-1]
    auto = [record for record in recent if record.action == "auto_reply"]
    came_back = bool(auto)  # they are writing now, after an automatic reply in the last 30 days
    return CustomerHistory(
        contacts_30d=len(recent) + 1,  # this message too
        last_outcome=f"{last.action}: {last.intent or 'unknown'}, {last.at:%Y-%m-%d}",
        auto_replies_30d=len(auto),
        came_back_after_auto_reply=came_back,
    )
