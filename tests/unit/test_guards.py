"""Every guard of the policy, one case each, with the reason code it must give (issue 4's table).

``decide`` is pure: these cases give it a message, a classification, a profile and what the conversation store
knows. The guards that need the store's conditional writes (caps, share, store down) are in
``tests/unit/test_worker_guards.py``, whose last test checks that the two files together cover every reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.classifier import Classification
from triage.conversation import ContactHistory, ContactRecord
from triage.cues import asks_for_human
from triage.emotion import EmotionReading
from triage.message import Address, InboundMessage
from triage.parsing.machine_mail import REPLY_MESSAGE_ID_PREFIX
from triage.policy import Action, Reason, decide
from triage.profiles import Mode, Profile
from triage.topics import sensitive_topics, spam
from triage.urgency import Urgency

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RETAIL = Profile(auto_reply_intents=frozenset({"track_order", "get_invoice"}), min_confidence=0.8)
TEMPLATED = frozenset({"track_order", "get_invoice"})


def mail(
    text: str = "Where is my parcel? It left the warehouse last week.", **fields: object
) -> InboundMessage:
    base: dict[str, object] = {
        "id": "m1",
        "message_id": "<m1@mail.customer.example.net>",
        "from": Address(name="Jane Doe", address="jane@customer.example.net"),
        "subject": "Parcel",
        "text": text,
        "full_text": text,
        "language": "en",
    }
    return InboundMessage(**(base | fields))


def model_says(
    label: str = "track_order", confidence: float = 0.97, runner_up: float = 0.01
) -> Classification:
    return Classification(
        label=label,
        confidence=confidence,
        top_k=((label, confidence), ("delivery_period", runner_up)),
        model_version="test",
        threshold=0.9,
    )


def run(message: InboundMessage, classification: Classification | None = None, **kwargs: object) -> object:
    arguments: dict[str, object] = {"templated_intents": TEMPLATED, "now": NOW} | kwargs
    profile = arguments.pop("profile", RETAIL)
    return decide(message, classification or model_says(), profile, **arguments)  # type: ignore[arg-type]


OURS = f"<{REPLY_MESSAGE_ID_PREFIX}abc@example.com>"
CASES: list[tuple[str, InboundMessage, Classification | None, dict[str, object], Action, Reason]] = [
    ("routine", mail(), None, {}, Action.AUTO_REPLY, Reason.ROUTINE_INTENT),
    ("machine mail", mail(auto_signals=("auto_submitted",)), None, {}, Action.NO_REPLY, Reason.MACHINE_MAIL),
    (
        "out of office by content",
        mail(
            "I am out of the office until 2 December with limited access to email.", subject="Out of office"
        ),
        None,
        {},
        Action.NO_REPLY,
        Reason.OUT_OF_OFFICE,
    ),
    ("closing", mail("Thanks, that solved it!\n\nJane"), None, {}, Action.NO_REPLY, Reason.CLOSING_MESSAGE),
    (
        "spam",
        mail("You have won the lottery! Claim your prize today, bitcoin payout guaranteed returns."),
        None,
        {},
        Action.NO_REPLY,
        Reason.SPAM,
    ),
    ("unreadable", mail("", subject=""), None, {}, Action.ESCALATE, Reason.UNREADABLE),
    ("no reply address", mail(**{"from": Address()}), None, {}, Action.ESCALATE, Reason.NO_REPLY_ADDRESS),
    (
        "human request",
        mail("Where is my parcel? I want to speak to a human please."),
        None,
        {},
        Action.ESCALATE,
        Reason.HUMAN_REQUESTED,
    ),
    (
        "negative emotion (head)",
        mail(),
        None,
        {
            "emotion": EmotionReading(
                label="sadness", confidence=0.8, negative=True, cues=(), scores=(("sadness", 0.8),)
            )
        },
        Action.ESCALATE,
        Reason.NEGATIVE_EMOTION,
    ),
    (
        "sensitive topic",
        mail("Where is my parcel? If it does not come I will contact my lawyer."),
        None,
        {},
        Action.ESCALATE,
        Reason.SENSITIVE_TOPIC,
    ),
    (
        "out of scope",
        mail("I am applying for the warehouse assistant position; my CV is attached."),
        None,
        {},
        Action.ESCALATE,
        Reason.OUT_OF_SCOPE,
    ),
    (
        "urgent",
        mail(),
        None,
        {"urgency": Urgency(score=0.8, level="high", cues=("immediacy:immediately",))},
        Action.ESCALATE,
        Reason.URGENT,
    ),
    (
        "reply to our auto-reply",
        mail(in_reply_to=OURS, references=(OURS,)),
        None,
        {},
        Action.ESCALATE,
        Reason.REPLY_TO_AUTO_REPLY,
    ),
    (
        "thread already answered",
        mail(),
        None,
        {"history": ContactHistory(auto_replied_by="m0")},
        Action.ESCALATE,
        Reason.THREAD_ALREADY_ANSWERED,
    ),
    (
        "this message already claimed a reply",
        mail(),
        None,
        {"history": ContactHistory(auto_replied_by="m1")},
        Action.ESCALATE,
        Reason.SEND_UNCERTAIN,
    ),
    (
        "repeat contact within 7 days",
        mail(),
        None,
        {"history": ContactHistory(earlier_contacts=(NOW - timedelta(days=3),))},
        Action.ESCALATE,
        Reason.REPEAT_CONTACT,
    ),
    (
        "weak machine signal",
        mail(auto_signals=("sender_unverified",)),
        None,
        {},
        Action.ESCALATE,
        Reason.AUTO_REPLY_SUPPRESSED,
    ),
    ("parse trouble", mail(defects=("unknown_charset",)), None, {}, Action.ESCALATE, Reason.PARSE_TROUBLE),
    ("language", mail(language="fi"), None, {}, Action.ESCALATE, Reason.UNSUPPORTED_LANGUAGE),
    (
        "intent not automated",
        mail(),
        model_says("change_order"),
        {},
        Action.ESCALATE,
        Reason.INTENT_NOT_ROUTINE,
    ),
    ("low confidence", mail(), model_says(confidence=0.6), {}, Action.ESCALATE, Reason.LOW_CONFIDENCE),
    (
        "two intents too close",
        mail(),
        model_says(confidence=0.92, runner_up=0.8),
        {},
        Action.ESCALATE,
        Reason.AMBIGUOUS_INTENT,
    ),
    (
        "no template",
        mail(),
        None,
        {"templated_intents": frozenset({"get_invoice"})},
        Action.ESCALATE,
        Reason.NO_TEMPLATE,
    ),
    (
        "automation off",
        mail(),
        None,
        {"profile": RETAIL.model_copy(update={"mode": Mode.OFF})},
        Action.ESCALATE,
        Reason.AUTOMATION_OFF,
    ),
    (
        "shadow mode",
        mail(),
        None,
        {"profile": RETAIL.model_copy(update={"mode": Mode.SHADOW})},
        Action.ESCALATE,
        Reason.SHADOW_MODE,
    ),
]


@pytest.mark.parametrize(
    ("message", "classification", "kwargs", "action", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_guard_gives_its_reason(
    message: InboundMessage,
    classification: Classification | None,
    kwargs: dict[str, object],
    action: Action,
    reason: Reason,
) -> None:
    decision = run(message, classification, **kwargs)
    assert (decision.action, decision.reason) == (action, reason)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Hi, can I pay with Bitcoin? When I click here on the payment page nothing happens.",
        "My bank charged a wire transfer fee on my refund. Can you reply with your bank details for the return?",
    ],
)
def test_a_customer_s_words_that_spam_also_uses_do_not_make_spam(text: str) -> None:
    """Paying with bitcoin, a button to click, a wire transfer fee: customers write these too. Only beside a cue no
    customer writes (a prize, a lottery, guaranteed returns) do they count."""
    assert run(mail(text)).reason is not Reason.SPAM  # type: ignore[attr-defined]


def test_a_customer_reporting_a_scam_in_our_name_is_not_spam_but_a_person_s_case() -> None:
    """The report quotes the scam's own words (lottery, prize, bitcoin): without the report it is spam."""
    scam = "You have won the lottery! Claim your prize today, bitcoin payout guaranteed returns."
    assert run(mail(scam)).reason is Reason.SPAM  # type: ignore[attr-defined]
    report = (
        f'Is this really from you? I got a mail in your name saying: "{scam}" I do not want to be scammed.'
    )
    decision = run(mail(report))
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.SENSITIVE_TOPIC)  # type: ignore[attr-defined]
    assert any(item.startswith("fraud_report:") for item in decision.detail)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "I will be out of the office from Monday until Friday, so could you please hold my parcel until I am back?",
        "Hola, estaré fuera de la oficina hasta el lunes. ¿Pueden guardar mi pedido hasta entonces? Gracias",
        "Hello, I am out of the office this week but I need the invoice for order 4411 for our accounts. "
        + "The one attached to the confirmation mail shows the old billing address, and our finance team cannot "
        + "book it like that. Please send a corrected copy to this address with the new company name and the "
        + "VAT number from my account settings, they changed last month when we moved offices. Thanks, Jane",
    ],
    ids=["question", "spanish-question", "long-letter"],
)
def test_a_person_writing_while_away_is_not_an_out_of_office_notice(text: str) -> None:
    """ "Out of the office" in a letter that asks something is a customer's message, not a notice to drop."""
    decision = run(mail(text, subject="Order while I am away"))
    assert decision.reason is not Reason.OUT_OF_OFFICE  # type: ignore[attr-defined]
    assert decision.action is not Action.NO_REPLY  # type: ignore[attr-defined]


