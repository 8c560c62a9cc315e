"""The guards that need memory: one reply per thread, per-sender caps, the AI/human ratio, failing closed.

The worker runs for real (bundled model, infra/ policy and templates) with in-process fakes for SES, SQS and the
decision log, and the in-memory conversation store (the DynamoDB one passes the same tests in
``tests/handlers/test_conversation_store.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from triage.classifier import IntentModel
from triage.conversation import Claim, ContactHistory, MemoryConversationStore, StateUnavailable
from triage.message import Address, InboundMessage
from triage.policy import Reason
from triage.ports import SendRefused
from triage.profiles import Caps, Mode, Profile
from triage.replies import ReplyStyle, ReplyTemplates
from triage.service import Policy, TriageWorker, policy_for
from triage.settings import Settings

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WORKER_REASONS = frozenset(
    {
        Reason.SENDER_RATE_LIMIT,
        Reason.AUTOMATION_SHARE_CAP,
        Reason.STATE_UNAVAILABLE,
        Reason.MISSING_FIELD,
        Reason.REPLY_REFUSED,
        Reason.PERSON_LIKELY,
    }
)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, ...]]] = []

    def send_raw(self, mime: bytes, *, source: str, destinations: Sequence[str]) -> str:
        self.sent.append((mime, tuple(destinations)))
        return f"ses-{len(self.sent)}"


class RefusingOutbox(Outbox):
    """SES refusing every send with ``code``."""

    def __init__(self, code: str, retry: bool) -> None:
        super().__init__()
        self.code, self.retry, self.tried = code, retry, 0

    def send_raw(self, mime: bytes, *, source: str, destinations: Sequence[str]) -> str:
        self.tried += 1
        raise SendRefused(f"refused ({self.code})", code=self.code, retry=self.retry)


class Queue:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def send(self, body: str) -> str:
        self.bodies.append(json.loads(body))
        return f"sqs-{len(self.bodies)}"


class Log:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def record(self, key: str, document: str) -> None:
        self.records[key] = json.loads(document)


class DownStore:
    """DynamoDB throttled or unreachable."""

    def history(self, message: InboundMessage, now: datetime) -> ContactHistory:
        raise StateUnavailable("conversation store: query failed (EndpointConnectionError)")

    def claim_reply(self, *args: object) -> Claim:
        raise StateUnavailable("conversation store: claim failed (EndpointConnectionError)")

    def note(self, *args: object, **kwargs: object) -> None:
        raise StateUnavailable("conversation store: note failed (EndpointConnectionError)")


class Clock:
    def __init__(self, step: timedelta) -> None:
        self.now, self.step = START, step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


class Rig:
    def __init__(self, worker: TriageWorker, outbox: Outbox, queue: Queue, log: Log) -> None:
        self.worker, self.outbox, self.queue, self.log = worker, outbox, queue, log

    def reasons(self) -> list[str]:
        return [record["decision"]["reason"] for record in self.log.records.values()]


def policy_with(settings: Settings, **profile_changes: Any) -> Policy:
    base = policy_for(settings)
    retail = base.config.profiles["retail"].model_copy(update=profile_changes)
    config = base.config.model_copy(update={"profiles": base.config.profiles | {"retail": retail}})
    return Policy(config, base.templates, base.style)


@pytest.fixture
def rig(settings: Settings, model: IntentModel) -> Callable[..., Rig]:
    def build(
        *,
        store: Any = None,
        policy: Policy | None = None,
        step: timedelta = timedelta(seconds=30),
        outbox: Outbox | None = None,
    ) -> Rig:
        outbox, queue, log = outbox or Outbox(), Queue(), Log()
        worker = TriageWorker(
            settings,
            mailer=outbox,
            escalations=queue,
            decisions=log,
            model=lambda: model,
            conversations=store if store is not None else MemoryConversationStore(),
            policy=policy or policy_with(settings, max_auto_share=1.0),
            clock=Clock(step),
        )
        return Rig(worker, outbox, queue, log)

    return build


def order_question(n: int, sender: str = "jane@customer.example.net", **fields: Any) -> InboundMessage:
    base: dict[str, Any] = {
        "id": f"key-{n}",
        "message_id": f"<q{n}@mail.customer.example.net>",
        "from": Address(name="Jane Doe", address=sender),
        "to": (Address(address="support@example.com"),),
        "subject": f"Where is my order A-{n}?",
        "text": f"Hi, could you tell me where my order A-{n} is? It has not arrived yet. Thanks, Jane",
        "language": "en",
    }
    return InboundMessage(**(base | fields))


def test_a_storm_of_20_mails_in_10_minutes_gets_3_replies(rig: Callable[..., Rig]) -> None:
    r = rig(step=timedelta(seconds=30))
    for n in range(20):
        r.worker.handle(order_question(n))
    assert len(r.outbox.sent) == 3
    assert len(r.queue.bodies) == 17
    assert r.reasons().count("sender_rate_limit") == 17
    # Nothing lost: every mail is a reply or an escalation, each recorded once.
    assert len(r.log.records) == 20


def test_a_storm_over_3_hours_gets_at_most_10_replies(rig: Callable[..., Rig]) -> None:
    r = rig(step=timedelta(minutes=9))
    for n in range(20):
        r.worker.handle(order_question(n))
    assert len(r.outbox.sent) == 10
    assert r.reasons().count("sender_rate_limit") == 10


def test_one_automatic_reply_per_thread(rig: Callable[..., Rig]) -> None:
    r = rig(step=timedelta(minutes=30))
    first = order_question(1)
    r.worker.handle(first)
    for n in range(2, 6):
        follow_up = order_question(
            n,
            message_id=f"<f{n}@mail.customer.example.net>",
            in_reply_to=first.message_id,
            references=(first.message_id,),
            subject=f"Re: {first.subject}",
        )
        r.worker.handle(follow_up)
    assert len(r.outbox.sent) == 1
    assert set(r.reasons()[1:]) == {"thread_already_answered"}


def test_a_new_mail_about_the_same_matter_within_7_days_goes_to_a_person(rig: Callable[..., Rig]) -> None:
    r = rig(step=timedelta(days=2))
    # The first mail is answered. (Not "Hi, where is my order? It has not arrived.": that terse form reads 0.85 to
    # the risk head, above retail's 0.7, and goes to a person on its own.)
    r.worker.handle(order_question(1))
    r.worker.handle(
        order_question(2, subject="Where is my order A-1?", text="Hi, where is my order? Still nothing. Jane")
    )
    assert len(r.outbox.sent) == 1
    assert r.reasons()[1] in {"thread_already_answered", "repeat_contact"}


def test_the_ai_human_ratio_caps_automation_per_segment(settings: Settings, rig: Callable[..., Rig]) -> None:
    r = rig(policy=policy_with(settings, max_auto_share=0.4), step=timedelta(minutes=1))
    for n in range(10):
        r.worker.handle(order_question(n, sender=f"customer{n}@example.org"))
    assert len(r.outbox.sent) == 4
    assert r.reasons().count("automation_share_cap") == 6


def test_a_store_that_is_down_means_no_automatic_reply(rig: Callable[..., Rig]) -> None:
    r = rig(store=DownStore())
    result = r.worker.handle(order_question(1))
    assert r.outbox.sent == []
    assert result["decision"]["reason"] == "state_unavailable"
    assert r.queue.bodies[0]["reason"] == "state_unavailable"
    assert r.queue.bodies[0]["suggested_reply"]  # the would-be reply is the agent's draft


def test_an_idempotency_store_that_is_down_means_no_automatic_reply(rig: Callable[..., Rig]) -> None:
    r = rig()
    result = r.worker.handle(order_question(1), allow_auto_reply=False)
    assert r.outbox.sent == []
    assert result["decision"]["reason"] == "state_unavailable"


def test_a_redelivery_after_a_crash_never_sends_twice(rig: Callable[..., Rig]) -> None:
    r = rig()
    message = order_question(1)
    r.worker.handle(message)
    r.worker.handle(message)  # the idempotency record was lost: the claim still stops a second reply
    assert len(r.outbox.sent) == 1
    assert r.queue.bodies[0]["reason"] == "send_uncertain"


def test_a_template_needing_a_field_the_message_lacks_hands_over(
    settings: Settings, tmp_path: Path, rig: Callable[..., Rig]
) -> None:
    (tmp_path / "_footer.txt").write_text("\n$signature\n", encoding="utf-8")
    (tmp_path / "track_order.txt").write_text("Order $order_number is on its way.", encoding="utf-8")
    base = policy_with(settings, max_auto_share=1.0, auto_reply_intents=frozenset({"track_order"}))
    policy = Policy(
        base.config.model_copy(update={"profiles": {"retail": base.config.profiles["retail"]}}),
        ReplyTemplates(tmp_path),
        ReplyStyle(help_url="https://h.example", signature="S"),
    )
    r = rig(policy=policy)
    r.worker.handle(
        order_question(
            1, subject="Order status", text="Can you help me check the status of my order please? Jane"
        )
    )
    assert r.outbox.sent == []
    assert r.reasons() == ["missing_field"]
    r.worker.handle(order_question(48213))
    assert len(r.outbox.sent) == 1
    assert b"Order A-48213 is on its way." in r.outbox.sent[0][0]


def test_shadow_mode_sends_nothing_and_drafts_the_would_be_reply(
    settings: Settings, rig: Callable[..., Rig]
) -> None:
    r = rig(policy=policy_with(settings, mode=Mode.SHADOW))
    r.worker.handle(order_question(1))
    assert r.outbox.sent == []
    escalation = r.queue.bodies[0]
    assert escalation["reason"] == "shadow_mode"
    assert "tracking" in escalation["suggested_reply"]
    assert r.log.records["key-1"]["decision"]["would_auto_reply"] is True


def test_the_customer_table_picks_the_segment(settings: Settings, model: IntentModel) -> None:
    class Directory:
        def segment_of(self, address: str) -> str | None:
            return "vip" if address == "ceo@bigclient.example.net" else None

    outbox, queue, log = Outbox(), Queue(), Log()
    worker = TriageWorker(
        settings,
        outbox,
        queue,
        log,
        lambda: model,
        MemoryConversationStore(),
        customers=Directory(),
        policy=policy_with(settings, max_auto_share=1.0),
    )
    worker.handle(order_question(1, sender="ceo@bigclient.example.net"))
    worker.handle(order_question(2))
    assert [record["decision"]["segment"] for record in log.records.values()] == ["vip", "retail"]
    assert len(outbox.sent) == 1
    assert queue.bodies[0]["reason"] == "automation_off"


def test_caps_are_configurable() -> None:
    caps = Caps.model_validate({"per_sender": [{"seconds": 60, "max_replies": 1}]})
    store = MemoryConversationStore()
    profile = Profile(auto_reply_intents=frozenset({"track_order"}))
    granted = [
        store.claim_reply(
            order_question(n), "retail", profile.max_auto_share, caps, START + timedelta(seconds=20 * n)
        ).granted
        for n in range(6)
    ]
    assert granted == [True, False, False, True, False, False]


def test_a_reply_refused_for_good_is_handed_to_a_person_and_a_throttled_one_retried(
    rig: Callable[..., Rig],
) -> None:
    store = MemoryConversationStore()
    refusing = RefusingOutbox("MessageRejected", retry=False)
    r = rig(store=store, outbox=refusing)
    result = r.worker.handle(order_question(1))
    assert refusing.tried == 1
    assert (result["decision"]["reason"], result["delivered_by"]) == ("reply_refused", "sqs")
    [escalation] = r.queue.bodies
    assert (escalation["reason"], escalation["reason_detail"]) == ("reply_refused", ["MessageRejected"])
    assert escalation["suggested_reply"]  # the would-be reply, for the agent
    assert r.log.records[result["message_key"]]["decision"]["reason"] == "reply_refused"

    throttled = RefusingOutbox("Throttling", retry=True)
    r = rig(store=store, outbox=throttled)
    message = order_question(2, sender="other@example.org")
    with pytest.raises(SendRefused):
        r.worker.handle(message)  # the queue redelivers it
    assert r.queue.bodies == []
    assert store.history(message, START).auto_replied_by is None  # the reservation was given back


def test_a_would_be_reply_the_bundled_risk_head_reads_as_a_persons_reaches_a_person(
    rig: Callable[..., Rig],
) -> None:
    """The worker asks the risk head (``test_risk``) about would-be replies: a fall told as a story beside a
    tracking question is escalated, recorded and counted as person_likely, and nothing is sent."""
    r = rig()
    story = (
        "Hello, the step stool from order A-7 folded under my mother on Sunday and she went down hard on the "
        "kitchen floor. The second stool in that order hasn't come yet. Could you tell me where it is? Ruth"
    )
    result = r.worker.handle(order_question(7, text=story))
    assert result["decision"]["reason"] == "person_likely"
    assert r.outbox.sent == []
    [escalation] = r.queue.bodies
    assert escalation["reason"] == "person_likely"
    assert escalation["reason_detail"][0].startswith("person:")
    assert (
        r.worker.handle(order_question(8, sender="sam@example.org"))["decision"]["reason"] == "routine_intent"
    )


def test_every_reason_code_has_a_test() -> None:
    from test_guards import CASES

    covered = {case[5] for case in CASES} | {Reason.MODEL_UNAVAILABLE} | WORKER_REASONS
    assert covered == set(Reason)


def emf_documents(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_decisions_are_counted_by_segment_and_reason(
    settings: Settings,
    rig: Callable[..., Rig],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    r = rig()
    r.worker.handle(order_question(1))
    r.worker.handle(order_question(2, text="This is ridiculous, where is my order A-2?"))
    documents = emf_documents(capsys.readouterr().out)
    counted = {
        (name["Name"], key, document[key], document["mode"])
        for document in documents
        for name in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        for key in ("segment", "reason")
        if key in document
    }
    assert ("AutoReplied", "segment", "retail", "live") in counted
    assert ("AutoReplied", "reason", "routine_intent", "live") in counted
    assert ("Escalated", "reason", "negative_emotion", "live") in counted


def test_shadow_mode_counts_what_live_would_have_sent(
    settings: Settings,
    rig: Callable[..., Rig],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    rig(policy=policy_with(settings, mode=Mode.SHADOW)).worker.handle(order_question(1))
    documents = emf_documents(capsys.readouterr().out)
    assert {(d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], d["mode"]) for d in documents} == {
        ("AutoReplied", "shadow")
    }
