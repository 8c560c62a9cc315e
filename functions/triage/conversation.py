"""What we remember about conversations: who wrote, in which thread, and which automatic replies went out.

Three kinds of record, all with a TTL (``triage.aws.DynamoConversationStore`` keeps them in DynamoDB, the
:class:`MemoryConversationStore` here in a dict for local runs, replay and tests):

- a *thread*: the contacts in it (message key, time), the one automatic reply it may get, whether it is resolved;
- a *sender*: the times of the automatic replies they received, for the per-sender caps;
- a *share* counter per segment and day: messages decided and messages answered automatically (the AI/human ratio).

Keys are SHA-256 digests, so no address or subject is stored in a key. A thread is known by the Message-ID at its
root (the first References entry, else In-Reply-To, else the message's own id) and also by sender + subject, so a
customer who writes a new mail about the same matter is recognised too.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from triage.message import InboundMessage, without_reply_prefixes
from triage.profiles import Caps

MAX_CONTACTS_KEPT = 20


class StateUnavailable(RuntimeError):
    """The conversation store could not be read or written: no automatic reply may go out (fail closed)."""


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]


def thread_keys(message: InboundMessage) -> tuple[str, ...]:
    """Every key this message's thread may be known by (a helpdesk ticket, root Message-ID, sender + subject)."""
    keys: list[str] = []
    if message.ticket_id:
        # Each comment on a ticket has its own Message-ID and names no earlier one: the ticket is the thread.
        keys.append("thread#" + digest("ticket", message.provider, message.account, message.ticket_id))
    sender = message.customer.address.lower()
    root = next((ref for ref in message.thread_ids if ref.strip("<> ")), message.message_id)
    # A Message-ID is the thread of one customer: many customers answering one mail of ours (an announcement sent
    # by Bcc) share its id as their root, yet each has a conversation of their own, history and reply included.
    if root.strip("<> "):
        keys.append("thread#" + digest("mid", root.strip("<> ").lower(), sender))
    subject = " ".join(without_reply_prefixes(message.subject)[0].lower().split())
    if sender and subject:
        keys.append("thread#" + digest("subject", sender, subject))
    own = message.message_id.strip("<> ").lower()
    if own and own != root.strip("<> ").lower():
        # Replies to this message will name it as their root only when it starts a thread; note it anyway.
        keys.append("thread#" + digest("mid", own, sender))
    return tuple(dict.fromkeys(keys))


def sender_key(message: InboundMessage) -> str:
    """The customer: their address, else (a helpdesk user without one) their ticket."""
    who = message.customer.address.lower() or f"{message.provider}:{message.account}:{message.ticket_id}"
    return "sender#" + digest("sender", who)


def customer_key(message: InboundMessage) -> str:
    """The customer's own history (every thread), for the agent's summary."""
    return "customer#" + sender_key(message).removeprefix("sender#")


def share_key(segment: str, day: datetime) -> str:
    return f"share#{segment}#{day:%Y%m%d}"


@dataclass(frozen=True)
class ContactRecord:
    """One earlier message as remembered: when, what the model read, what we did, and its key points (≤ 3 short
    sentences from the agent summary; never the whole text)."""

    at: datetime
    message_key: str
    intent: str | None = None
    action: str = ""  # auto_reply | escalate | no_reply
    reason: str = ""
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactHistory:
    """What the store knows of this message's thread and customer before deciding."""

    auto_replied_by: str | None = None  # message key whose automatic reply the thread already got
    earlier_contacts: tuple[datetime, ...] = ()  # other messages of this thread (not this one)
    resolved: bool = False
    turns: tuple[ContactRecord, ...] = ()  # the thread's earlier messages, oldest first
    customer: tuple[ContactRecord, ...] = ()  # the customer's earlier messages (all threads), oldest first

    def recent_contacts(self, now: datetime, days: int) -> int:
        return sum(1 for when in self.earlier_contacts if now - when <= timedelta(days=days))

    def customer_contacts(self, now: datetime, days: int = 30) -> tuple[ContactRecord, ...]:
        return tuple(record for record in self.customer if now - record.at <= timedelta(days=days))


class Denial(StrEnum):
    THREAD_ANSWERED = "thread_already_answered"
    SENT_BEFORE = "send_uncertain"  # this very message already claimed a reply (a crash after the claim?)
    SENDER_CAP = "sender_rate_limit"
    SHARE_CAP = "automation_share_cap"


@dataclass(frozen=True)
class Claim:
    granted: bool
    denial: Denial | None = None
    detail: tuple[str, ...] = ()


class ConversationStore(Protocol):
    def history(self, message: InboundMessage, now: datetime) -> ContactHistory: ...

    def claim_reply(
        self, message: InboundMessage, segment: str, max_share: float, caps: Caps, now: datetime
    ) -> Claim:
        """Reserve this message's one automatic reply, with conditional writes, before anything is sent."""
        ...

    def note(
        self,
        message: InboundMessage,
        segment: str,
        automated: bool,
        resolved: bool,
        now: datetime,
        record: ContactRecord | None = None,
    ) -> None:
        """Remember the contact (and count it in the segment's share) once the decision is recorded."""
        ...

    def release_reply(self, message: InboundMessage) -> None:
        """Give back this message's reservation: the reply was certainly not sent (refused), so a retry may send, and
        the sender's caps no longer count it."""
        ...

    def amend(self, message: InboundMessage, segment: str, now: datetime, record: ContactRecord) -> None:
        """Correct what ``note`` remembered of this message, with the same ``now``: its automatic reply was refused
        and a person has it, so the contact reads as that escalation and no longer counts as automated."""
        ...