def test_automation_off_hands_everything_over_except_machine_mail() -> None:
    off = RETAIL.model_copy(update={"mode": Mode.OFF, "auto_reply_intents": frozenset()})
    assert run(mail(), profile=off).reason is Reason.AUTOMATION_OFF  # type: ignore[attr-defined]
    assert run(mail(auto_signals=("list_mail",)), profile=off).reason is Reason.MACHINE_MAIL  # type: ignore[attr-defined]
    assert run(mail("Thank you!"), profile=off).reason is Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]


def test_tone_and_threat_are_told_apart() -> None:
    threat = run(mail("Where is my parcel? Otherwise I will contact my lawyer."))
    assert threat.reason is Reason.SENSITIVE_TOPIC  # type: ignore[attr-defined]
    angry = run(mail("This is ridiculous. Where is my parcel? Otherwise I will contact my lawyer."))
    assert angry.reason is Reason.NEGATIVE_EMOTION  # type: ignore[attr-defined]
    assert angry.detail == ("ridiculous",)  # type: ignore[attr-defined]


def test_model_unavailable_escalates() -> None:
    decision = decide(mail(), None, RETAIL, templated_intents=TEMPLATED)
    assert decision.reason is Reason.MODEL_UNAVAILABLE


@pytest.mark.parametrize(
    "text",
    [
        "Where is my parcel? Let me talk to a real person.",
        "¿Dónde está mi paquete? Quiero hablar con una persona.",
        "Wo ist mein Paket? Ich möchte mit einem Mitarbeiter sprechen.",
        "Où est mon colis ? Je veux parler à un conseiller.",
        "Where is my parcel? I would like to speak to a customer service representative.",
        "Where is my parcel? Can you connect me with a human?",
        "Where is my parcel? Is there a human I can talk to?",
        "Where is my parcel? Please escalate this to a person.",
        "Where is my parcel? I'd like to talk to a rep.",
        "I forgot my password. Can a human help me?",
        "I forgot my password. Please have someone contact me.",
        "Where is my parcel? Could a member of your team call me?",
        "Wo ist mein Paket? Ich möchte bitte einen Mitarbeiter sprechen.",
        "Wo ist mein Paket? Ich bitte darum, mit einem Menschen zu sprechen.",
        "¿Dónde está mi paquete? Quiero hablar con un ser humano.",
        "Où est mon colis ? Je veux parler à quelqu’un.",
    ],
)
@pytest.mark.parametrize("mode", list(Mode))
def test_a_request_for_a_person_wins_in_every_profile_and_language(text: str, mode: Mode) -> None:
    generous = RETAIL.model_copy(
        update={"mode": mode, "reply_languages": frozenset({"en", "es", "de", "fr"})}
    )
    decision = run(mail(text), profile=generous)
    assert decision.reason is Reason.HUMAN_REQUESTED  # type: ignore[attr-defined]


