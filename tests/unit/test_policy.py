"""The decision function: each guard fires on its own case, with its own reason code."""

from __future__ import annotations

from dataclasses import replace

import pytest

from triage.classifier import COMBINED, Classification
from triage.message import Address, InboundMessage
from triage.parsing.machine_mail import REPLY_MESSAGE_ID_PREFIX
from triage.parsing.quoting import extract_reply
from triage.policy import Action, Reason, classification_text, decide
from triage.profiles import Profile

RULES = Profile(
    auto_reply_intents=frozenset({"track_order", "recover_password"}),
    min_confidence=0.8,
    min_margin=0.25,
    reply_languages=frozenset({"en"}),
)


def message(text: str = "Where is my parcel? It left last week.", **fields: object) -> InboundMessage:
    base: dict[str, object] = {
        "id": "m1",
        "message_id": "<m1@customer.example.net>",
        "from": Address(name="Jane Doe", address="jane@customer.example.net"),
        "subject": "Parcel",
        "text": text,
        "full_text": text,
        "language": "en",
    }
    return InboundMessage(**(base | fields))


def classified(
    label: str = "track_order",
    confidence: float = 0.95,
    runner_up: float = 0.02,
    threshold: float | None = 0.9,
) -> Classification:
    return Classification(
        label=label,
        confidence=confidence,
        top_k=((label, confidence), ("delivery_period", runner_up)),
        model_version="test",
        threshold=threshold,
    )


def test_routine_confident_request_is_answered() -> None:
    decision = decide(message(), classified(), RULES)
    assert decision.action is Action.AUTO_REPLY
    assert decision.reason is Reason.ROUTINE_INTENT
    assert decision.intent == "track_order"


@pytest.mark.parametrize(
    "signals",
    [("auto_submitted",), ("list_mail", "precedence_bulk"), ("delivery_report",), ("system_sender",)],
)
def test_machine_mail_is_never_answered(signals: tuple[str, ...]) -> None:
    decision = decide(message(auto_signals=signals), classified(), RULES)
    assert decision.action is Action.NO_REPLY
    assert decision.reason is Reason.MACHINE_MAIL
    assert set(decision.detail) == set(signals)