def share_allows(total: int, automated: int, max_share: float) -> bool:
    """May this message (the day's ``total + 1``-th) be answered automatically under ``max_share``?

    The allowance is rounded up, so the day's share overshoots the target by less than one message (the first
    message of a 70% segment may be answered; a 0% segment never is).
    """
    return automated + 1 <= math.ceil(max_share * (total + 1) - 1e-9)


def sender_allows(replies: list[datetime], caps: Caps, now: datetime) -> tuple[bool, str]:
    for window in caps.per_sender:
        recent = sum(1 for when in replies if now - when < timedelta(seconds=window.seconds))
        if recent >= window.max_replies:
            return False, f"{recent}/{window.max_replies} in {window.seconds}s"
    return True, ""


@dataclass
class _Thread:
    contacts: list[tuple[str, datetime]] = field(default_factory=list)
    records: dict[str, ContactRecord] = field(default_factory=dict)
    auto_replied_by: str | None = None
    resolved: bool = False


class MemoryConversationStore:
    """The store in a dict, with the same rules as the DynamoDB one (local runs, replay, tests)."""

    def __init__(self) -> None:
        self._threads: dict[str, _Thread] = {}
        self._senders: dict[str, list[tuple[str, datetime]]] = {}  # per sender: (message key, reply time)
        self._shares: dict[str, list[int]] = {}
        self._customers: dict[str, dict[str, ContactRecord]] = {}
        self._lock = threading.Lock()

    def history(self, message: InboundMessage, now: datetime) -> ContactHistory:
        threads = [self._threads[key] for key in thread_keys(message) if key in self._threads]
        replied = next((thread.auto_replied_by for thread in threads if thread.auto_replied_by), None)
        contacts = {
            key: when for thread in threads for key, when in thread.contacts if key != message.identity
        }
        turns = {
            key: record
            for thread in threads
            for key, record in thread.records.items()
            if key != message.identity
        }
        customer = [
            record
            for key, record in self._customers.get(sender_key(message), {}).items()
            if key != message.identity
        ]
        return ContactHistory(
            auto_replied_by=replied,
            earlier_contacts=tuple(sorted(contacts.values())),
            resolved=any(thread.resolved for thread in threads),
            turns=tuple(sorted(turns.values(), key=lambda record: record.at)),
            customer=tuple(sorted(customer, key=lambda record: record.at)),
        )

    def claim_reply(
        self, message: InboundMessage, segment: str, max_share: float, caps: Caps, now: datetime
    ) -> Claim:
        with self._lock:
            keys = thread_keys(message)
            owners = {self._threads[key].auto_replied_by for key in keys if key in self._threads} - {None}
            if caps.per_thread < 1 or owners - {message.identity}:
                return Claim(False, Denial.THREAD_ANSWERED)
            if owners:
                return Claim(False, Denial.SENT_BEFORE)
            total, automated = self._shares.get(share_key(segment, now), [0, 0])
            if not share_allows(total, automated, max_share):
                return Claim(False, Denial.SHARE_CAP, (f"{automated}/{total} today, max {max_share:.0%}",))
            horizon = timedelta(seconds=caps.longest_window)
            replies = [
                (key, when)
                for key, when in self._senders.get(sender_key(message), [])
                if now - when < horizon and key != message.identity  # a claim given back and made again: one
            ]
            allowed, why = sender_allows([when for _, when in replies], caps, now)
            if not allowed:
                return Claim(False, Denial.SENDER_CAP, (why,))
            self._senders[sender_key(message)] = [*replies, (message.identity, now)]
            for key in keys:
                self._threads.setdefault(key, _Thread()).auto_replied_by = message.identity
            return Claim(True)

    def release_reply(self, message: InboundMessage) -> None:
        with self._lock:
            for key in thread_keys(message):
                thread = self._threads.get(key)
                if thread is not None and thread.auto_replied_by == message.identity:
                    thread.auto_replied_by = None
            replies = self._senders.get(sender_key(message), [])
            self._senders[sender_key(message)] = [
                (key, when) for key, when in replies if key != message.identity
            ]

    def amend(self, message: InboundMessage, segment: str, now: datetime, record: ContactRecord) -> None:
        with self._lock:
            self._customers.setdefault(sender_key(message), {})[message.identity] = record
            for key in thread_keys(message) or (f"thread#{message.identity}",):
                self._threads.setdefault(key, _Thread()).records[message.identity] = record
            counts = self._shares.get(share_key(segment, now))
            if counts is not None and counts[1] > 0:
                counts[1] -= 1

    def note(
        self,
        message: InboundMessage,
        segment: str,
        automated: bool,
        resolved: bool,
        now: datetime,
        record: ContactRecord | None = None,
    ) -> None:
        with self._lock:
            if record is not None:
                self._customers.setdefault(sender_key(message), {})[message.identity] = record
                for key in thread_keys(message) or (f"thread#{message.identity}",):
                    self._threads.setdefault(key, _Thread()).records[message.identity] = record
            keys = thread_keys(message) or (f"thread#{message.identity}",)
            already = any(
                existing == message.identity for existing, _ in self._threads.get(keys[0], _Thread()).contacts
            )
            for key in keys:
                thread = self._threads.setdefault(key, _Thread())
                if all(existing != message.identity for existing, _ in thread.contacts):
                    thread.contacts = [*thread.contacts, (message.identity, now)][-MAX_CONTACTS_KEPT:]
                thread.resolved = thread.resolved or resolved
            if not already:  # a redelivered message is not counted twice
                counts = self._shares.setdefault(share_key(segment, now), [0, 0])
                counts[0] += 1
                counts[1] += int(automated)


def utc_now() -> datetime:
    return datetime.now(UTC)