def test_the_model_asking_for_a_person_is_enough() -> None:
    decision = run(mail("Can someone from your team look at this?"), model_says("contact_human_agent"))
    assert decision.reason is Reason.HUMAN_REQUESTED  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I will take legal action if this is not fixed.", "legal"),
        ("I have asked my bank for a chargeback.", "chargeback"),
        ("The charger overheated and burned my hand.", "safety"),
        ("My mother passed away last month; please close her account.", "bereavement"),
        ("Under GDPR I ask you to delete all my personal data.", "data_protection"),
        ("Please send me a copy of all the personal data you hold about me.", "data_protection"),
        ("I want to file a formal complaint about the courier.", "complaint"),
        ("The kettle stopped working after a week and I want a refund.", "refund_after_failure"),
        ("Mi madre falleció y quiero cerrar su cuenta.", "bereavement"),
        ("Ich verlange die Löschung meiner personenbezogenen Daten nach DSGVO.", "data_protection"),
        ("Je vais contacter mon avocat.", "legal"),
        ("I got a phishing mail with your logo asking for my card number.", "fraud_report"),
        ("Someone placed an order with my card: my account has been hacked.", "fraud_report"),
        ("Someone else logged into my account and changed my password.", "fraud_report"),
        ("I got a password reset email I did not request. Has someone accessed my account?", "fraud_report"),
        ("My password was changed without my permission, I cannot log in.", "fraud_report"),
        ("There are orders on my account I didn't place.", "fraud_report"),
        ("I paid with my mum's card and she doesn't know about it. When does it arrive?", "fraud_report"),
        (
            "i used my brothers debit card for it, he does not know yet lol. where is my order?",
            "fraud_report",
        ),
    ],
)
def test_sensitive_topics_go_to_a_person(text: str, topic: str) -> None:
    decision = run(mail(text))
    assert decision.reason is Reason.SENSITIVE_TOPIC  # type: ignore[attr-defined]
    assert any(detail.startswith(f"{topic}:") for detail in decision.detail)  # type: ignore[attr-defined]


def test_a_sensitive_intent_goes_to_a_person_even_when_automated() -> None:
    profile = RETAIL.model_copy(update={"auto_reply_intents": frozenset({"get_refund"})})
    decision = run(mail("Money back for order 1234 please."), model_says("get_refund"), profile=profile)
    assert decision.reason is Reason.SENSITIVE_TOPIC  # type: ignore[attr-defined]
    assert decision.detail == ("intent:get_refund",)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "Thank you!",
        "Great, thanks a lot.\n\nBest,\nJane",
        "That fixed it, thanks",
        "Perfect, works now. Cheers",
        "Vielen Dank!",
        "Merci beaucoup",
    ],
)
def test_closing_messages_get_no_reply(text: str) -> None:
    decision = run(mail(text, subject="Re: Parcel", in_reply_to="<a@b.example>"))
    assert (decision.action, decision.reason) == (Action.NO_REPLY, Reason.CLOSING_MESSAGE)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but where is my parcel?",
        "OK but the tracking link is broken and I need it by Friday",
        "Thank you. I also need the invoice for order 55120 and a new delivery address.",
    ],
)
def test_thanks_with_a_further_request_is_not_a_closing(text: str) -> None:
    decision = run(mail(text))
    assert decision.reason is not Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]


def test_a_closing_that_answers_our_auto_reply_is_not_escalated() -> None:
    decision = run(mail("Thanks, that solved it.", in_reply_to=OURS, references=(OURS,)))
    assert decision.reason is Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]


def test_angry_thanks_is_still_anger() -> None:
    decision = run(mail("Thanks for NOTHING. This is ridiculous."))
    assert decision.reason is Reason.NEGATIVE_EMOTION  # type: ignore[attr-defined]


