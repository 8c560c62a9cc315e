"""The conversation store's rules, the same for DynamoDB (moto) and the in-memory store used by replay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from triage import aws, local
from triage.conversation import Denial, MemoryConversationStore, StateUnavailable, sender_key, share_allows
from triage.message import Address, InboundMessage
from triage.profiles import Caps
from triage.settings import Settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CAPS = Caps()


def message(n: int, sender: str = "jane@customer.example.net", **fields: Any) -> InboundMessage:
    base: dict[str, Any] = {
        "id": f"key-{n}",
        "message_id": f"<m{n}@mail.customer.example.net>",
        "from": Address(address=sender),
        "subject": f"Order {n}",
        "text": "Where is it?",
    }
    return InboundMessage(**(base | fields))


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, stack: local.Stack) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryConversationStore()
    else:
        yield aws.DynamoConversationStore(Settings.from_env())


def test_a_thread_gets_one_reply_and_a_retry_of_the_same_message_is_recognised(store: Any) -> None:
    first = message(1)
    assert store.claim_reply(first, "retail", 1.0, CAPS, NOW).granted
    again = store.claim_reply(first, "retail", 1.0, CAPS, NOW + timedelta(seconds=5))
    assert (again.granted, again.denial) == (False, Denial.SENT_BEFORE)
    follow_up = message(2, in_reply_to=first.message_id, references=(first.message_id,))
    later = store.claim_reply(follow_up, "retail", 1.0, CAPS, NOW + timedelta(hours=1))
    assert (later.granted, later.denial) == (False, Denial.THREAD_ANSWERED)
    assert store.history(follow_up, NOW).auto_replied_by == first.identity


def test_sender_caps_per_window(store: Any) -> None:
    granted = [
        store.claim_reply(message(n), "retail", 1.0, CAPS, NOW + timedelta(seconds=30 * n)).granted
        for n in range(6)
    ]
    assert granted == [True, True, True, False, False, False]
    # 10 minutes later the short window has room again.
    assert store.claim_reply(message(7), "retail", 1.0, CAPS, NOW + timedelta(minutes=11)).granted


def test_a_given_back_reply_does_not_count_against_the_senders_caps(store: Any) -> None:
    """SES throttled the send: the claim is given back and the redelivery claims again. The sender got one reply,
    however many times it was claimed, so their caps count one."""
    throttled = message(0)
    for attempt in range(3):
        assert store.claim_reply(throttled, "retail", 1.0, CAPS, NOW + timedelta(seconds=attempt)).granted
        store.release_reply(throttled)
    assert store.claim_reply(throttled, "retail", 1.0, CAPS, NOW + timedelta(seconds=3)).granted
    granted = [
        store.claim_reply(message(n), "retail", 1.0, CAPS, NOW + timedelta(seconds=30 * n)).granted
        for n in range(1, 4)
    ]
    assert granted == [True, True, False]  # the first window allows three replies: message 0's and two more


def test_a_reply_refused_for_good_leaves_the_senders_caps(store: Any) -> None:
    """SES refused the reply for good and a person has the message: nothing was sent, so the sender's caps have room
    for three more replies in the first window, not two."""
    refused = message(0)
    assert store.claim_reply(refused, "retail", 1.0, CAPS, NOW).granted
    store.release_reply(refused)
    granted = [
        store.claim_reply(message(n), "retail", 1.0, CAPS, NOW + timedelta(seconds=30 * n)).granted
        for n in range(1, 5)
    ]
    assert granted == [True, True, True, False]
    store.release_reply(message(9))  # a message that claimed nothing takes nothing from the others
    assert not store.claim_reply(message(5), "retail", 1.0, CAPS, NOW + timedelta(seconds=150)).granted


def test_the_share_cap_counts_each_message_once(store: Any) -> None:
    for n in range(5):
        sender = f"c{n}@example.org"
        granted = store.claim_reply(message(n, sender=sender), "b2b", 0.5, CAPS, NOW).granted
        store.note(message(n, sender=sender), "b2b", automated=granted, resolved=False, now=NOW)
        store.note(message(n, sender=sender), "b2b", automated=granted, resolved=False, now=NOW)  # redelivery
    claim = store.claim_reply(message(9, sender="c9@example.org"), "b2b", 0.5, CAPS, NOW)
    assert claim.denial is Denial.SHARE_CAP
    assert claim.detail == ("3/5 today, max 50%",)


def test_history_knows_earlier_contacts_and_resolution(store: Any) -> None:
    first = message(1)
    store.note(first, "retail", automated=False, resolved=False, now=NOW)
    same_subject = message(2)  # a new mail, no References, same sender and subject
    same_subject = same_subject.model_copy(update={"subject": "Re: Order 1"})
    history = store.history(same_subject, NOW + timedelta(days=1))
    assert history.earlier_contacts == (NOW,)
    assert not history.resolved
    store.note(same_subject, "retail", automated=False, resolved=True, now=NOW + timedelta(days=1))
    assert store.history(message(3, subject="Order 1"), NOW + timedelta(days=2)).resolved
    # The message itself is not its own earlier contact.
    assert store.history(first, NOW).earlier_contacts == (NOW + timedelta(days=1),)


def test_share_allowance_rounds_up_and_zero_means_never() -> None:
    assert share_allows(total=0, automated=0, max_share=0.7)
    assert not share_allows(total=3, automated=3, max_share=0.7)
    assert not share_allows(total=0, automated=0, max_share=0.0)
    assert share_allows(total=99, automated=99, max_share=1.0)


def test_a_missing_table_is_state_unavailable_not_a_crash(stack: local.Stack) -> None:
    store = aws.DynamoConversationStore(Settings.from_env(conversation_table="no-such-table"))
    with pytest.raises(StateUnavailable):
        store.history(message(1), NOW)
    with pytest.raises(StateUnavailable):
        store.claim_reply(message(1), "retail", 1.0, CAPS, NOW)


def test_keys_hold_no_address_or_subject(stack: local.Stack) -> None:
    store = aws.DynamoConversationStore(Settings.from_env())
    store.claim_reply(message(1), "retail", 1.0, CAPS, NOW)
    store.note(message(1), "retail", automated=True, resolved=False, now=NOW)
    items = boto3.client("dynamodb", region_name=local.REGION).scan(TableName=stack.conversation_table)[
        "Items"
    ]
    dump = repr(items)
    assert items
    assert "jane@" not in dump
    assert "Order 1" not in dump
    assert all(item["expires_at"]["N"] for item in items)


def test_caps_written_before_replies_named_their_message_still_count(stack: local.Stack) -> None:
    """A caps item from the previous version holds reply times only: they count as other messages' replies."""
    ddb = boto3.client("dynamodb", region_name=local.REGION)
    times = [{"N": str(int((NOW - timedelta(minutes=minutes)).timestamp()))} for minutes in (3, 2, 1)]
    ddb.put_item(
        TableName=stack.conversation_table,
        Item={
            "pk": {"S": sender_key(message(0))},
            "sk": {"S": "caps"},
            "replies": {"L": times},
            "version": {"N": "3"},
            "expires_at": {"N": str(int((NOW + timedelta(days=1)).timestamp()))},
        },
    )
    store = aws.DynamoConversationStore(Settings.from_env())
    claim = store.claim_reply(message(0), "retail", 1.0, CAPS, NOW)
    assert (claim.granted, claim.denial, claim.detail) == (False, Denial.SENDER_CAP, ("3/3 in 600s",))
    assert store.claim_reply(message(0), "retail", 1.0, CAPS, NOW + timedelta(minutes=8)).granted


