"""decide(message, classification, rules) → Decision: the AI/human line, with the reason that drew it.

Guards run from the most certain to the least. The first that fires decides; only a message that passes every one
of them is answered automatically. When in doubt, a person reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triage import regex_code
from triage.classifier import COMBINED, Classification
from triage.conversation import ContactHistory
from triage.cues import asks_for_human, negative_cues
from triage.emotion import EmotionReading
from triage.message import Address, Channel, InboundMessage, subject_forwards, without_reply_prefixes
from triage.parsing.machine_mail import WEAK_SIGNALS, replies_to_auto_reply
from triage.parsing.quoting import below_the_reply, earlier_words_of, marks_a_forward, reads_as_signature
from triage.profiles import Mode, Profile
from triage.summary import request_sentences
from triage.topics import (
    closing_message,
    earlier_risks,
    machine_text,
    may_hold_guard_phrases,
    names_own_matter,
    out_of_office,
    out_of_scope,
    points_at_attachment,
    quoted_risks,
    reports_fraud,
    sensitive_topics,
    signature_risks,
    spam,
    states_a_request,
    subject_marks_absence,
)
from triage.urgency import Urgency


class Action(StrEnum):
    AUTO_REPLY = "auto_reply"
    ESCALATE = "escalate"
    NO_REPLY = "no_reply"


class Reason(StrEnum):
    ROUTINE_INTENT = "routine_intent"
    # no_reply
    MACHINE_MAIL = "machine_mail"
    OUT_OF_OFFICE = "out_of_office"
    CLOSING_MESSAGE = "closing_message"
    SPAM = "spam"
    # escalate
    UNREADABLE = "unreadable"
    NO_REPLY_ADDRESS = "no_reply_address"
    HUMAN_REQUESTED = "human_requested"
    NEGATIVE_EMOTION = "negative_emotion"
    SENSITIVE_TOPIC = "sensitive_topic"
    OUT_OF_SCOPE = "out_of_scope"
    URGENT = "urgent"
    REPLY_TO_AUTO_REPLY = "reply_to_auto_reply"
    THREAD_ALREADY_ANSWERED = "thread_already_answered"
    SEND_UNCERTAIN = "send_uncertain"
    REPEAT_CONTACT = "repeat_contact"
    AUTO_REPLY_SUPPRESSED = "auto_reply_suppressed"
    PARSE_TROUBLE = "parse_trouble"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    INTENT_NOT_ROUTINE = "intent_not_routine"
    LOW_CONFIDENCE = "low_confidence"
    AMBIGUOUS_INTENT = "ambiguous_intent"
    NO_TEMPLATE = "no_template"
    MISSING_FIELD = "missing_field"
    MODEL_UNAVAILABLE = "model_unavailable"
    AUTOMATION_OFF = "automation_off"
    SHADOW_MODE = "shadow_mode"
    SENDER_RATE_LIMIT = "sender_rate_limit"
    AUTOMATION_SHARE_CAP = "automation_share_cap"
    STATE_UNAVAILABLE = "state_unavailable"
    REPLY_REFUSED = "reply_refused"
    PERSON_LIKELY = "person_likely"


# Defects after which we cannot trust that we read what the customer wrote.
DOUBTFUL_DEFECTS = frozenset(
    {
        "html_says_more",
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
        # Words in the HTML styled to be invisible: written for a machine to read, not for us (an instruction to an
        # assistant hidden under a plain question). A person looks at what the mail really holds.
        "hidden_html_text",
        # A mail attached whole (forwarded as an attachment): its words are not read as the customer's, so what the
        # customer points at is unread; a person opens it.
        "attached_message",
        # Added after the nasty-mail corpus (issue 8): text read in the wrong charset, a header we could not
        # decode, bidi controls (spoofing), a doubled From/Subject, an address we could not parse (a smuggled
        # Reply target), a body whose base64 or MIME structure is broken.
        "charset_mismatch",
        "undecodable_header",
        "bidi_control",
        "duplicate_header",
        "unparsable_address",
        "invalid_base64_characters",
        "invalid_base64_length",
        "invalid_base64_padding",
        "multipart_invariant_violation",
        "close_boundary_not_found",
        "start_boundary_not_found",
        # No body we could read: the subject alone is not the mail (an empty or broken message, or one whose words
        # are all in a part we do not read). An intent model sure of "Where is my order?" would answer it.
        "no_readable_text",
    }
)
# An approved FAQ entry a message matched (issue 7) is read as the intent "faq:<id>".
FAQ_PREFIX = "faq:"
# Intents that are themselves a request to reach people.
HUMAN_INTENTS = frozenset({"contact_human_agent", "contact_customer_service"})


class _DecisionBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_key: str
    reason: Reason
    detail: tuple[str, ...] = Field((), description="What made the reason fire: signals, phrases, defects.")
    intent: str | None = None
    confidence: float | None = None
    top_k: tuple[tuple[str, float], ...] = ()
    model_version: str | None = None
    segment: str | None = None
    would_auto_reply: bool = Field(
        False,
        description="The policy would have answered automatically (shadow or off mode, or a cap stopped it).",
    )


class AutoReplyDecision(_DecisionBase):
    action: Literal[Action.AUTO_REPLY] = Action.AUTO_REPLY


class EscalateDecision(_DecisionBase):
    action: Literal[Action.ESCALATE] = Action.ESCALATE


class NoReplyDecision(_DecisionBase):
    action: Literal[Action.NO_REPLY] = Action.NO_REPLY


Decision = Annotated[AutoReplyDecision | EscalateDecision | NoReplyDecision, Field(discriminator="action")]


def classification_text(message: InboundMessage) -> str:
    """What the model reads: the subject (without Re:/Fwd:) and what the customer wrote this time."""
    subject, _ = without_reply_prefixes(message.subject)
    return f"{subject}\n{message.text}".strip()


# From this many words on, the language guess names every English text of the Bitext corpus (at 10-14 words it
# misses 4.5 %, below 10 half): a text this long with no guess is in a language we do not know.
UNKNOWN_LANGUAGE_MIN_WORDS = 15
_BELOW_CHARS = 1500  # a sign-off, a signature and a PS; not a whole quoted thread


def _below_the_new_text(message: InboundMessage) -> str:
    """The body just below what the customer wrote this time: a request for a person counts there too, because
    the reading of the new text may have cut a "PS: let me talk to a person" below a sign-off as signature.

    Every message pays for this, so it is a cut of the body (quoted history may follow), not
    ``quoting.below_the_reply``, which reads the quotes again to stop exactly where they start; the closing guard,
    which needs that exactness and runs on a few messages, uses that one."""
    body, new = message.full_text, message.text
    start = body.find(new) if new else 0
    start = start + len(new) if start >= 0 else 0
    return body[start : start + _BELOW_CHARS]


_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "m."}
)


def _names_of(writer: Address) -> tuple[str, ...]:
    """How a thread's headers may name ``writer``: the address, the display name, its first word that is no title
    ("On 2 May, Ana wrote:" from "Dr Ana Lima")."""
    first = [word for word in writer.name.split() if word.casefold().strip(".") not in _TITLES][:1]
    return tuple(name for name in (writer.address, writer.name, *first) if name)


_FILENAME_BREAKS = regex_code.compile(r"[_\-.+~]+|(?<=[a-z])(?=[A-Z])")


def _attachment_words(message: InboundMessage) -> str:
    """The attachments' names as words, one per line, without their extensions ("AI_agent_ignoreRules.txt" → "AI
    agent ignore Rules")."""
    stems = (
        attachment.filename.rpartition(".")[0] or attachment.filename for attachment in message.attachments
    )
    return "\n".join(_FILENAME_BREAKS.sub(" ", stem).strip() for stem in stems if stem)