def test_emotions_the_profile_does_not_list_do_not_force_a_person() -> None:
    confused = EmotionReading(
        label="confusion", confidence=0.9, negative=False, cues=(), scores=(("confusion", 0.9),)
    )
    assert run(mail(), emotion=confused).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]
    strict = RETAIL.model_copy(update={"escalate_emotions": frozenset({"confusion"})})
    assert run(mail(), emotion=confused, profile=strict).reason is Reason.NEGATIVE_EMOTION  # type: ignore[attr-defined]


def test_negative_emotions_together_force_a_person() -> None:
    split = EmotionReading(
        label="neutral",
        confidence=0.4,
        negative=False,
        cues=(),
        scores=(("neutral", 0.4), ("anger", 0.3), ("annoyance", 0.25)),
    )
    decision = run(mail(), emotion=split)
    assert decision.reason is Reason.NEGATIVE_EMOTION  # type: ignore[attr-defined]
    assert decision.detail == ("neutral:0.40", "negative:0.55")  # type: ignore[attr-defined]
    calm = EmotionReading(
        label="neutral", confidence=0.7, negative=False, cues=(), scores=(("neutral", 0.7), ("anger", 0.2))
    )
    assert run(mail(), emotion=calm).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "It is getting so annoying. Where is my parcel?",
        "Incredibly frustrating, where is it?",
        "What a waste of time.",
    ],
)
def test_annoyance_in_words_forces_a_person(text: str) -> None:
    assert run(mail(text)).reason is Reason.NEGATIVE_EMOTION  # type: ignore[attr-defined]


def test_urgency_threshold_is_per_profile() -> None:
    normal = Urgency(score=0.4, level="normal", cues=("time:tomorrow",))
    assert run(mail(), urgency=normal).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]
    b2b = RETAIL.model_copy(update={"escalate_urgency": "normal"})
    assert run(mail(), urgency=normal, profile=b2b).reason is Reason.URGENT  # type: ignore[attr-defined]


def test_old_contacts_are_not_repeat_contacts() -> None:
    history = ContactHistory(earlier_contacts=(NOW - timedelta(days=8),))
    assert run(mail(), history=history).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]


def test_a_thread_a_person_has_stays_with_people_however_old() -> None:
    """ "Ok thanks. In that case please cancel it" answers an agent's message: the model read delivery_options and
    the thread's escalation was more than 7 days old, so the customer got a template in the middle of it."""
    agent_had_it = ContactHistory(
        turns=(
            ContactRecord(at=NOW - timedelta(days=10), message_key="m0", action="escalate", reason="urgent"),
        ),
    )
    decision = run(mail("Ok thanks. In that case please cancel it."), history=agent_had_it)
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.REPEAT_CONTACT)  # type: ignore[attr-defined]
    assert decision.detail == ("thread_with_a_person",)  # type: ignore[attr-defined]
    # A thread whose earlier messages were only answered by nobody (machine mail, a closing) is not a person's.
    silent = ContactHistory(
        turns=(ContactRecord(at=NOW - timedelta(days=10), message_key="m0", action="no_reply"),)
    )
    assert run(mail(), history=silent).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "reason", "cue"),
    [
        # Health and safety, in words other than the table's first ones.
        (
            "My daughter used the face cream from order 55160, her face swelled up and we ended up at A&E. "
            "What is in it?",
            Reason.SENSITIVE_TOPIC,
            "safety:",
        ),
        (
            "Where is order 55377? It's the cool bag for my insulin and I fly on Thursday.",
            Reason.SENSITIVE_TOPIC,
            "vulnerability:",
        ),
        (
            "Where is order 55345? It's the memorial frame for my husband's photo, he passed last month.",
            Reason.SENSITIVE_TOPIC,
            "bereavement:",
        ),
        # A person asked for in words of the customer's own.
        ("Is anybody alive over there? How do I reset my password?", Reason.HUMAN_REQUESTED, ""),
        (
            "The reset link doesn't work. Please let someone competent look at my account.",
            Reason.HUMAN_REQUESTED,
            "",
        ),
        (
            "Where is my order 55340? I'm at my wits' end, I've cried twice today over this.",
            Reason.NEGATIVE_EMOTION,
            "",
        ),
        # Money and data the customer needs a person for.
        (
            "How do I reset my password? Once in, I want the account and my data deleted.",
            Reason.SENSITIVE_TOPIC,
            "data_protection:",
        ),
        (
            "Can I have the invoice for order 53870? A debt collection agency says I still owe it.",
            Reason.SENSITIVE_TOPIC,
            "vulnerability:",
        ),
        (
            "The invoice for order 55301 shows 129.00 but the product page said 99.00. Can you refund it?",
            Reason.SENSITIVE_TOPIC,
            "refund_after_failure:",
        ),
    ],
)
def test_risky_messages_in_unlisted_words_go_to_a_person(text: str, reason: Reason, cue: str) -> None:
    decision = run(mail(text))
    assert (decision.action, decision.reason) == (Action.ESCALATE, reason)  # type: ignore[attr-defined]
    assert any(item.startswith(cue) for item in decision.detail)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Is the Memorial Day discount still on for order 4411?",
        "Where is my parcel? The courier passed it to my neighbour, she said.",
        "Can I get a copy of my invoice? I checked my account twice.",
    ],
)
def test_routine_words_near_those_phrases_stay_routine(text: str) -> None:
    assert run(mail(text)).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]


def test_a_per_intent_floor_is_stricter_than_the_profile() -> None:
    strict = RETAIL.model_copy(update={"intent_min_confidence": {"track_order": 0.99}})
    decision = run(mail(), model_says(confidence=0.97), profile=strict)
    assert decision.reason is Reason.LOW_CONFIDENCE  # type: ignore[attr-defined]
    assert decision.detail == ("0.97<0.99",)  # type: ignore[attr-defined]