def test_contacts_are_remembered_per_thread_and_per_customer(store: Any) -> None:
    from triage.conversation import ContactRecord

    first = message(1)
    store.note(
        first,
        "retail",
        automated=True,
        resolved=False,
        now=NOW,
        record=ContactRecord(
            at=NOW,
            message_key=first.identity,
            intent="track_order",
            action="auto_reply",
            reason="routine_intent",
            points=("Where is order 1?",),
        ),
    )
    other_thread = message(5, subject="Invoice")
    later = NOW + timedelta(days=2)
    store.note(
        other_thread,
        "retail",
        automated=False,
        resolved=False,
        now=later,
        record=ContactRecord(
            at=later,
            message_key=other_thread.identity,
            intent="get_invoice",
            action="escalate",
            reason="low_confidence",
        ),
    )
    follow_up = message(
        2, in_reply_to=first.message_id, references=(first.message_id,), subject="Re: Order 1"
    )
    history = store.history(follow_up, NOW + timedelta(days=3))
    assert [(turn.intent, turn.action, turn.points) for turn in history.turns] == [
        ("track_order", "auto_reply", ("Where is order 1?",))
    ]
    assert [record.intent for record in history.customer] == ["track_order", "get_invoice"]
    assert len(history.customer_contacts(NOW + timedelta(days=3), days=30)) == 2
    assert len(history.customer_contacts(NOW + timedelta(days=31), days=30)) == 1
    # Another customer sees none of it.
    stranger = message(
        9, sender="kim@other.example.org", in_reply_to=first.message_id, references=(first.message_id,)
    )
    assert store.history(stranger, NOW).customer == ()