# A helpdesk's ticket reference in a subject: "[#10377]", "[example.com #4471]", "[Ticket #4471]", "(Case 00123456)",
# "[Request ID: 8812]". Not an order's number ("Your order (#4471)"): the shop's own notices carry those.
_TICKET_TAG = regex_code.compile(
    r"\[\s*(?:[\w.-]+\s+)?#\s*\d{3,}\s*\]"
    r"|[\[(]\s*(?:ticket|case|request|incident)(?:\s+(?:id|no\.?|number))?\s*[:#]?\s*#?\s*[A-Z]{0,4}-?\d{3,}\s*[\])]",
    re.IGNORECASE,
)


def _ticket_thread(message: InboundMessage) -> str:
    """The ticket reference of a reply's subject (empty when the subject is not a reply's or has none)."""
    subject, is_reply = without_reply_prefixes(message.subject)
    if not is_reply or subject_forwards(message.subject):
        return ""
    match = _TICKET_TAG.search(subject)
    return match.group(0) if match else ""


def _forwarded_risks(message: InboundMessage, below: str) -> list[str]:
    """Sensitive topics in a mail the customer forwards to us below their words ("FYI below" over a threat they
    received), unless it is ours (a forward of our own notice names our domain)."""
    if not (subject_forwards(message.subject) or marks_a_forward(below)):
        return []
    ours = {address.address.rpartition("@")[2].lower() for address in message.to if "@" in address.address}
    lowered = below.lower()
    if any(domain and domain in lowered for domain in ours):
        return []
    return earlier_risks(below)