def test_shadow_and_off_record_what_would_have_been_sent() -> None:
    decision = run(mail(), profile=RETAIL.model_copy(update={"mode": Mode.SHADOW}))
    assert decision.would_auto_reply  # type: ignore[attr-defined]
    assert decision.intent == "track_order"  # type: ignore[attr-defined]
    assert not run(mail("Where is it? Let me talk to a human.")).would_auto_reply  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "closing"),
    [
        ("Perfect, received. Thanks a lot. Aisha", True),
        ("It turned up today after all. Thanks anyway.", True),
        ("All sorted now, you can close this.", True),
        ("Thanks a lot, that did the trick. It's working now!\n\nHalima", True),
        ("Thank you!!", True),
        ("Thanks for nothing!!", False),
        ("It arrived damaged.", False),
        ("Withdrawal charge.", False),
    ],
)
def test_closing_needs_closing_words_and_nothing_but_a_name_besides(text: str, closing: bool) -> None:
    decision = run(mail(text, subject="Re: Parcel"))
    assert (decision.reason is Reason.CLOSING_MESSAGE) is closing  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "I got a mail saying I have won a voucher from your shop, click here to claim your prize. Is this legit?",
        'I received a message: "Congratulations, you have won! Claim your prize now". Did you send this to me?',
        "A text says I have won the lottery from you and to click here. Is this genuine or a scam?",
    ],
)
def test_a_customer_asking_whether_a_prize_mail_is_ours_is_not_spam(text: str) -> None:
    """The question quotes spam's words; it is a customer checking a possible scam in our name: a person answers."""
    decision = run(mail(text))
    assert decision.action is Action.ESCALATE  # type: ignore[attr-defined]
    assert any(item.startswith("fraud_report:") for item in sensitive_topics(text))


@pytest.mark.parametrize(
    "text",
    [
        "Is it from your EU warehouse?",
        "Is the invoice in your name or in mine?",
        "Is it real leather or vegan?",
        "I paid with my wife's card, can the invoice be in my name?",
        "I used my dad's card; he knows and said it was fine. When will it ship?",
        "My husband doesn't know yet, it's a birthday surprise. When will it arrive?",
    ],
)
def test_routine_questions_about_us_are_not_fraud_reports(text: str) -> None:
    assert not any(topic.startswith("fraud_report:") for topic in sensitive_topics(text))


@pytest.mark.parametrize(
    ("text", "full_text"),
    [
        (
            "Where is my parcel?",
            "Where is my parcel?\n\nThanks,\nBob\n\nPS: please let me speak to a human",
        ),
        ("Thank you.", "Thank you.\nPlease connect me with an agent"),
        ("Thanks!", "Thanks!\n\nCan someone call me on 0171 234567"),
    ],
)
def test_a_request_for_a_person_below_the_sign_off_still_counts(text: str, full_text: str) -> None:
    """Reading what the customer wrote this time cuts short lines below a sign-off as signature; a request for a
    person there must not be lost with it (neither answered by the model nor dropped as a thank-you)."""
    decision = run(mail(text, full_text=full_text))
    assert decision.reason is Reason.HUMAN_REQUESTED  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "I got your automatic reply but it did not help. I want to talk to a real person.",
            Reason.HUMAN_REQUESTED,
        ),
        ("My account was hacked while I was out of the office.", Reason.SENSITIVE_TOPIC),
        ("The heater caught fire. I am on leave until Monday and need a refund.", Reason.SENSITIVE_TOPIC),
        (
            "I am out of office until Friday. Please delete all my personal data.",
            Reason.SENSITIVE_TOPIC,
        ),
    ],
)
def test_an_away_notice_that_raises_a_matter_goes_to_a_person(text: str, reason: Reason) -> None:
    """Out-of-office words drop a message only after every guard that calls a person has read it."""
    decision = run(mail(text, subject="Order"))
    assert (decision.action, decision.reason) == (Action.ESCALATE, reason)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "I am on holiday until the 12th. Please hold my parcel for order 12345 until I am back.",
        "I will be back in the office on Monday. Please cancel my order 12345 before it ships.",
        "Your courier said he will be back on Monday. Please leave it with my neighbour instead.",
    ],
)
def test_a_customer_away_from_home_asking_about_their_order_is_not_a_notice(text: str) -> None:
    """No question mark, short, an away phrase: yet it names their order, or our courier. A notice never does."""
    decision = run(mail(text, subject="Delivery"))
    assert decision.action is not Action.NO_REPLY  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Where is my order 12345?", Reason.AMBIGUOUS_INTENT),
        ("Please reset my password", Reason.AMBIGUOUS_INTENT),
        ("My account was hacked", Reason.SENSITIVE_TOPIC),
        ("Chargeback filed for order 12345", Reason.SENSITIVE_TOPIC),
        ("I want to speak to a manager", Reason.HUMAN_REQUESTED),
    ],
)
def test_a_request_in_the_subject_above_a_thank_you_is_not_a_closing(subject: str, reason: Reason) -> None:
    """A new mail that asks in its subject and only thanks in its body: a person reads it."""
    decision = run(mail("Thanks!\nKim", subject=subject))
    assert (decision.action, decision.reason) == (Action.ESCALATE, reason)  # type: ignore[attr-defined]