def test_weak_signal_goes_to_a_person_not_to_silence() -> None:
    decision = decide(message(auto_signals=("auto_response_suppress",)), classified(), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reason is Reason.AUTO_REPLY_SUPPRESSED


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        (
            "Receipt from Example Shop\n\nAmount paid: $49.00\nPayment method: Visa ending 4242\n\n"
            "You are receiving this email because you made a purchase at Example Shop.",
            "you are receiving this email because",
        ),
        (
            "Your password was changed today. If this was you, nothing else is needed.\n\n"
            "This is an automated message. Please do not reply to this email.",
            "this is an automated message",
        ),
        (
            "Your order has shipped.\n\nThanks,\nThe Shop\n\nThis email was sent automatically. "
            "Replies to this email are not monitored.",
            "replies to this email are not monitored",
        ),
        ("This is a system-generated email.", "this is a system-generated email"),
        (
            "Ceci est un message automatique. Merci de ne pas répondre à ce courriel.",
            "ceci est un message automatique",
        ),
    ],
)
def test_a_systems_notification_without_headers_goes_to_a_person(body: str, phrase: str) -> None:
    # The text a receipt or an alert carries, with none of the headers machine mail should have: an automatic
    # answer would go to a machine. A person reads it (a customer may have forwarded one below their words).
    # The new words as the parser reads them (it may cut the footer as a signature: it is read there too).
    decision = decide(message(extract_reply(body), full_text=body, language=None), classified(), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reason is Reason.AUTO_REPLY_SUPPRESSED
    assert decision.detail[0] == "machine_text"
    assert phrase in decision.detail


@pytest.mark.parametrize(
    "text",
    [
        "Where is my parcel? Please do not send me the tracking link again, it does not work.",
        "You are receiving my complaint because nobody answered the phone.",
        "Where do I manage my email address? I changed it.",
        "Where is my parcel? Also I want to stop receiving these emails.",
        "How can I unsubscribe from these emails? And where is my parcel?",
        "Your shipping email said do not reply to this email, so: where is my parcel?",
    ],
)
def test_a_customers_own_words_near_those_phrases_are_not_machine_text(text: str) -> None:
    decision = decide(message(text), classified(), RULES)
    assert "machine_text" not in decision.detail


def test_a_reply_quoting_our_notification_is_the_customers_not_a_machines() -> None:
    """Customers answer shipping notices: the footer of the notice in the quoted history is not theirs."""
    body = (
        "Where is my parcel? It left last week.\n\n-----Original Message-----\nFrom: The Shop\n"
        "Your order has shipped.\nThis is an automated message. You are receiving this email because you ordered."
    )
    assert extract_reply(body) == "Where is my parcel? It left last week."
    decision = decide(message(extract_reply(body), full_text=body), classified(), RULES)
    assert decision.action is Action.AUTO_REPLY


@pytest.mark.parametrize(
    "text",
    [
        "Please let me talk to a real person about my parcel.",
        "I want to speak with a human, not a bot.",
        "Quiero hablar con una persona sobre mi pedido.",
        "Ich möchte mit einem Mitarbeiter sprechen.",
        "Je voudrais parler à un conseiller, s'il vous plaît.",
    ],
)
def test_a_request_for_a_person_always_escalates(text: str) -> None:
    decision = decide(message(text), classified(confidence=0.99), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reason is Reason.HUMAN_REQUESTED


def test_the_human_agent_intent_alone_escalates() -> None:
    decision = decide(message("Get me someone who can help."), classified("contact_human_agent"), RULES)
    assert decision.reason is Reason.HUMAN_REQUESTED


@pytest.mark.parametrize(
    "text",
    [
        "Where is my parcel?? This is ridiculous.",
        "WHERE IS MY PARCEL. I PAID TWO WEEKS AGO.",
        "Still nothing!!! Where is it",
        "If it is not here tomorrow I will file a chargeback, this is unacceptable.",
    ],
)
def test_anger_goes_to_a_person_even_for_a_routine_intent(text: str) -> None:
    decision = decide(message(text), classified(confidence=0.99), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reason is Reason.NEGATIVE_EMOTION


def test_intent_outside_the_allowlist_escalates() -> None:
    decision = decide(message("Can I add a lamp to my order?"), classified("change_order"), RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.INTENT_NOT_ROUTINE)


def test_low_confidence_escalates() -> None:
    decision = decide(message(), classified(confidence=0.6), RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.LOW_CONFIDENCE)


def test_below_the_labels_calibrated_threshold_escalates() -> None:
    decision = decide(message(), classified(confidence=0.93, threshold=0.97), RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.LOW_CONFIDENCE)
    assert decision.detail == ("track_order:0.93<0.97",)


def test_a_label_without_enough_evidence_is_never_answered() -> None:
    decision = decide(message(), classified(confidence=0.999, threshold=None), RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.LOW_CONFIDENCE)
    assert decision.detail == ("track_order:never auto-eligible",)


def test_two_intents_too_close_to_call_escalate() -> None:
    rules = RULES.model_copy(update={"min_confidence": 0.4})
    decision = decide(message(), classified(confidence=0.5, runner_up=0.45, threshold=0.4), rules)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.AMBIGUOUS_INTENT)


def test_a_reply_to_our_auto_reply_goes_to_a_person() -> None:
    ours = f"<{REPLY_MESSAGE_ID_PREFIX}abc@example.com>"
    decision = decide(message(in_reply_to=ours, references=(ours,)), classified(), RULES)
    assert decision.reason is Reason.REPLY_TO_AUTO_REPLY


def test_unsupported_language_escalates() -> None:
    decision = decide(message(language="es"), classified(), RULES)
    assert decision.reason is Reason.UNSUPPORTED_LANGUAGE


def test_doubtful_parse_escalates() -> None:
    decision = decide(message(defects=("unknown_charset",)), classified(), RULES)
    assert decision.reason is Reason.PARSE_TROUBLE


def test_no_text_at_all_escalates_as_unreadable() -> None:
    decision = decide(message("", subject="", defects=("empty_message",)), None, RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.UNREADABLE)


def test_without_a_model_everything_escalates() -> None:
    decision = decide(message(), None, RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.MODEL_UNAVAILABLE)


def test_no_sender_address_escalates() -> None:
    decision = decide(message(**{"from": Address()}), classified(), RULES)
    assert decision.reason is Reason.NO_REPLY_ADDRESS


def test_classification_text_drops_reply_prefixes() -> None:
    text = classification_text(message("body", subject="RE: AW: Fwd: Parcel"))
    assert text == "Parcel\nbody"


def test_settings_read_the_environment_and_name_a_bad_variable() -> None:
    from triage.settings import Settings, SettingsError

    settings = Settings.from_env(
        {
            "IDEMPOTENCY_TTL_SECONDS": "3600",
            "SUPPORT_ADDRESSES": "A@x.example, b@x.example",
            "UNRELATED": "1",
        }
    )
    assert settings.idempotency_ttl_seconds == 3600
    assert settings.support_addresses == ("a@x.example", "b@x.example")
    with pytest.raises(SettingsError, match="IDEMPOTENCY_TTL_SECONDS"):
        Settings.from_env({"IDEMPOTENCY_TTL_SECONDS": "lots"})


STORY = (
    "Hello,\n\n"
    "I ordered a bookcase on the 3rd. The courier left it at the gate on a wet afternoon. My neighbour carried it "
    "in for me. One side panel has warped since. I still have the invoice. Where is the second box of the order?\n\n"
    "Kind regards,\nMartha"
)


def test_a_segment_can_send_a_long_story_around_a_routine_question_to_a_person() -> None:
    """Six sentences around "where is my parcel" tell more than a tracking template answers, in words the phrase
    tables may not know; the profile's cap, not a phrase, hands it over."""
    capped = RULES.model_copy(update={"max_request_sentences": 4})
    decision = decide(message(STORY), classified(), capped)
    assert decision.action is Action.ESCALATE
    assert decision.reason is Reason.AMBIGUOUS_INTENT
    assert decision.detail == ("sentences:6>4",)
    # Without a cap the same mail is answered: only the cap stopped it.
    assert decide(message(STORY), classified(), RULES).action is Action.AUTO_REPLY


def test_greeting_sign_off_and_signature_are_not_counted_against_the_cap() -> None:
    text = (
        "Hi there,\n\nI placed order 5512 on Monday. Could you tell me where it is now?\n\n"
        "Many thanks,\nPriya Raman\nSenior Analyst\n+44 20 7946 0000"
    )
    capped = RULES.model_copy(update={"max_request_sentences": 2})
    as_read = message(extract_reply(text), full_text=text)  # what the parser gives the policy
    assert decide(as_read, classified(), capped).action is Action.AUTO_REPLY
    assert decide(as_read, classified(), RULES.model_copy(update={"max_request_sentences": 1})).detail == (
        "sentences:2>1",
    )


def test_the_shipped_retail_profile_hands_a_long_story_to_a_person() -> None:
    from triage.profiles import load_policy
    from triage.settings import Settings

    retail = load_policy(Settings.from_env().policy_file).profile("retail")
    assert decide(message(STORY), classified(), retail).reason is Reason.AMBIGUOUS_INTENT
    assert decide(message(), classified(), retail).action is Action.AUTO_REPLY


@pytest.mark.parametrize("linear_label", ["delivery_options", "place_order"])
def test_the_encoder_tier_never_answers_alone(linear_label: str) -> None:
    # "Do you have a gift wrap option at checkout?": the n-gram tier unsure (below the cascade gate), the encoder
    # tier sure of delivery options. Whether or not the unsure n-gram tier read the same, a person answers it.
    combined = replace(classified("delivery_options"), tier=COMBINED, linear_label=linear_label)
    rules = RULES.model_copy(update={"auto_reply_intents": frozenset({"delivery_options"})})
    asked = message(subject="Gift wrap", text="Do you have a gift wrap option at checkout?")
    decision = decide(asked, combined, rules)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.AMBIGUOUS_INTENT)
    assert decision.detail == (f"tiers:{linear_label}/delivery_options",)
    # The same reading from the n-gram tier, sure of it, is answered.
    assert decide(asked, classified("delivery_options"), rules).action is Action.AUTO_REPLY


@pytest.mark.parametrize(
    ("confidence", "reason"), [(0.49, Reason.OUT_OF_OFFICE), (0.95, Reason.HUMAN_REQUESTED)]
)
def test_an_unsure_reading_of_a_person_request_does_not_outweigh_an_away_notice(
    confidence: float, reason: Reason
) -> None:
    away = message(
        subject="Out of office",
        text="I am out of the office until Monday with limited access to email. "
        "For urgent matters please call our office.",
    )
    decision = decide(away, classified("contact_human_agent", confidence=confidence), RULES)
    assert decision.reason is reason


def test_a_subject_without_a_readable_body_is_not_answered() -> None:
    empty = message(subject="Where is my order?", text="", defects=("no_readable_text",))
    decision = decide(empty, classified(confidence=0.99), RULES)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.PARSE_TROUBLE)
    assert decision.detail == ("no_readable_text",)