def _subject_asks(message: InboundMessage) -> bool:
    """A new mail (no thread, no Re:) whose subject asks something: the subject is its request. In a reply, or on a
    helpdesk ticket, the subject is the conversation's, not this message's."""
    if message.channel is not Channel.EMAIL or message.thread_ids:
        return False
    subject, is_reply = without_reply_prefixes(message.subject)
    return not is_reply and states_a_request(subject)


def decide(
    message: InboundMessage,
    classification: Classification | None,
    profile: Profile,
    *,
    emotion: EmotionReading | None = None,
    urgency: Urgency | None = None,
    history: ContactHistory | None = None,
    templated_intents: frozenset[str] = frozenset(),
    segment: str | None = None,
    repeat_contact_days: int = 7,
    now: datetime | None = None,
) -> AutoReplyDecision | EscalateDecision | NoReplyDecision:
    """The first guard that fires decides; only a message that passes them all is answered automatically.

    ``emotion``: the emotion head's reading (without it, the phrase table alone); ``urgency``: its score;
    ``history``: what the conversation store knows of this thread; ``templated_intents``: intents with a reply
    template. Shadow and off modes turn a would-be automatic reply into an escalation that says so.
    """
    facts: dict[str, Any] = {"message_key": message.id, "segment": segment}
    if classification:
        facts |= {
            "intent": classification.label,
            "confidence": round(classification.confidence, 4),
            "top_k": tuple((label, round(p, 4)) for label, p in classification.top_k),
            "model_version": classification.model_version,
        }

    def escalate(reason: Reason, detail: Iterable[str] = ()) -> EscalateDecision:
        return EscalateDecision(reason=reason, detail=tuple(detail), **facts)

    def no_reply(reason: Reason, detail: Iterable[str] = ()) -> NoReplyDecision:
        return NoReplyDecision(reason=reason, detail=tuple(detail), **facts)

    strong_signals = [signal for signal in message.auto_signals if signal not in WEAK_SIGNALS]
    if strong_signals:
        return no_reply(Reason.MACHINE_MAIL, strong_signals)
    text = classification_text(message)
    if not message.text.strip() and (not message.subject.strip() or message.channel is Channel.WEBHOOK):
        # On a helpdesk ticket the subject is the ticket's, not this message's: a photo alone is nothing to answer.
        return escalate(Reason.UNREADABLE, message.defects)
    if not message.customer.address and not message.ticket_id:
        # Mail needs an address to answer; a helpdesk message is answered on its ticket.
        return escalate(Reason.NO_REPLY_ADDRESS, message.defects)
    phrases_possible = may_hold_guard_phrases(text)  # else the phrase guards below find nothing
    below = _below_the_new_text(message)
    below_possible = bool(below) and may_hold_guard_phrases(below)
    human_phrases = asks_for_human(text) if phrases_possible else []
    if not human_phrases and below_possible:
        human_phrases = asks_for_human(below)
    if human_phrases:
        return escalate(Reason.HUMAN_REQUESTED, human_phrases)
    junk = spam(text) if phrases_possible else []
    if junk and not reports_fraud(text):
        if subject_forwards(message.subject) or marks_a_forward(message.full_text):
            # A customer passing on a mail they got ("Fwd: You have won …"), words of their own or not: most
            # likely a scam in our name, for a person to look at. (Spam dressed as a forward reaches a person too.)
            return escalate(
                Reason.SENSITIVE_TOPIC,
                ["fraud_report:forwarded", *(f"fraud_report:{cue}" for cue in junk[:2])],
            )
        if names_own_matter(text):
            # "Your email said I'd won the jackpot, but 'click here' errors; order 44190": a customer quoting what
            # they saw, not a scam to drop.
            return escalate(Reason.AMBIGUOUS_INTENT, ["spam_words_in_a_customer_matter", *junk[:2]])
        return no_reply(Reason.SPAM, junk)
    if emotion is None:
        emotion = EmotionReading.from_cues(negative_cues(text))
    # Threat words ("lawyer", "chargeback") are in the tone table too; on their own they make a sensitive topic.
    closing = closing_message(message.text or message.subject)
    tone = [cue for cue in emotion.cues if not sensitive_topics(cue) and not (closing and cue == "!!")]
    # With a head, its probabilities decide: the top label, or the negative emotions together (anger 0.3 +
    # annoyance 0.25 is a negative message even when neither wins). Without one, the tone phrases alone.
    negative_mass = emotion.mass(profile.escalate_emotions)
    if tone or (
        emotion.scores
        and (
            (
                emotion.label in profile.escalate_emotions
                and emotion.confidence >= profile.emotion_min_confidence
            )
            or negative_mass >= profile.emotion_min_confidence
        )
    ):
        return escalate(
            Reason.NEGATIVE_EMOTION,
            tone or (f"{emotion.label}:{emotion.confidence:.2f}", f"negative:{negative_mass:.2f}"),
        )
    topics = sensitive_topics(text) if phrases_possible else []
    if below_possible and not topics:
        # Instructions to an automated reader and a fraud count in a quote too ("see my note below", a reset the
        # customer says was not them under a routine question): the new words may not mention them. So does
        # anything the customer's own earlier mail said ("any update?" above "the battery burned the carpet").
        topics = (
            quoted_risks(below)
            or earlier_risks(earlier_words_of(below, _names_of(message.customer)))
            or signature_risks(below_the_reply(message.full_text))
            or _forwarded_risks(message, below)
        )
    named = _attachment_words(message) if not topics else ""
    if named and may_hold_guard_phrases(named):
        # A file's name says what the mail is about as much as its text: "county_court_claim.pdf".
        topics = sensitive_topics(named)
    # A sensitive intent read from no sensitive words does not outweigh a thank-you: "Thanks, all sorted" under
    # "Re: Complaint 5521" is the model reading the thread's subject, and closes the thread.
    if classification and classification.label in profile.sensitive_intents and (topics or not closing):
        topics.append(f"intent:{classification.label}")
    if topics:
        return escalate(Reason.SENSITIVE_TOPIC, topics)
    scope = out_of_scope(text) if phrases_possible else []
    if scope:
        return escalate(Reason.OUT_OF_SCOPE, scope)
    foreign = bool(message.language) and message.language not in profile.reply_languages
    if (
        classification
        and classification.label in HUMAN_INTENTS
        and classification.confidence >= profile.min_confidence
        and not foreign
    ):
        # The model reads a request for a person where no phrase says it: a person, in every profile, still. Unsure
        # (an away notice's "please contact my colleague" at 0.49), it does not outweigh the guards below, and the
        # mail still reaches a person unless one of them answers nobody. (In a language we do not reply in, its
        # reading is a guess; that mail goes to a person as such, below.)
        return escalate(Reason.HUMAN_REQUESTED, [f"intent:{classification.label}"])
    # The guards that answer nobody come after every guard that calls a person: a thank-you or an away notice that
    # also raises a sensitive matter, or a threat, is a person's to read.
    absent = out_of_office(message.subject, message.text)
    if absent:
        if subject_marks_absence(message.subject):
            return no_reply(Reason.OUT_OF_OFFICE, absent)
        # Away words under a subject of the writer's own ("Sofa delivered today"): a person writing while away,
        # or a notice without its usual subject. Either way no robot answers and a person reads it.
        return escalate(Reason.AUTO_REPLY_SUPPRESSED, ["out_of_office_text", *absent])
    if closing and not reads_as_signature(below_the_reply(message.full_text)):
        # "Thanks / Sent from my iPhone / Still can't log in though": the words cut away as signature say more.
        return escalate(Reason.AMBIGUOUS_INTENT, ["thanks_above_more_words"])
    if closing:
        if _subject_asks(message):
            # "Thanks, Kim" below the subject "Please cancel order 4411": the request is in the subject. Neither a
            # closing to drop nor a question the model read from the words it was trained on: a person reads it.
            return escalate(Reason.AMBIGUOUS_INTENT, ["thanks_below_a_subject_that_asks"])
        return no_reply(Reason.CLOSING_MESSAGE)
    if urgency and profile.escalate_urgency and _LEVELS[urgency.level] >= _LEVELS[profile.escalate_urgency]:
        return escalate(Reason.URGENT, (f"{urgency.level}:{urgency.score:.2f}", *urgency.cues[:3]))
    if replies_to_auto_reply(message.thread_ids):
        return escalate(Reason.REPLY_TO_AUTO_REPLY)
    history = history or ContactHistory()
    if history.auto_replied_by == message.identity:
        return escalate(Reason.SEND_UNCERTAIN, ["this message already claimed an automatic reply"])
    if history.auto_replied_by:
        return escalate(Reason.THREAD_ALREADY_ANSWERED)
    if any(turn.action == "escalate" for turn in history.turns):
        # A person has this thread: "Ok thanks, in that case please cancel it" answers what they wrote, however
        # long ago. A robot's template in the middle of that conversation is the wrong answer.
        return escalate(Reason.REPEAT_CONTACT, ["thread_with_a_person"])
    ticket = _ticket_thread(message)
    if ticket:
        # The same, seen in the subject when the store does not know the thread (it began before this stack, or in
        # a helpdesk's own mail): "Re: Replacement for damaged floor lamp [#10377]" is a reply in an agent's ticket.
        return escalate(Reason.REPEAT_CONTACT, ["thread_with_a_person", ticket])
    repeats = history.recent_contacts(now or datetime.now(UTC), repeat_contact_days)
    if repeats:
        return escalate(Reason.REPEAT_CONTACT, [f"{repeats} earlier in {repeat_contact_days} days"])
    # "Third time asking", "still waiting", "following up": the customer says they wrote before, though the store
    # knows no earlier contact (another address, a phone call, before this stack): a robot's answer again is the
    # wrong one.
    stated = [
        cue
        for cue in (urgency.cues if urgency else ())
        if cue.startswith("contacts:") and "earlier" not in cue
    ]
    if stated:
        return escalate(Reason.REPEAT_CONTACT, stated[:3])
    if profile.mode is Mode.OFF:
        return escalate(Reason.AUTOMATION_OFF, [f"segment {segment}" if segment else "profile"])
    weak = [signal for signal in message.auto_signals if signal in WEAK_SIGNALS]
    # A notification, receipt or alert with none of the headers such mail should carry ("This is an automated
    # message", "You are receiving this email because"), which the new text may have cut away as a footer. An
    # answer would go to a machine, so a person looks at it.
    machine = machine_text(message.full_text or message.text)
    if machine and message.full_text != message.text:
        # Not in the history a reply quotes: customers answer our shipping notices, footers and all. Only the new
        # words and what was cut below them (a notification's footer reads as a signature or disclaimer).
        machine = machine_text(f"{message.text}\n{below_the_reply(message.full_text)}")
    if machine:
        weak += ["machine_text", *machine[:2]]
    if weak:
        return escalate(Reason.AUTO_REPLY_SUPPRESSED, weak)
    doubtful = [defect for defect in message.defects if defect.split(":")[0] in DOUBTFUL_DEFECTS]
    if message.attachments and points_at_attachment(text):
        # "Please see attached": what the customer asks is in a file the model never reads.
        doubtful.append("content_in_attachment")
    if doubtful:
        return escalate(Reason.PARSE_TROUBLE, doubtful)
    if foreign and message.language:  # (foreign has a language; named again for the type checker)
        return escalate(Reason.UNSUPPORTED_LANGUAGE, [message.language])
    if message.language is None and len(message.text.split()) >= UNKNOWN_LANGUAGE_MIN_WORDS:
        # Long enough that a language we know would have been recognised (Polish, Japanese …): not one we reply in.
        return escalate(Reason.UNSUPPORTED_LANGUAGE, ["unknown"])
    if classification is None:
        return escalate(Reason.MODEL_UNAVAILABLE)
    faq = classification.label.startswith(FAQ_PREFIX)
    if not (faq and profile.answer_faq) and classification.label not in profile.auto_reply_intents:
        return escalate(Reason.INTENT_NOT_ROUTINE, [classification.label])
    minimum = profile.min_confidence_for(classification.label)
    if classification.confidence < minimum:
        return escalate(Reason.LOW_CONFIDENCE, [f"{classification.confidence:.2f}<{minimum:.2f}"])
    if profile.use_model_thresholds and not classification.auto_eligible:
        # The model card's per-label threshold: below it, this label does not reach the target precision.
        threshold = classification.threshold
        below = (
            f"{classification.confidence:.2f}<{threshold:.2f}"
            if threshold is not None
            else "never auto-eligible"
        )
        return escalate(Reason.LOW_CONFIDENCE, [f"{classification.label}:{below}"])
    if classification.tier == COMBINED:
        # Below the card's cascade gate the n-gram tier was unsure, and the encoder tier decided. It is sure of the
        # nearest request it knows even for a question none covers: "Do you have a gift wrap option at checkout?"
        # read as delivery options, by the n-gram tier too (at 0.29) once it was trained on more mail. Its reading
        # goes to the person as the suggested intent, never out as an answer. Over rounds 13-19 (1,601 mails) it
        # decided 109, none of which would have been answered even without this rule.
        return escalate(
            Reason.AMBIGUOUS_INTENT, [f"tiers:{classification.linear_label}/{classification.label}"]
        )
    if classification.margin < profile.min_margin:
        return escalate(
            Reason.AMBIGUOUS_INTENT, [f"{label}:{p:.2f}" for label, p in classification.top_k[:2]]
        )
    cap = profile.max_request_sentences
    if cap is not None and len(sentences := request_sentences(message.text)) > cap:
        # Five sentences around "where is my parcel" tell a story (a fall, a stain, a reply that did not help)
        # that the phrase tables may not know: more than one template answers.
        return escalate(Reason.AMBIGUOUS_INTENT, [f"sentences:{len(sentences)}>{cap}"])
    if templated_intents and not faq and classification.label not in templated_intents:
        return escalate(Reason.NO_TEMPLATE, [classification.label])
    if profile.mode is Mode.SHADOW:
        return EscalateDecision(reason=Reason.SHADOW_MODE, would_auto_reply=True, **facts)
    return AutoReplyDecision(reason=Reason.ROUTINE_INTENT, would_auto_reply=True, **facts)