def test_a_thank_you_in_a_thread_is_a_closing_whatever_the_subject() -> None:
    """In a reply the subject is the conversation's ("Re: Where is my order?"), not this message's request."""
    reply = mail(
        "Thanks!\nKim",
        subject="Re: Where is my order 12345?",
        in_reply_to="<earlier@example.com>",
        references=("<earlier@example.com>",),
    )
    assert run(reply).reason is Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]
    assert run(mail("Thanks!\nKim", subject="Parcel")).reason is Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]


def test_a_mail_with_another_mail_attached_goes_to_a_person() -> None:
    """The attached mail's words are not read as the customer's, so what they point at is unread: a person."""
    decision = run(mail(defects=("attached_message",)))
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.PARSE_TROUBLE)  # type: ignore[attr-defined]


def test_a_long_text_in_a_language_we_cannot_name_goes_to_a_person() -> None:
    """Polish, Japanese …: no language guess on a long text means not one we reply in; a short one may be ours."""
    polish = "Dzień dobry, zamówiłem buty w zeszłym tygodniu i nadal nie dostałem numeru przesyłki ani żadnej informacji."
    decision = run(mail(polish, language=None))
    assert (decision.reason, decision.detail) == (Reason.UNSUPPORTED_LANGUAGE, ("unknown",))  # type: ignore[attr-defined]
    assert run(mail("Where is my parcel?", language=None)).reason is Reason.ROUTINE_INTENT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        (
            "Sofa delivered today",
            "I'm out of the office until Thursday, but the sofa delivered today is the wrong colour.",
        ),
        ("Charge", "I am on leave until the 3rd. Just saw two charges for one purchase on my statement."),
    ],
)
def test_away_words_under_a_subject_of_the_writer_s_own_reach_a_person(subject: str, text: str) -> None:
    """Only a subject that says "out of office" or "automatic reply" makes a short away text a notice to drop."""
    decision = run(mail(text, subject=subject))
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.AUTO_REPLY_SUPPRESSED)  # type: ignore[attr-defined]
    assert decision.detail[0] == "out_of_office_text"  # type: ignore[attr-defined]
    notice = "I am out of the office until Monday with limited access to email."
    assert run(mail(notice, subject="Automatic reply: Charge")).reason is Reason.OUT_OF_OFFICE  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "full_text",
    [
        "Thank you\n\nSent from my iPhone\n\nStill Broken",
        "Thanks\n-- \nTom Reed\n\nActually the parcel never came, the tracking says delivered elsewhere.",
    ],
)
def test_a_thank_you_above_more_words_cut_as_signature_is_not_a_closing(full_text: str) -> None:
    decision = run(mail(full_text.split("\n")[0], full_text=full_text, subject="Re: Parcel"))
    assert (decision.action, decision.detail) == (Action.ESCALATE, ("thanks_above_more_words",))  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["Thanks. Never Arrived.", "It arrived. Wrong Size.", "Great. Just Great."])
def test_title_case_words_after_thanks_are_not_a_name(text: str) -> None:
    assert run(mail(text, subject="Re: Parcel")).reason is not Reason.CLOSING_MESSAGE  # type: ignore[attr-defined]


def test_a_thank_you_with_a_full_signature_is_still_a_closing() -> None:
    full = "Thanks, all sorted!\n\nBest regards,\nPriya Raman\nSenior Analyst\nMobile: +44 7700 900123\nwww.acme.com"
    assert (
        run(mail("Thanks, all sorted!", full_text=full, subject="Re: Parcel")).reason
        is Reason.CLOSING_MESSAGE
    )  # type: ignore[attr-defined]


def test_a_thank_you_on_a_sensitive_thread_closes_it() -> None:
    """The model reads "complaint" from the thread's subject; no sensitive word is in the thank-you itself."""
    closing = mail("Thank you, that's sorted now.", subject="Re: Complaint 5521")
    assert (
        run(closing, model_says("complaint"), profile=SENSITIVE_COMPLAINTS).reason is Reason.CLOSING_MESSAGE
    )  # type: ignore[attr-defined]
    angry = mail("Thank you for nothing, I will take legal action.", subject="Re: Complaint 5521")
    assert (
        run(angry, model_says("complaint"), profile=SENSITIVE_COMPLAINTS).reason is not Reason.CLOSING_MESSAGE
    )  # type: ignore[attr-defined]


SENSITIVE_COMPLAINTS = RETAIL.model_copy(update={"sensitive_intents": frozenset({"complaint"})})


def test_a_customer_saying_they_wrote_before_goes_to_a_person() -> None:
    """The store knows no earlier contact (another address, a call), but the customer says so: no robot again."""
    from triage.urgency import assess_urgency

    text = "Following up on my mail from last week: where is my parcel?"
    decision = run(mail(text), urgency=assess_urgency(text))
    assert decision.reason is Reason.REPEAT_CONTACT  # type: ignore[attr-defined]
    assert "contacts:following up" in decision.detail  # type: ignore[attr-defined]


