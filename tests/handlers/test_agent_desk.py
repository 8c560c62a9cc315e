"""The agent desk over moto SQS and S3: depth, urgent first, claim/release/resolve, feedback, claim check, CLI."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from triage import agent as agent_module
from triage import agent_cli, local
from triage import summary as summary_module
from triage.agent import (
    MAX_SET_ASIDE,
    AgentDesk,
    AgentError,
    Claim,
    Pulled,
    mask_address,
    read_feedback,
    render_escalation,
)
from triage.conversation import ContactHistory, ContactRecord
from triage.emotion import EmotionReading
from triage.entities import Entities
from triage.escalation import Escalation, build_escalation
from triage.message import Address, Channel, InboundMessage, RawPointer
from triage.policy import EscalateDecision, Reason
from triage.replies import ReplyStyle, ReplyTemplates
from triage.routing import load_routing, queue_name
from triage.summary import Summary
from triage.urgency import Urgency

PREFIX = "test-esc-"
ROUTING = Path(__file__).resolve().parents[2] / "infra" / "routing.json"
TEAMS = load_routing(ROUTING).team_names
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def escalation(key: str, intent: str = "get_refund", **fields: Any) -> Escalation:
    base: dict[str, Any] = {
        "message_key": key,
        "message_id": f"<{key}@mail.customer.example.net>",
        "channel": Channel.EMAIL,
        "provider": "ses",
        "customer": Address(name="Jane Doe", address="jane.doe@example.org"),
        "subject": "Charged twice for order 4411",
        "intent": intent,
        "confidence": 0.62,
        "top_k": ((intent, 0.62), ("payment_issue", 0.21)),
        "reason": Reason.NEGATIVE_EMOTION,
        "reason_text": "The customer sounds upset; a person should answer.",
        "reason_detail": ("anger:0.81",),
        "summary": Summary(
            key_points=("I was charged twice for order #4411.", "I want the second charge refunded today."),
            entities=Entities(order_numbers=("4411",), amounts=("$59.90",), dates=("today",)),
            emotion_cues=("charged twice",),
            word_count=14,
        ),
        "suggested_reply": "[DRAFT - review before sending]\n\nHello Jane, we are sorry ...",
        "raw": RawPointer(bucket="triage-raw-mail-test", key=f"inbound/{key}", size=48_213),
        "emotion": EmotionReading(label="anger", confidence=0.81, negative=True, cues=("ridiculous",)),
        "urgency": Urgency(score=0.6, level="high", cues=("money:charged twice", "time:today")),
        "model_version": "intent-2026-11",
        "created_at": CREATED,
    }
    return Escalation(**(base | fields))


@pytest.fixture
def sqs(stack: local.Stack) -> Any:
    client = boto3.client("sqs", region_name=local.REGION)
    local.create_team_queues(client, PREFIX, TEAMS)
    return client


@pytest.fixture
def s3(stack: local.Stack) -> Any:
    return boto3.client("s3", region_name=local.REGION)


@pytest.fixture
def desk(sqs: Any, s3: Any, stack: local.Stack) -> AgentDesk:
    return AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, clock=lambda: NOW)


def send(sqs: Any, team: str, priority: str, body: Escalation | dict[str, Any], **attributes: str) -> None:
    url = sqs.get_queue_url(QueueName=queue_name(PREFIX, team, priority))["QueueUrl"]
    text = body.model_dump_json() if isinstance(body, Escalation) else json.dumps(body)
    sqs.send_message(
        QueueUrl=url,
        MessageBody=text,
        MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        },
    )


def test_team_queues_have_their_dead_letter_queues(sqs: Any) -> None:
    url = sqs.get_queue_url(QueueName="test-esc-billing-urgent")["QueueUrl"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    assert redrive["deadLetterTargetArn"].endswith(":test-esc-billing-urgent-dlq")
    assert int(redrive["maxReceiveCount"]) == 10  # template.yaml: released and pulled again 10 times


def test_queues_report_depth_for_every_team_and_priority(desk: AgentDesk, sqs: Any) -> None:
    # Given two urgent billing escalations and one normal orders escalation
    send(sqs, "billing", "urgent", escalation("k1"))
    send(sqs, "billing", "urgent", escalation("k2"))
    send(sqs, "orders", "normal", escalation("k3", "track_order"))
    desk.pull("billing")
    # When the desk lists the queues
    rows = desk.queues()
    # Then every team x priority is there, with its depth and claimed count, and no invented age
    assert [(row["team"], row["priority"]) for row in rows] == [
        (team, priority) for team in TEAMS for priority in ("urgent", "normal")
    ]
    counts = {(row["team"], row["priority"]): (row["depth"], row["in_flight"]) for row in rows}
    assert counts[("billing", "urgent")] == (1, 1)
    assert counts[("orders", "normal")] == (1, 0)
    assert sum(depth for depth, _ in counts.values()) == 2
    assert {row["oldest_age_s"] for row in rows} == {None}


def test_oldest_age_comes_from_cloudwatch_when_a_client_is_given(
    sqs: Any, s3: Any, stack: local.Stack
) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=local.REGION)
    cloudwatch.put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": "test-esc-vip-urgent"}],
                "Value": 421.0,
            }
        ],
    )
    desk = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, cloudwatch=cloudwatch)
    ages = {(row["team"], row["priority"]): row["oldest_age_s"] for row in desk.queues()}
    assert ages[("vip", "urgent")] == 421
    assert ages[("vip", "normal")] is None


def test_pull_takes_urgent_before_normal(desk: AgentDesk, sqs: Any) -> None:
    send(sqs, "billing", "normal", escalation("normal-1"))
    send(sqs, "billing", "urgent", escalation("urgent-1"))
    first, second = desk.pull("billing"), desk.pull("billing")
    assert first is not None
    assert second is not None
    assert (first.priority, first.escalation["message_key"]) == ("urgent", "urgent-1")
    assert (second.priority, second.escalation["message_key"]) == ("normal", "normal-1")
    assert desk.pull("billing") is None


def test_a_pulled_escalation_is_claimed_until_released(desk: AgentDesk, sqs: Any) -> None:
    send(sqs, "accounts", "normal", escalation("k1", "recover_password"))
    pulled = desk.pull("accounts")
    assert pulled is not None
    assert pulled.receive_count == 1
    # Another agent pulling now gets nothing: the message is claimed.
    assert desk.pull("accounts") is None
    desk.release(pulled.id)
    again = desk.pull("accounts")
    assert again is not None
    assert (again.escalation["message_key"], again.receive_count) == ("k1", 2)
    assert again.id != pulled.id  # a new receipt handle, a new claim


def test_extend_keeps_the_claim(desk: AgentDesk, sqs: Any) -> None:
    send(sqs, "accounts", "normal", escalation("k1", "recover_password"))
    pulled = desk.pull("accounts", visibility_s=1)
    assert pulled is not None
    desk.extend(pulled.id, 600)
    assert desk.pull("accounts") is None
    with pytest.raises(AgentError, match="0-43200 seconds"):
        desk.extend(pulled.id, 50_000)


def test_resolve_writes_feedback_then_deletes(desk: AgentDesk, sqs: Any, s3: Any, stack: local.Stack) -> None:
    send(sqs, "billing", "urgent", escalation("k1"), segment="retail")
    pulled = desk.pull("billing")
    assert pulled is not None
    record = desk.resolve(
        pulled.id, intent="payment_issue", outcome="faq-candidate", note="double charge", agent="ana"
    )
    # The record: the model's view, the agent's label, the outcome, and of the text only the key points.
    assert record == {
        "message_key": "k1",
        "team": "billing",
        "priority": "urgent",
        "segment": "retail",
        "model_intent": "get_refund",
        "model_confidence": 0.62,
        "model_version": "intent-2026-11",
        "reason": "negative_emotion",
        "emotion": "anger",
        "urgency": "high",
        "language": None,
        "key_points": ["I was charged twice for order #4411.", "I want the second charge refunded today."],
        "created_at": "2026-11-20T09:30:00Z",
        "receive_count": 1,
        "schema_version": 1,
        "agent_intent": "payment_issue",
        "outcome": "faq-candidate",
        "note": "double charge",
        "agent": "ana",
        "resolved_at": "2026-11-27T10:00:00+00:00",
    }
    text = json.dumps(record)
    assert "jane" not in text.lower()
    assert "Charged twice for order 4411" not in text  # the subject stays out
    # Stored once, under the escalation's day, and read back.
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=stack.bucket)["Contents"]]
    assert keys == ["feedback/2026/11/20/k1.json"]  # the claim record is gone
    assert read_feedback(s3, stack.bucket) == [record]
    # The message is gone: nothing to pull, nothing in flight, and the claim cannot be used again.
    assert desk.pull("billing") is None
    assert {row["in_flight"] for row in desk.queues()} == {0}
    with pytest.raises(AgentError, match="no longer valid"):
        desk.resolve(pulled.id, intent="payment_issue", outcome="replied")


def test_resolve_in_another_process_uses_the_claim_record(sqs: Any, s3: Any, stack: local.Stack) -> None:
    send(sqs, "vip", "urgent", escalation("k9", "track_order"), segment="vip")
    pulled = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket).pull("vip")
    assert pulled is not None
    later = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, clock=lambda: NOW)
    record = later.resolve(pulled.id, intent="track_order", outcome="replied")
    assert (record["model_intent"], record["segment"], record["key_points"][0]) == (
        "track_order",
        "vip",
        "I was charged twice for order #4411.",
    )


def test_a_claim_that_ran_out_cannot_touch_the_next_agents_pull(
    sqs: Any, s3: Any, stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given agent A's claim that ran out, and agent B who pulled the escalation since
    send(sqs, "complaints", "urgent", escalation("k1", "complaint"))
    ana = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, clock=lambda: NOW)
    ben = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, clock=lambda: NOW)
    stale = ana.pull("complaints", visibility_s=1)
    assert stale is not None
    time.sleep(1.2)
    current = ben.pull("complaints", visibility_s=900)
    assert current is not None
    assert current.receive_count == 2
    # When A extends, releases or resolves with the old claim
    for call in (
        lambda: ana.extend(stale.id, 600),
        lambda: ana.release(stale.id),
        lambda: ana.resolve(stale.id, intent="complaint", outcome="replied", agent="ana"),
    ):
        # Then each is refused in one sentence, and B's claim is untouched
        with pytest.raises(AgentError, match="another agent has pulled the escalation since"):
            call()
    assert ana.pull("complaints") is None  # still claimed by B: A's release did not put it back
    assert read_feedback(s3, stack.bucket) == []  # A's resolve wrote nothing
    assert ben.resolve(current.id, intent="complaint", outcome="replied", agent="ben")["agent"] == "ben"
    # And once B resolved it, A's claim is simply no longer valid
    with pytest.raises(AgentError, match="this claim is no longer valid"):
        ana.release(stale.id)


def test_read_feedback_since(desk: AgentDesk, sqs: Any, s3: Any, stack: local.Stack) -> None:
    times = iter([NOW - timedelta(days=3), NOW])
    timed = AgentDesk(sqs, s3, PREFIX, TEAMS, stack.bucket, clock=lambda: next(times))
    for key in ("old", "new"):
        send(sqs, "general", "normal", escalation(key, "contact_human_agent"))
        pulled = timed.pull("general")
        assert pulled is not None
        timed.resolve(pulled.id, intent="contact_human_agent", outcome="closed")
    assert [r["message_key"] for r in read_feedback(s3, stack.bucket)] == ["old", "new"]
    assert [r["message_key"] for r in read_feedback(s3, stack.bucket, since=NOW - timedelta(days=1))] == [
        "new"
    ]


def test_a_claim_check_pointer_is_fetched_from_s3(
    desk: AgentDesk, sqs: Any, s3: Any, stack: local.Stack
) -> None:
    full = escalation("big-1", suggested_reply="x" * 200_000)
    s3.put_object(Bucket=stack.bucket, Key="escalations/big-1.json", Body=full.model_dump_json().encode())
    pointer = {
        "claim_check": {"bucket": stack.bucket, "key": "escalations/big-1.json"},
        "message_key": "big-1",
        "segment": "b2b",
    }
    send(sqs, "billing", "normal", pointer)
    pulled = desk.pull("billing")
    assert pulled is not None
    assert pulled.escalation["suggested_reply"] == "x" * 200_000
    assert pulled.escalation["summary"]["key_points"][0] == "I was charged twice for order #4411."
    assert pulled.segment == "b2b"


class RecordingLogger:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, message: str, *, extra: dict[str, Any]) -> None:
        self.warnings.append((message, extra))

    def debug(self, message: str, *, extra: dict[str, Any]) -> None:
        pass


def test_an_unreadable_escalation_is_set_aside_and_the_desk_goes_on(
    desk: AgentDesk, sqs: Any, stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = RecordingLogger()
    monkeypatch.setattr(agent_module, "logger", log)
    # Given a dangling claim-check pointer and a body that is not JSON ahead of readable escalations
    send(sqs, "general", "urgent", {"claim_check": {"bucket": stack.bucket, "key": "escalations/gone.json"}})
    url = sqs.get_queue_url(QueueName=queue_name(PREFIX, "general", "urgent"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    send(sqs, "general", "normal", escalation("readable", "contact_human_agent"))
    # When an agent pulls
    pulled = desk.pull("general")
    # Then they get the readable one at once, in the same pull
    assert pulled is not None
    assert pulled.escalation["message_key"] == "readable"
    # And the unreadable ones are set aside, not deleted: in flight, on their way to the DLQ by receive count
    urgent = next(row for row in desk.queues() if (row["team"], row["priority"]) == ("general", "urgent"))
    assert (urgent["depth"], urgent["in_flight"]) == (0, 2)
    # And the log names them by id only
    warnings = [extra for message, extra in log.warnings if message == "unreadable escalation set aside"]
    assert sorted(extra["problem"] for extra in warnings) == ["body_not_json", "claim_check_missing"]
    assert all("gone.json" not in json.dumps(extra) for extra in warnings)


def test_a_pull_that_meets_only_unreadable_escalations_stops_and_says_so(desk: AgentDesk, sqs: Any) -> None:
    url = sqs.get_queue_url(QueueName=queue_name(PREFIX, "orders", "urgent"))["QueueUrl"]
    for _ in range(MAX_SET_ASIDE + 2):
        sqs.send_message(QueueUrl=url, MessageBody="not json")
    with pytest.raises(AgentError, match=f"{MAX_SET_ASIDE} unreadable escalations in a row were set aside"):
        desk.pull("orders")
    # The rest are still waiting; nothing was deleted
    urgent = next(row for row in desk.queues() if (row["team"], row["priority"]) == ("orders", "urgent"))
    assert (urgent["depth"], urgent["in_flight"]) == (2, MAX_SET_ASIDE)


def test_a_desk_that_cannot_read_claim_checks_puts_the_message_straight_back(
    sqs: Any, stack: local.Stack
) -> None:
    # The desk's fault (no S3 client), not the message's: back at once, not set aside towards the DLQ.
    send(sqs, "general", "normal", {"claim_check": {"bucket": stack.bucket, "key": "escalations/big.json"}})
    desk = AgentDesk(sqs, None, PREFIX, TEAMS, None)
    with pytest.raises(AgentError, match=r"no S3 client was given.*put back"):
        desk.pull("general")
    assert desk.queues()[-1]["depth"] == 1  # general-normal: pullable again at once


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: d.pull("sales"), "unknown team 'sales'; the teams are: orders, billing"),
        (lambda d: d.release("not-a-claim"), "'not-a-claim' is not a claim ID"),
        (lambda d: d.resolve("bm9wZQ", intent="x", outcome="replied"), "is not a claim ID"),
        (
            lambda d: d.release(Claim("vip", "urgent", "k", "stale-handle").encode()),
            "this claim is no longer valid",
        ),
    ],
)
def test_errors_are_sentences(desk: AgentDesk, call: Any, message: str) -> None:
    with pytest.raises(AgentError, match=message):
        call(desk)


def test_a_pull_that_cannot_record_its_claim_puts_the_message_back(sqs: Any, s3: Any) -> None:
    send(sqs, "vip", "normal", escalation("k1"))
    desk = AgentDesk(sqs, s3, PREFIX, TEAMS, "no-such-feedback-bucket")
    with pytest.raises(AgentError, match="the bucket does not exist"):
        desk.pull("vip")
    assert AgentDesk(sqs, s3, PREFIX, TEAMS, None).pull("vip") is not None


def test_a_missing_queue_is_named(sqs: Any, s3: Any, stack: local.Stack) -> None:
    desk = AgentDesk(sqs, s3, "other-", TEAMS, stack.bucket)
    with pytest.raises(AgentError, match="the queue other-orders-urgent does not exist"):
        desk.queues()


def test_resolve_needs_a_feedback_bucket_and_a_sane_label(sqs: Any) -> None:
    send(sqs, "complaints", "normal", escalation("k1", "complaint"))
    desk = AgentDesk(sqs, None, PREFIX, TEAMS, None)
    pulled = desk.pull("complaints")
    assert pulled is not None
    with pytest.raises(AgentError, match="no feedback bucket"):
        desk.resolve(pulled.id, intent="complaint", outcome="replied")
    with pytest.raises(AgentError, match="an intent label is"):
        desk.resolve(pulled.id, intent="rm -rf /", outcome="replied")


# --- rendering -----------------------------------------------------------------------------------------------
def pulled_of(esc: Escalation) -> Pulled:
    return Pulled("CLAIM123", json.loads(esc.model_dump_json()), "urgent", "billing", 2, "retail")


def test_the_rendering_has_what_the_agent_needs_and_masks_the_address() -> None:
    text = render_escalation(pulled_of(escalation("k1")))
    for expected in (
        "[URGENT] billing · message k1 · segment retail · received 2 times",
        "Jane Doe <j***@example.org>",
        "Why a person: The customer sounds upset; a person should answer. [negative_emotion]",
        "Intent:     get_refund (62%)  · also payment_issue 21%",
        'Emotion:    anger (0.81) — "ridiculous"',
        "Urgency:    high (0.60) — money:charged twice, time:today",
        "  - I was charged twice for order #4411.",
        "Entities:   orders 4411 · amounts $59.90 · dates today",
        "Original:   s3://triage-raw-mail-test/inbound/k1 (47.1 KB)",
        "Suggested reply (DRAFT",
        "  | [DRAFT - review before sending]",
        "Claim ID: CLAIM123",
    ):
        assert expected in text
    assert "jane.doe@" not in text


def test_mask_address() -> None:
    assert mask_address("jane.doe@example.org") == "j***@example.org"
    assert mask_address("") == ""
    assert mask_address("nobody") == "n***"


def test_a_rich_summary_is_rendered_by_the_summary_module(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeAgentSummary:
        def __init__(self, wants: str) -> None:
            self.wants = wants

        @classmethod
        def model_validate(cls, data: dict[str, Any]) -> FakeAgentSummary:
            return cls(data["wants"])

    monkeypatch.setattr(summary_module, "AgentSummary", FakeAgentSummary, raising=False)
    monkeypatch.setattr(summary_module, "render_summary", lambda s: f"WANTS: {s.wants}", raising=False)
    pulled = pulled_of(escalation("k1"))
    rich = Pulled(pulled.id, pulled.escalation | {"summary": {"wants": "a refund"}}, "normal", "general", 1)
    assert "WANTS: a refund" in render_escalation(rich)
    # A shape the renderer cannot take falls back to ours rather than hiding the escalation.
    monkeypatch.setattr(summary_module, "render_summary", lambda s: 1 / 0, raising=False)
    assert "Claim ID: CLAIM123" in render_escalation(rich)


# --- CLI -----------------------------------------------------------------------------------------------------
@pytest.fixture
def cli(sqs: Any, stack: local.Stack) -> Any:
    parser = argparse.ArgumentParser(prog="triage")
    agent_cli.register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> int:
        args = parser.parse_args(
            [
                "agent",
                "--queue-prefix",
                PREFIX,
                "--feedback-bucket",
                stack.bucket,
                "--region",
                local.REGION,
                *argv,
            ]
        )
        return int(args.func(args))

    return run


def test_cli_queues_table_and_json(cli: Any, sqs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    send(sqs, "vip", "urgent", escalation("k1"))
    assert cli("queues") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["team", "priority", "depth", "in", "flight", "oldest"]
    assert table[1 + 2 * TEAMS.index("vip")].split() == ["vip", "urgent", "1", "0", "-"]
    assert len(table) == 1 + 2 * len(TEAMS) + 1
    assert cli("queues", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"team": "vip", "priority": "urgent", "depth": 1, "in_flight": 0, "oldest_age_s": None} in rows
    assert all(set(row) >= {"team", "priority", "depth", "oldest_age_s"} for row in rows)


def test_cli_pull_release_resolve(
    cli: Any, sqs: Any, s3: Any, stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    send(sqs, "billing", "urgent", escalation("k1"))
    assert cli("pull", "--team", "billing") == 0
    out = capsys.readouterr().out
    assert "[URGENT] billing · message k1" in out
    assert "j***@example.org" in out
    claim = out.split("Claim ID: ")[1].split()[0]
    assert cli("release", claim) == 0
    assert "back in the queue" in capsys.readouterr().out
    assert cli("pull", "--team", "billing", "--json", "--visibility", "60") == 0
    pulled = json.loads(capsys.readouterr().out)
    assert (pulled["priority"], pulled["receive_count"], pulled["escalation"]["message_key"]) == (
        "urgent",
        2,
        "k1",
    )
    assert (
        cli(
            "resolve",
            pulled["claim_id"],
            "--intent",
            "payment_issue",
            "--outcome",
            "closed",
            "--agent",
            "ana",
        )
        == 0
    )
    assert "resolved k1: closed, intent payment_issue (model said get_refund)" in capsys.readouterr().out
    assert [r["agent_intent"] for r in read_feedback(s3, stack.bucket)] == ["payment_issue"]
    assert cli("pull", "--team", "billing") == 0
    assert capsys.readouterr().out.strip() == "no escalations waiting for billing"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("pull", "--team", "sales"), "triage: unknown team 'sales'; the teams are:"),
        (("release", "garbage"), "triage: 'garbage' is not a claim ID"),
        (
            ("resolve", Claim("vip", "urgent", "k", "stale").encode(), "--intent", "x"),
            "triage: this claim is no longer valid",
        ),
        (
            ("--queue-prefix", "nope-", "queues"),
            "triage: the queue nope-orders-urgent does not exist",
        ),
        (
            ("--routing", "/nonexistent/routing.json", "queues"),
            "triage: /nonexistent/routing.json: cannot read",
        ),
    ],
)
def test_cli_errors_exit_2_with_one_sentence(
    cli: Any, argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Global options given again after the fixture's defaults: the later value wins.
    assert cli(*argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1


def test_the_subject_the_agent_reads_is_masked_like_the_text() -> None:
    # Given a customer who put a card and a phone number in the subject
    message = InboundMessage(
        id="inbound/subject-card",
        dedupe_key="ses:subject-card",
        channel=Channel.EMAIL,
        provider="ses",
        message_id="<subject-card@example.org>",
        **{"from": Address(name="Jane Doe", address="jane.doe@example.org")},
        subject="Order 5512 charged twice on 4111 1111 1111 1111, call me 07700 900123",
        text="I was charged twice. Please refund.",
    )
    decision = EscalateDecision(message_key=message.id, reason=Reason.LOW_CONFIDENCE)
    # When it is escalated and rendered for the agent
    built = build_escalation(message, decision)
    shown = render_escalation(Pulled("claim", json.loads(built.model_dump_json()), "normal", "billing", 1))
    # Then neither number reaches the agent, and the order number is still readable
    assert built.subject == "Order 5512 charged twice on [number], call me [phone]"
    assert "4111" not in shown
    assert "900123" not in shown
    assert "Order 5512" in shown


TEMPLATES = ReplyTemplates(ROUTING.parent / "templates")
STYLE = ReplyStyle(help_url="https://help.example.com", signature="The Customer Support team")


def tracking_message(key: str = "inbound/where") -> InboundMessage:
    return InboundMessage(
        id=key,
        dedupe_key=f"ses:{key}",
        channel=Channel.EMAIL,
        provider="ses",
        message_id=f"<{key.rsplit('/', 1)[-1]}@example.org>",
        **{"from": Address(name="Priya Raman", address="priya.raman@example.org")},
        subject="Where is my order #A-48213?",
        text="That page shows nothing at all. Where is order A-48213?",
    )


def auto_replied_thread(intent: str) -> ContactHistory:
    earlier = ContactRecord(at=CREATED, message_key="inbound/first", intent=intent, action="auto_reply")
    return ContactHistory(auto_replied_by="inbound/first", turns=(earlier,), customer=(earlier,))


def test_the_agents_draft_does_not_say_it_is_automatic() -> None:
    # Given a would-be automatic reply (with the footer's "This is an automatic answer" notice) handed to a person
    message = tracking_message()
    reply = TEMPLATES.render("track_order", message, STYLE).body
    assert reply is not None
    assert "automatic answer" in reply
    decision = EscalateDecision(message_key=message.id, reason=Reason.LOW_CONFIDENCE, intent="track_order")
    # When it becomes the agent's draft
    built = build_escalation(message, decision, reply)
    assert built.agent_summary is not None
    # Then the draft keeps the greeting, the answer and the signature, but never says a machine wrote it
    for draft in (built.suggested_reply, built.agent_summary.draft):
        assert draft is not None
        assert "Hi Priya," in draft
        assert "order tracking page" in draft
        assert draft.rstrip().endswith("The Customer Support team")
        assert "automatic" not in draft.lower()
    assert built.agent_summary.already_sent is None


@pytest.mark.parametrize("reason", [Reason.REPLY_TO_AUTO_REPLY, Reason.THREAD_ALREADY_ANSWERED])
def test_the_automatic_reply_the_customer_already_got_is_not_offered_as_a_draft(reason: Reason) -> None:
    # Given a customer writing back after this thread's automatic tracking reply
    message = tracking_message("inbound/again")
    reply = TEMPLATES.render("track_order", message, STYLE).body
    decision = EscalateDecision(message_key=message.id, reason=reason, intent="track_order")
    # When the same would-be reply is handed to a person
    built = build_escalation(message, decision, reply, history=auto_replied_thread("track_order"))
    shown = render_escalation(Pulled("claim", json.loads(built.model_dump_json()), "normal", "orders", 1))
    # Then there is no draft to send again; the agent sees what was already sent, labelled as such
    assert built.suggested_reply is None
    assert built.agent_summary is not None
    assert built.agent_summary.draft is None
    assert built.agent_summary.already_sent is not None
    assert built.agent_summary.already_sent.startswith(summary_module.SENT_MARK)
    assert "Already sent:" in shown
    assert "DRAFT" not in shown
    assert "automatic answer to your message" not in shown


def test_a_reply_for_another_request_in_an_answered_thread_is_still_a_draft() -> None:
    # Given a thread whose automatic reply was about tracking, and a new question about an invoice
    message = tracking_message("inbound/invoice")
    reply = TEMPLATES.render("track_order", message, STYLE).body
    decision = EscalateDecision(
        message_key=message.id, reason=Reason.THREAD_ALREADY_ANSWERED, intent="track_order"
    )
    # When the would-be reply was never sent in this thread
    built = build_escalation(message, decision, reply, history=auto_replied_thread("get_invoice"))
    # Then it is the agent's draft
    assert built.suggested_reply is not None
    assert built.agent_summary is not None
    assert built.agent_summary.already_sent is None