def person_risk(
    decision: AutoReplyDecision | EscalateDecision | NoReplyDecision, profile: Profile, probability: float
) -> AutoReplyDecision | EscalateDecision | NoReplyDecision:
    """A would-be automatic reply (live or shadow) that the risk head reads as a person's, with ``probability`` at
    or above the profile's ``max_person_risk``, goes to a person: the guards above catch the risks written in words
    they know, the head those told as a story beside the question. Any other decision is returned as it is."""
    limit = profile.max_person_risk
    if not decision.would_auto_reply or limit is None or probability < limit:
        return decision
    # Not a would-be reply any more: live mode would not have sent it either.
    return stepped_aside(
        decision, Reason.PERSON_LIKELY, [f"person:{probability:.2f}>={limit:.2f}"], would_auto_reply=False
    )


def stepped_aside(
    decision: AutoReplyDecision | EscalateDecision | NoReplyDecision,
    reason: Reason,
    detail: Iterable[str] = (),
    *,
    would_auto_reply: bool = True,
) -> EscalateDecision:
    """A would-be automatic reply handed to a person after all (a cap, a missing field, the store down), with the
    decision's intent, scores and segment kept. ``would_auto_reply``: the policy would still have answered it (a
    cap stopped it); False when the policy itself now would not (``person_risk``)."""
    kept = decision.model_dump(exclude={"action", "reason", "detail", "would_auto_reply"})
    return EscalateDecision(**kept, reason=reason, detail=tuple(detail), would_auto_reply=would_auto_reply)


_LEVELS = {"low": 0, "normal": 1, "high": 2}
