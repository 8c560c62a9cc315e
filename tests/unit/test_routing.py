"""Routing: each team gets its intents, the VIP desk its segment, overrides their cases, urgent its rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from triage.classifier import IntentModel
from triage.emotion import EmotionReading
from triage.escalation import Escalation, build_escalation
from triage.message import Address, Channel, InboundMessage
from triage.policy import EscalateDecision, Reason
from triage.routing import (
    RoutingConfig,
    RoutingError,
    dead_letter_queue_name,
    load_routing,
    parse_routing,
    queue_name,
    route,
)
from triage.summary import Summary
from triage.urgency import Urgency

ROUTING = Path(__file__).resolve().parents[2] / "infra" / "routing.json"
CONFIG = load_routing(ROUTING)

TEAM_INTENTS = {
    "orders": [
        "track_order",
        "delivery_options",
        "delivery_period",
        "change_order",
        "cancel_order",
        "place_order",
        "change_shipping_address",
        "set_up_shipping_address",
    ],
    "billing": [
        "get_refund",
        "track_refund",
        "check_refund_policy",
        "payment_issue",
        "check_payment_methods",
        "check_invoice",
        "get_invoice",
        "check_cancellation_fee",
    ],
    "accounts": [
        "create_account",
        "delete_account",
        "edit_account",
        "recover_password",
        "registration_problems",
        "switch_account",
        "newsletter_subscription",
    ],
    "complaints": ["complaint", "review"],
    "general": ["contact_customer_service", "contact_human_agent", None],
}


def escalation(
    intent: str | None = "track_order",
    reason: Reason = Reason.LOW_CONFIDENCE,
    detail: tuple[str, ...] = (),
    emotion: tuple[str, float] | None = None,
    urgency: str | None = None,
    topics: tuple[str, ...] = (),
) -> Escalation:
    return Escalation(
        message_key="key-1",
        message_id="<m1@mail.customer.example.net>",
        channel=Channel.EMAIL,
        provider="ses",
        customer=Address(name="Jane", address="jane@customer.example.net"),
        subject="Order",
        intent=intent,
        confidence=0.5 if intent else None,
        reason=reason,
        reason_text="why",
        reason_detail=detail,
        topics=topics,
        summary=Summary(),
        emotion=EmotionReading(label=emotion[0], confidence=emotion[1], negative=True, cues=())
        if emotion
        else None,
        urgency=Urgency(score=0.6 if urgency == "high" else 0.1, level=urgency, cues=()) if urgency else None,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("team", "intent"), [(team, intent) for team, intents in TEAM_INTENTS.items() for intent in intents]
)
def test_each_team_gets_its_intents(team: str, intent: str | None) -> None:
    assert route(escalation(intent), "retail", CONFIG) == (team, "normal")


def test_every_intent_of_the_bundled_model_has_a_team_or_falls_to_general(model: IntentModel) -> None:
    # Given the routing file, When it names intents, Then they are the model's own labels (no typo routes nothing).
    named = {intent for intents in CONFIG.intents.teams.values() for intent in intents}
    assert named <= set(model.labels)
    assert set(model.labels) - named == {"contact_customer_service", "contact_human_agent"}


@pytest.mark.parametrize("intent", ["get_refund", "track_order", "complaint", None])
def test_the_vip_segment_goes_to_the_vip_desk_urgently_whatever_it_is_about(intent: str | None) -> None:
    assert route(escalation(intent), "vip", CONFIG) == ("vip", "urgent")


@pytest.mark.parametrize("segment", ["retail", "b2b", "healthcare", None])
def test_other_segments_are_routed_by_topic(segment: str | None) -> None:
    assert route(escalation("get_invoice"), segment, CONFIG).team == "billing"


@pytest.mark.parametrize(
    ("intent", "detail", "team"),
    [
        ("track_order", ("legal:lawyer",), "complaints"),
        ("get_refund", ("chargeback:called my bank", "intent:get_refund"), "complaints"),
        ("cancel_order", ("complaint:formal complaint",), "complaints"),
        ("place_order", ("safety:caught fire",), "complaints"),
        ("edit_account", ("data_protection:gdpr",), "accounts"),
        ("contact_customer_service", ("refund_after_failure:stopped working",), "billing"),
        ("change_order", ("refund_after_failure:stopped working",), "orders"),  # the intent is clear
        ("get_refund", ("intent:get_refund",), "billing"),  # sensitive only because of the intent
    ],
)
def test_sensitive_topics_override_the_intent(intent: str, detail: tuple[str, ...], team: str) -> None:
    assert route(escalation(intent, Reason.SENSITIVE_TOPIC, detail), "retail", CONFIG).team == team


def test_an_angry_customer_the_model_could_not_place_goes_to_complaints() -> None:
    angry = escalation("contact_human_agent", Reason.NEGATIVE_EMOTION, emotion=("anger", 0.7))
    assert route(angry, "retail", CONFIG) == ("complaints", "urgent")
    # An angry customer whose request is clear stays with the team that can fix it, at the front of the line.
    late = escalation("track_order", Reason.NEGATIVE_EMOTION, emotion=("anger", 0.7))
    assert route(late, "retail", CONFIG) == ("orders", "urgent")


@pytest.mark.parametrize(
    ("fields", "priority"),
    [
        ({"urgency": "high"}, "urgent"),
        ({"urgency": "normal"}, "normal"),
        ({"urgency": "low"}, "normal"),
        ({"emotion": ("anger", 0.6)}, "urgent"),
        ({"emotion": ("anger", 0.59)}, "normal"),
        ({"emotion": ("disappointment", 0.9)}, "normal"),
        ({"reason": Reason.HUMAN_REQUESTED}, "urgent"),
        ({"reason": Reason.NEGATIVE_EMOTION}, "urgent"),
        ({"reason": Reason.SENSITIVE_TOPIC}, "urgent"),
        ({"reason": Reason.REPEAT_CONTACT}, "urgent"),
        ({"reason": Reason.LOW_CONFIDENCE}, "normal"),
        ({"reason": Reason.NO_TEMPLATE}, "normal"),
        ({"reason": Reason.SHADOW_MODE}, "normal"),
    ],
)
def test_urgent_rules(fields: dict[str, Any], priority: str) -> None:
    assert route(escalation("track_order", **fields), "retail", CONFIG).priority == priority


def test_urgent_lists_are_configurable() -> None:
    data = json.loads(ROUTING.read_text())
    data["urgent"] = {"urgency_levels": ["normal", "high"], "emotions": {}, "reasons": [], "segments": []}
    config = RoutingConfig.model_validate(data)
    assert route(escalation(urgency="normal"), "vip", config) == ("vip", "urgent")
    assert route(escalation(reason=Reason.HUMAN_REQUESTED), "vip", config) == ("vip", "normal")


def test_queue_names() -> None:
    assert queue_name("triage-esc-", "billing", "urgent") == "triage-esc-billing-urgent"
    assert dead_letter_queue_name("triage-esc-", "vip", "normal") == "triage-esc-vip-normal-dlq"
    for team in CONFIG.team_names:
        for priority in ("urgent", "normal"):
            assert len(dead_letter_queue_name("triage-esc-prod-", team, priority)) <= 80


@pytest.mark.parametrize(
    ("prefix", "team", "priority", "problem"),
    [
        ("triage.esc.", "vip", "urgent", "only letters, digits"),
        ("x" * 75, "vip", "urgent", "longer than 80"),
        ("triage-esc-", "vip", "high", "priority must be one of urgent, normal"),
    ],
)
def test_queue_names_stay_sqs_valid(prefix: str, team: str, priority: str, problem: str) -> None:
    with pytest.raises(RoutingError, match=problem):
        queue_name(prefix, team, priority)


def _with(**changes: Any) -> str:
    data = json.loads(ROUTING.read_text())
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"default_team": "sales"}, "default_team: unknown team 'sales'"),
        ({"segments__teams": {"vip": "vip_desk"}}, "segments.teams.vip: unknown team 'vip_desk'"),
        ({"intents__teams": {"finance": ["get_refund"]}}, "intents.teams.finance: unknown team 'finance'"),
        (
            {"intents__teams__accounts": ["get_refund"]},
            "intents.teams.accounts: intent 'get_refund' already belongs to 'billing'",
        ),
        ({"overrides__0__team": "legal"}, "overrides.0.team: unknown team 'legal'"),
        ({"overrides__3__from_teams": ["nobody"]}, "overrides.3.from_teams: unknown team 'nobody'"),
        ({"overrides__1": {"team": "accounts"}}, "overrides.1: an override needs at least one of"),
        ({"overrides__0__reasons": ["legal"]}, "overrides.0.reasons.0: Input should be"),
        (
            {"urgent__emotions": {"anger": 1.5}},
            "urgent.emotions.anger: Input should be less than or equal to 1",
        ),
        ({"urgent__urgency_levels": ["critical"]}, "urgent.urgency_levels.0: Input should be"),
        ({"urgent__segment": ["vip"]}, "urgent.segment: Extra inputs are not permitted"),
        ({"teams": {"billing refunds": ""}}, "teams.billing refunds: a team name is"),
        ({"teams": {}}, "teams: at least one team is needed"),
    ],
)
def test_config_errors_name_the_field(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(RoutingError) as caught:
        parse_routing(_with(**changes), "routing.json")
    assert str(caught.value).startswith("routing.json: invalid routing: ")
    assert named in str(caught.value)


def test_an_unreadable_file_is_a_routing_error(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="cannot read the routing file"):
        load_routing(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RoutingError, match="invalid routing"):
        load_routing(tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("intent", "reason", "detail", "topics", "team"),
    [
        # An angry customer's chargeback: anger fired first, the chargeback still decides the team.
        (
            "check_cancellation_fee",
            Reason.NEGATIVE_EMOTION,
            ("ridiculous", "!!"),
            ("legal:lawyer", "chargeback:chargeback"),
            "complaints",
        ),
        ("track_order", Reason.HUMAN_REQUESTED, ("talk to a person",), ("safety:caught fire",), "complaints"),
        ("contact_human_agent", Reason.HUMAN_REQUESTED, ("a person",), ("data_protection:gdpr",), "accounts"),
        # The failed-product rule still needs the topic to be the reason: an upset customer is not sent to billing.
        (
            "contact_customer_service",
            Reason.NEGATIVE_EMOTION,
            ("unacceptable",),
            ("refund_after_failure:stopped working",),
            "general",
        ),
        # Detail that merely looks like a topic ("anger:0.81") is not one when another reason fired.
        ("track_order", Reason.NEGATIVE_EMOTION, ("legal:0.81",), (), "orders"),
    ],
)
def test_sensitive_topics_route_whatever_reason_fired_first(
    intent: str, reason: Reason, detail: tuple[str, ...], topics: tuple[str, ...], team: str
) -> None:
    assert route(escalation(intent, reason, detail, topics=topics), "retail", CONFIG).team == team


def test_the_escalation_keeps_the_topics_when_anger_fires_first() -> None:
    # Given an angry customer's legal threat and chargeback, escalated for the anger
    message = InboundMessage(
        id="inbound/angry-chargeback",
        dedupe_key="ses:angry-chargeback",
        channel=Channel.EMAIL,
        provider="ses",
        message_id="<angry@example.org>",
        **{"from": Address(name="A", address="a1@example.org")},
        subject="Double charge",
        text="This is absolutely ridiculous!! You charged my card twice for order 55120. I am filing a "
        "chargeback with my bank and my lawyer will hear about this.",
    )
    decision = EscalateDecision(
        message_key=message.id,
        reason=Reason.NEGATIVE_EMOTION,
        detail=("ridiculous", "!!"),
        intent="check_cancellation_fee",
    )
    # When it is built and routed
    built = build_escalation(message, decision)
    # Then the topics are on it and customer relations gets it, not billing
    assert {topic.partition(":")[0] for topic in built.topics} == {"legal", "chargeback"}
    assert route(built, "retail", CONFIG).team == "complaints"


@pytest.mark.parametrize(
    "topic",
    [
        "self_harm:ending it all",
        "safeguarding:not safe at home",
        "bereavement:passed away",
        "vulnerability:hardship",
    ],
)
def test_a_vulnerable_customer_reaches_customer_relations_whatever_they_asked(topic: str) -> None:
    """A password question from a customer who mentions self-harm is not an accounts task."""
    built = escalation("recover_password", Reason.SENSITIVE_TOPIC, (topic,), topics=(topic,))
    assert route(built, "retail", CONFIG).team == "complaints"
