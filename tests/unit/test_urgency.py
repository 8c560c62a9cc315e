"""Urgency: each cue family adds its points, calm text stays low, contact history counts, the score is capped."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from triage.entities import extract_entities
from triage.urgency import (
    HIGH,
    MONTH_NAMES,
    MONTH_PATTERN,
    NORMAL,
    POINTS,
    Urgency,
    assess_urgency,
    level_for,
)

CALM = "Hello, could you tell me which sizes the blue jacket comes in? Thanks, Sam"


def families(result: Urgency) -> set[str]:
    return {cue.split(":", 1)[0] for cue in result.cues}


def test_calm_text_is_low_with_no_cues() -> None:
    result = assess_urgency(CALM)
    assert result == Urgency(score=0.0, level="low", cues=())


@pytest.mark.parametrize(
    ("family", "text"),
    [
        ("time", "I need the replacement today."),
        ("time", "Please send it by Friday."),
        ("time", "Can you answer within 24 hours?"),
        ("time", "The deadline for the form is close."),
        ("time", "Ich brauche es bis morgen."),
        ("time", "Je dois le recevoir demain."),
        ("immediacy", "Please fix my account immediately."),
        ("immediacy", "Need a reply ASAP"),
        ("immediacy", "This is an emergency, help right now"),
        ("immediacy", "Es urgente, por favor."),
        ("immediacy", "Bitte dringend prüfen."),
        ("legal", "My lawyer will be in touch."),
        ("legal", "I will file a chargeback with my bank."),
        ("legal", "I am reporting this to the regulator under GDPR."),
        ("legal", "Nos vemos en el tribunal, tengo abogado."),
        ("safety", "The charger caught fire overnight."),
        ("safety", "There was smoke coming from the kettle."),
        ("safety", "My daughter had an allergic reaction to the cream."),
        ("safety", "I got an electric shock from the lamp, it is unsafe."),
        ("safety", "Le produit est dangereux, il y a eu un incendie."),
        ("money", "You charged me twice for the same order."),
        ("money", "There is an unauthorised payment on my card, this is fraud."),
        ("money", "Me han cobrado dos veces."),
        ("contacts", "I already emailed you last week and I am still waiting."),
    ],
)
def test_each_family_raises_the_score(family: str, text: str) -> None:
    result = assess_urgency(text)
    assert result.score > assess_urgency(CALM).score
    assert family in families(result)
    assert all(":" in cue for cue in result.cues)


def test_family_points_count_once() -> None:
    one = assess_urgency("I need it today.")
    many = assess_urgency("I need it today, tonight, or tomorrow at the latest.")
    assert one.score == many.score == POINTS["time"]
    assert len(many.cues) > len(one.cues)


def test_child_counts_only_beside_a_hazard() -> None:
    assert assess_urgency("I bought this as a gift for my child.").score == 0.0
    hazard = assess_urgency("My child burned her hand on the charger.")
    assert {"safety:child", "safety:burned"} <= set(hazard.cues)
    assert hazard.level == "high"


def test_negated_urgency_does_not_count() -> None:
    result = assess_urgency("This is not urgent, no rush at all.")
    assert result.level == "low"
    assert families(result) == {"calm"}
    assert (
        assess_urgency("Urgent: today please, but no rush on the invoice").score
        < assess_urgency("Urgent: today please").score
    )


def test_prior_contacts_raise_the_score() -> None:
    none = assess_urgency(CALM)
    once = assess_urgency(CALM, prior_contacts=1)
    thrice = assess_urgency(CALM, prior_contacts=3)
    assert none.score < once.score < thrice.score
    assert "contacts:3 earlier" in thrice.cues
    assert thrice.level == "normal"
    assert assess_urgency("This is the third time I write about this.").score == POINTS["contacts_many"]


def test_anger_adds_a_little() -> None:
    angry = assess_urgency(CALM, emotion="anger")
    assert angry.score == pytest.approx(POINTS["emotion"])
    assert angry.level == "low"
    assert assess_urgency(CALM, emotion="gratitude").score == 0.0


def test_score_is_capped_at_one() -> None:
    text = "URGENT: the heater caught fire, my lawyer says this is fraud, you charged me twice, fix it today!"
    result = assess_urgency(text, prior_contacts=5, emotion="anger")
    assert result.score == 1.0
    assert result.level == "high"
    assert families(result) >= {"safety", "legal", "immediacy", "money", "time", "contacts", "emotion"}


def test_dates_soon_need_a_deadline_word_or_today() -> None:
    assert assess_urgency("We met on 3 May.").score == 0.0
    assert "time:3 may" in assess_urgency("Please deliver by 3 May.").cues
    assert "time:3 may" in assess_urgency("My flight is on 3 May.", today=date(2024, 5, 1)).cues
    assert assess_urgency("My flight is on 3 May.", today=date(2024, 3, 1)).score == 0.0
    assert "time:2025-01-02" in assess_urgency("Event on 2025-01-02", today=date(2024, 12, 31)).cues


@pytest.mark.parametrize("month", range(1, 13))
def test_a_month_by_name_or_abbreviation_is_read_as_a_date_by_urgency_and_the_entities(month: int) -> None:
    name = MONTH_NAMES[month - 1]
    for written in {name, name[:3], name.title(), name[:3].upper() + ".", "sept" if month == 9 else name}:
        assert re.fullmatch(MONTH_PATTERN, written.rstrip("."), re.IGNORECASE), written
        # A date with no deadline word counts only when it is soon: so only when its month was read right.
        text = f"My flight is on 9 {written}"
        cue = f"time:9 {written.rstrip('.').lower()}"
        assert cue in assess_urgency(text, today=date(2024, month, 8)).cues, written
        assert assess_urgency(text, today=date(2024, month, 8) - timedelta(days=60)).score == 0.0, written
        assert extract_entities(f"It was ordered on 9 {written} and not sent").dates == (f"9 {written}",)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, "low"),
        (NORMAL - 0.01, "low"),
        (NORMAL, "normal"),
        (HIGH - 0.01, "normal"),
        (HIGH, "high"),
        (1.0, "high"),
    ],
)
def test_levels(score: float, level: str) -> None:
    assert level_for(score) == level


def test_levels_of_typical_messages() -> None:
    assert assess_urgency("Urgent, I need it today").level == "high"
    assert assess_urgency("Please reply by Friday").level == "normal"
    assert assess_urgency("The toaster started to smoke").level == "high"
    assert assess_urgency("Guten Morgen, eine Frage zur Rechnung").level == "low"


def test_deterministic() -> None:
    text = "Charged twice, urgent, my lawyer is involved"
    assert assess_urgency(text) == assess_urgency(text)


@pytest.mark.parametrize(
    "text",
    [
        "URGENT: my CHILD was BURNED, I will call my Lawyer tomorrow, by 3 May",
        "No rush — NOT URGENT. Still Waiting since Friday, Third Time I write!!",
        "İNJURY from the heater, ſue them, \u212a",  # characters where lower() and re.IGNORECASE differ
        "Charged TWICE on 2026-11-05, Sofort bitte, dès que possible",
    ],
)
def test_the_lower_case_fast_path_finds_what_the_caseless_patterns_find(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the score with the fast path, when it is forced off, then nothing changes.
    import triage.urgency as urgency

    fast = assess_urgency(text, emotion="anger", today=date(2026, 11, 4))
    monkeypatch.setattr(urgency, "exact_lower", lambda _text: None)
    assert assess_urgency(text, emotion="anger", today=date(2026, 11, 4)) == fast


@pytest.mark.parametrize(
    "text",
    [
        "How long does delivery take for the corner sofa in smoke grey? I'd like it before Friday.",
        "What delivery options do you have for the burnt orange armchair? Can it come by the weekend?",
        "How long does delivery of the garden fire pit usually take?",
        "Do you sell fire guards for a fireplace?",
        "Is the smoke alarm in stock? I need two smoke detectors.",
        "Hi, Sue here. Can it come by Friday?",
        "Do the court shoes come in a size 6?",
    ],
)
def test_colours_product_names_and_names_are_not_safety_or_legal(text: str) -> None:
    assert not families(assess_urgency(text)) & {"safety", "legal"}, assess_urgency(text).cues


@pytest.mark.parametrize(
    "text",
    [
        "The sofa caught fire last night.",
        "There was smoke coming out of the charger.",
        "The heater burnt my hand.",
        "The fire alarm went off because the toaster was on fire.",
        "I will sue you.",
        "See you in court.",
    ],
)
def test_hazards_and_threats_still_count(text: str) -> None:
    assert families(assess_urgency(text)) & {"safety", "legal"}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("This is my fourth email about order 55015. Where is my order?", "contacts:fourth email"),
        ("Per my previous email, I still can't reset my password.", "contacts:per my previous email"),
        ("As I said before, the parcel never came.", "contacts:as i said before"),
        (
            "Your colleague on the phone on Friday promised the invoice would be sent.",
            "contacts:your colleague",
        ),
        ("I have emailed you about this three times now.", "contacts:emailed you about this three times"),
        ("I've rung your helpline 4 times this week.", "contacts:rung your helpline 4 times"),
        ("I still haven't heard back about my refund.", "contacts:haven't heard back"),
        ("We have not heard anything from you since March.", "contacts:have not heard anything from you"),
        (
            "I followed the instructions two times and it still fails.",
            "contacts:followed the instructions two times",
        ),
        ("I've unsubscribed 3 times already.", "contacts:unsubscribed 3 times"),
    ],
)
def test_a_customer_saying_they_wrote_before_is_a_repeat_contact(text: str, cue: str) -> None:
    assert any(found.startswith(cue) for found in assess_urgency(text).cues), assess_urgency(text).cues


@pytest.mark.parametrize(
    "text",
    [
        "I need to reset my password, I typed it wrong too many times.",
        "My card was blocked after I entered the PIN too many times.",
        "My second attempt at paying went through.",
        # Round 6's routine letters: a wait for news, a button pressed twice, are no earlier contact.
        "I haven't heard anything since the order confirmation. Where is my parcel now?",
        "I clicked the reset button two times and no email arrived. How do I reset my password?",
        "We have not heard from the courier yet; when should it come?",
    ],
)
def test_tries_of_the_customers_own_are_no_earlier_contact(text: str) -> None:
    assert not [cue for cue in assess_urgency(text).cues if cue.startswith("contacts:")]