def test_a_request_that_points_at_an_attachment_goes_to_a_person() -> None:
    """ "Please see attached": what is asked is in a file the model never reads."""
    from triage.message import Attachment

    scan = (Attachment(filename="scan.pdf", content_type="application/pdf", size=52_000),)
    decision = run(mail("Please see attached.", attachments=scan))
    assert (decision.reason, decision.detail) == (Reason.PARSE_TROUBLE, ("content_in_attachment",))  # type: ignore[attr-defined]
    assert run(mail("Please see attached.")).reason is not Reason.PARSE_TROUBLE  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I can't cope with anything right now. I feel like ending it all. How do I reset it?", "self_harm"),
        ("How do I reset my password? I've been feeling suicidal lately.", "self_harm"),
        ("Honestly I want to kill myself. Where is my order?", "self_harm"),
        ("I don't want to be here anymore. Please cancel everything.", "self_harm"),
        ("I can't go on like this. Where is my refund?", "self_harm"),
        ("How do I reset my password? I don't feel safe at home.", "safeguarding"),
        (
            "I've had to leave home because of my partner. How do I set up a new shipping address?",
            "safeguarding",
        ),
        ("My ex is abusive and must not find my new address.", "safeguarding"),
        ("My husband passed last month and I keep getting your newsletter addressed to him.", "bereavement"),
        ("I lost my wife in January and she managed all our online accounts.", "bereavement"),
        ("My wife just died and I need to know when the memorial flowers will be delivered.", "bereavement"),
        ("My father has just passed. How do I close his account?", "bereavement"),
        ("I'm closing my late mum's account.", "bereavement"),
        (
            "I'm in serious financial difficulty and behind on all my bills. What payment methods do you accept?",
            "vulnerability",
        ),
        ("I can't afford the next instalment. What are my options?", "vulnerability"),
        ("I've got terminal cancer and this matters a lot to me.", "vulnerability"),
        ("hi im 12 and i want to make an account so i can buy stuff", "vulnerability"),
        ("hey im 14 can you tell me if i need a card to order", "vulnerability"),
        ("I'm 11 so I don't have a bank card, can I pay another way?", "vulnerability"),
    ],
)
def test_vulnerable_customers_go_to_a_person(text: str, topic: str) -> None:
    """Self-harm, a customer unsafe at home, a recent death, hardship, a child: a person, never a template."""
    assert any(item.startswith(f"{topic}:") for item in sensitive_topics(text)), sensitive_topics(text)
    decision = run(mail(text), model_says("recover_password"))
    assert decision.action is Action.ESCALATE  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "The delivery date has just passed and my parcel is not here.",
        "My husband passed the parcel on to our neighbour.",
        "My son passed on the order number to your courier.",
        "My daughter passed her driving test, can I add her as a driver on the account?",
        "I can't go on the website, it keeps crashing.",
        "I can't go on holiday without my suitcase, where is it?",
        "I lost my son's login details, how do I reset them?",
        "My phone died so I could not receive the code.",
        "Is the late delivery fee refundable?",
        "I'm 12 minutes from the depot, can I collect it?",
        "I'm 13 so far on my loyalty card, can I get the discount?",
        "Can I pay in smaller amounts?",
    ],
)
def test_routine_questions_are_not_vulnerability(text: str) -> None:
    assert not sensitive_topics(text)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        (
            "What is your refund policy? I'm asking before I go to the regulator about how you've treated me.",
            "legal",
        ),
        ("I will be reporting this to the FTC. Where is my order 55290?", "legal"),
        ("I've been in touch with Citizens Advice about my missing order 81234.", "legal"),
        ("Under the Consumer Rights Act I'm entitled to a refund.", "legal"),
        ("How do I reset my password? I'll see you in court.", "legal"),
        ("I will be contacting the Better Business Bureau.", "legal"),
        ("I'm filing a complaint with the BBB.", "legal"),
        ("Expect to hear from my legal representative.", "legal"),
        ("I'm going to the press with this.", "legal"),
        ("I have reported you to Trading Standards.", "legal"),
        ("My lawsuit will cover the costs.", "legal"),
        ("Ich gehe zur Verbraucherzentrale und zu meinem Rechtsanwalt.", "legal"),
        ("Mon avocate vous contactera.", "legal"),
        ("I'm going to file a dispute with Visa.", "chargeback"),
        ("I've opened a claim with PayPal for this order.", "chargeback"),
        ("I've already spoken to my bank about getting my money back.", "chargeback"),
    ],
)
def test_legal_and_regulatory_threats_go_to_a_person(text: str, topic: str) -> None:
    assert any(item.startswith(f"{topic}:") for item in sensitive_topics(text)), sensitive_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "Which voltage regulator fits my e-bike?",
        "Can I collect my order at the food court entrance?",
        "Do the court shoes come in a size 6?",
        "Hi, Sue here. Where is my parcel?",
        "Press the button twice to reset it?",
        "I spoke to my bank and they say the payment went through.",
        "Can I pay with Visa or Mastercard?",
    ],
)
def test_routine_questions_are_not_legal_threats(text: str) -> None:
    assert not sensitive_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "When I click here on the link in your password email nothing happens, and you won't answer the chat either.",
        "You won’t refund my bitcoin payment for an item that never arrived. What are my options?",
        "My father died in March. As his next of kin I have asked you three times to close his account and you "
        "won't do it. Please help.",
        "I am next of kin and executor for my father. Sorting out the inheritance of his estate, I found he still "
        "pays a monthly subscription with you. How do I stop it?",
        "The email says 'claim your reward' but when I click here on the button it just reloads. How do I use my "
        "points?",
    ],
)
def test_a_customer_s_complaint_is_never_spam(text: str) -> None:
    """ "You won't" is not "you won"; next of kin and an inheritance are a bereaved customer's words."""
    assert not spam(text)
    assert run(mail(text)).reason is not Reason.SPAM  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I got a text this morning saying I had won the lottery in your customer draw and to claim your prize I "
        "had to pay a £2.99 delivery fee. I already paid it with my debit card. What do I do now?",
        "Someone rang me yesterday saying they were you and asked for my card number.",
        "I received a call from a man claiming he was from your company.",
        "I got an email asking me to confirm my card details for a parcel.",
    ],
)
def test_a_customer_describing_a_scam_they_received_is_a_fraud_report(text: str) -> None:
    assert any(item.startswith("fraud_report:") for item in sensitive_topics(text)), sensitive_topics(text)
    assert run(mail(text)).action is Action.ESCALATE  # type: ignore[attr-defined]