def test_an_amended_contact_reads_as_the_escalation_and_leaves_the_share(store: Any) -> None:
    """The reply was refused for good: the contact becomes the escalation it turned into, in the thread and in the
    customer's history, and it no longer counts as automated in the segment's share."""
    from triage.conversation import ContactRecord

    def record(action: str, reason: str) -> ContactRecord:
        return ContactRecord(
            at=NOW, message_key=first.identity, intent="track_order", action=action, reason=reason
        )

    first = message(1)
    assert store.claim_reply(first, "b2b", 0.5, CAPS, NOW).granted
    store.note(
        first, "b2b", automated=True, resolved=False, now=NOW, record=record("auto_reply", "routine_intent")
    )
    store.release_reply(first)
    store.amend(first, "b2b", NOW, record("escalate", "reply_refused"))

    follow_up = message(2, in_reply_to=first.message_id, references=(first.message_id,))
    history = store.history(follow_up, NOW + timedelta(hours=1))
    assert history.auto_replied_by is None
    assert [(turn.action, turn.reason) for turn in history.turns] == [("escalate", "reply_refused")]
    assert [(turn.action, turn.reason) for turn in history.customer] == [("escalate", "reply_refused")]
    assert history.earlier_contacts == (NOW,)
    # 0 of 1 automated today: at 50% the next message may be answered (1 of 2); it could not at 1 of 1.
    other = message(3, sender="kim@other.example.org")
    assert store.claim_reply(other, "b2b", 0.5, CAPS, NOW).granted
    # Amending again (a redelivery) takes nothing below zero: with the other answered, 1 of 2 is automated, so at a
    # third the next may not be (at -1 + 1 = 0 of 2 it would).
    store.amend(first, "b2b", NOW, record("escalate", "reply_refused"))
    store.note(other, "b2b", automated=True, resolved=False, now=NOW)
    third = store.claim_reply(message(4, sender="lee@third.example.org"), "b2b", 1 / 3, CAPS, NOW)
    assert third.denial is Denial.SHARE_CAP


def test_two_customers_answering_one_mail_of_ours_have_a_thread_each(store: Any) -> None:
    """An announcement sent by Bcc: each customer's reply names it as the root, yet neither customer's words, order
    or reply belong in the other's conversation."""
    root = "<announcement-2026-11@news.example.com>"
    alice = message(1, sender="alice@example.org", subject="Re: Our new returns policy", references=(root,))
    bob = message(2, sender="bob@example.net", subject="Re: Our new returns policy", references=(root,))
    assert store.claim_reply(alice, "retail", 1.0, CAPS, NOW).granted
    store.note(alice, "retail", automated=True, resolved=False, now=NOW)
    history = store.history(bob, NOW + timedelta(minutes=1))
    assert (history.auto_replied_by, history.earlier_contacts, history.turns) == (None, (), ())
    assert store.claim_reply(bob, "retail", 1.0, CAPS, NOW + timedelta(minutes=1)).granted