_SCAM = "Dear customer, you have won a $500 gift card from Example Shop! Click here to claim your prize."


@pytest.mark.parametrize(
    ("subject", "full_text"),
    [
        ("Fwd: Congratulations!", _SCAM),
        ("FW: Congratulations!", _SCAM),
        ("Re: Fwd: Congratulations!", _SCAM),
        ("WG: Gewinn", _SCAM),
        ("转发：恭喜", _SCAM),
        ("VS: Tillykke!", _SCAM),  # Danish, Norwegian
        ("VB: Gefeliciteerd", _SCAM),  # Dutch Outlook
        ("PD: Gratulacje", _SCAM),  # Polish
        # No prefix on the subject, the client's forward marker in the body (the new text is the forwarded mail).
        (
            "Congratulations!",
            "\n---------- Forwarded message ---------\nFrom: Rewards <r@examp1e-shop.win>\nSubject: Congrats\n\n"
            + _SCAM,
        ),
        ("Look at this", "Begin forwarded message:\n\nFrom: Rewards <r@examp1e-shop.win>\n\n" + _SCAM),
    ],
)
def test_a_forwarded_scam_without_words_of_the_customer_goes_to_a_person(
    subject: str, full_text: str
) -> None:
    """A customer passing on a scam mail they got, with no words of their own, was dropped as spam: they were
    reporting it (a mail in our name), and got nothing."""
    decision = run(mail(_SCAM, subject=subject, full_text=full_text))
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.SENSITIVE_TOPIC)  # type: ignore[attr-defined]
    assert decision.detail[0] == "fraud_report:forwarded"  # type: ignore[attr-defined]
    assert "fraud_report:you have won" in decision.detail  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "subject", ["Congratulations!", "Re: Congratulations!", "Forwarding options", "Tr ansfer"]
)
def test_spam_that_is_not_a_forward_is_still_dropped(subject: str) -> None:
    decision = run(mail(_SCAM, subject=subject))
    assert (decision.action, decision.reason) == (Action.NO_REPLY, Reason.SPAM)  # type: ignore[attr-defined]


def test_a_prize_mail_is_still_spam() -> None:
    assert spam("Congratulations, you have won! Click here to claim your prize.")
    assert spam("Dear friend, as next of kin you are due an inheritance of 4.5 million dollars.")
    assert not any(
        item.startswith("fraud_report:")
        for item in sensitive_topics("I got a text saying my parcel is on its way.")
    )


@pytest.mark.parametrize(
    "text",
    [
        "Could you call me? I need to sort out the delivery for order 40021, it's easier by phone.",
        "Please call me back.",
        "How do I reset my password? I'd like a callback.",
        "Can I request a call back about my order?",
        "Could I have a phone call about this?",
        "Who can I speak to about this?",
        "Who can I talk to about my refund?",
        "Please ask a manager to contact me.",
        "I'd like your supervisor to call me.",
        "Is anyone actually reading these? This is my third email about order 66201.",
        "Anybody there?",
        "I'd rather not deal with a bot, please. Where is my order 50982?",
        "Stop sending me automated replies and tell me where my order 12009 actually is.",
        "Put me through to your complaints department. My order 88812 is two weeks late.",
        "Please pass me to your customer service team.",
        "Please reply yourself, not with a template.",
        "Can someone reply personally?",
        "I want a proper person to look at this.",
    ],
)
def test_more_requests_for_a_person_are_heard(text: str) -> None:
    assert asks_for_human(text), text
    assert run(mail(text)).reason is Reason.HUMAN_REQUESTED  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "My kids call me every day about the parcel, where is it?",  # a bare "call me" is not a request
        "Is anyone there on Sunday to hand over the parcel?",
        "What is the callback URL for your webhook?",
        "Who can I send the return label to?",
        "How do I make a complaint about late delivery?",
    ],
)
def test_routine_questions_are_not_requests_for_a_person(text: str) -> None:
    assert not asks_for_human(text)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        (
            "The kettle I bought from you stopped heating after a week. What is your refund policy?",
            "refund_after_failure",
        ),
        ("My headphones won't charge anymore, only had them 10 days.", "refund_after_failure"),
        ("The bottle leaks all over my bag.", "refund_after_failure"),
        ("The wardrobe came with half the screws missing so I can't build it.", "refund_after_failure"),
        ("The desk arrived with missing parts.", "refund_after_failure"),
        ("I got an email saying my password was changed but I didn't change it.", "fraud_report"),
        ("There are orders in my account history I don't recognise.", "fraud_report"),
        ("I think the email address on my account was changed by someone else.", "fraud_report"),
    ],
)
def test_product_failures_and_account_takeovers_go_to_a_person(text: str, topic: str) -> None:
    assert any(item.startswith(f"{topic}:") for item in sensitive_topics(text)), sensitive_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "I stopped receiving your newsletter, how do I subscribe again?",
        "The tracking stopped updating yesterday, where is my parcel?",
        "You won't charge me twice for delivery, will you?",
        "Do you charge for delivery to Cork?",
        "How do I change the email address on my account?",
    ],
)
def test_routine_questions_are_not_failures_or_takeovers(text: str) -> None:
    assert not sensitive_topics(text)
