"""Signals that a message was written by a machine, not a person (REFERENCE §1.3).

Any signal found means: never auto-reply. Each signal is a short code that ends up on the message and the decision,
so an engineer can see exactly why the system stayed silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from triage import regex_code

# Header names are compared in lower case; values trimmed and lower-cased.
_PRECEDENCE_MACHINE = frozenset({"bulk", "list", "junk", "auto_reply"})
_PRECEDENCE_END = regex_code.compile(r"[\s;(]")
_AUTOREPLY_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoresponse",
    "x-autoreply-from",
    "x-mail-autoreply",
)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-owner", "list-subscribe")
_EXCHANGE_MACHINE_HEADERS = ("x-ms-exchange-inbox-rules-loop", "x-ms-exchange-generated-message-source")
_SUPPRESS_VALUES = frozenset({"all", "autoreply", "oof"})
_REPORT_TYPES = ("delivery-status", "disposition-notification")
CALENDAR_REPLY_TYPE = "text/calendar; method=reply"
_SYSTEM_LOCAL_PART = regex_code.compile(
    r"^(mailer-daemon|postmaster|abuse|root|no-?reply.*|do-?not-?reply.*|donotreply.*|bounces?(\+.*|-.*)?)$",
    re.IGNORECASE,
)
# Role names that systems send from (tracking updates, code-host notifications, newsletters): weaker than no-reply,
# since a shop owner may write from updates@ too, but never for a robot's answer to a robot. Not a first name:
# "bills", not "bill" (bill.armitage@ is a person).
_AUTOMATED_LOCAL_PART = regex_code.compile(
    r"^(notifications?|notify|alerts?|tracking|updates?|news|newsletters?|marketing|mailer|automated|automailer|system"
    r"|parcels?|shipping|shipments?|deliver(y|ies)|dispatch|security|bills|billing|invoices?|receipts?|payments?"
    r"|robot|digest)([.+_-].*)?$",
    re.IGNORECASE,
)
AUTOMATED_SENDER = "automated_sender"
OWN_ADDRESS_IN_TEXT = "own_address_in_text"
SUBJECT_BOUNCE = regex_code.compile(
    r"^\s*(delivery (status notification|failure)|undeliverable:|undelivered mail returned|"
    r"mail delivery (failed|failure|subsystem)|returned mail:)",
    re.IGNORECASE,
)
SES_SCAN_UNSURE = "ses_verdict_not_pass"
# Our own outgoing auto-replies carry this header and a recognisable Message-ID prefix.
LOOP_HEADER = "x-support-triage-loop"
REPLY_MESSAGE_ID_PREFIX = "triage-reply-"

# Every header header_signals reads. Only these are trimmed and lower-cased: not the long DKIM-Signature,
# Received and X-SES-RECEIPT values of every SES message (about half of the function's time went there).
_READ_HEADERS = frozenset(
    {
        "auto-submitted",
        "precedence",
        "x-precedence",
        *_AUTOREPLY_HEADERS,
        "x-auto-response-suppress",
        "x-loop",
        LOOP_HEADER,
        *_LIST_HEADERS,
        "return-path",
        "content-type",
        "x-failed-recipients",
        *_EXCHANGE_MACHINE_HEADERS,
        "x-amazon-mail-relay-type",
        "x-fc-machinegenerated",
        "subject",
        "x-ses-spam-verdict",
        "x-ses-virus-verdict",
        "authentication-results",
    }
)


def _index(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for key, value in headers:
        name = key.lower()
        if name in _READ_HEADERS:
            index.setdefault(name, []).append(value.strip().lower())
    return index


_LIST_ID = regex_code.compile(r"<([^<>\s]+)>\s*$")


def list_id(value: str) -> str:
    """The id of a List-Id value (RFC 2919: an optional phrase, then the id in angle brackets), lower-cased."""
    found = _LIST_ID.search(value)
    return (found.group(1) if found else value).strip().lower()


def group_list_ids(addresses: Iterable[str]) -> frozenset[str]:
    """The List-Id a Google Group at each of ``addresses`` stamps on what it passes on: the address with its "@" made
    a dot (support@example.com → support.example.com)."""
    return frozenset(address.strip().lower().replace("@", ".", 1) for address in addresses if "@" in address)


def relayed_by_own_group(list_ids: Iterable[str], relay_lists: frozenset[str]) -> bool:
    """Our own group passed this mail on: one of its ``List-Id`` values names one of ``relay_lists`` (a support
    address that is a Google Group, say, whose members include the address SES receives at). The group's list
    headers then say nothing about the writer, who is a customer like any other."""
    return bool(relay_lists) and any(list_id(value) in relay_lists for value in list_ids)


def header_signals(headers: Sequence[tuple[str, str]], *, own_group: bool = False) -> list[str]:
    """Signals carried by the header block. ``headers`` are (name, decoded value) pairs, repeats kept.

    ``own_group``: our own group relayed the mail (:func:`relayed_by_own_group`). Its list headers and its
    ``Precedence: list`` are not read as list mail; a bulk or junk precedence, and every other signal, still count.
    """
    index = _index(headers)

    def values(name: str) -> list[str]:
        return index.get(name, [])  # a name missing from _READ_HEADERS would always read as absent

    found: list[str] = []
    if any(value and value != "no" for value in values("auto-submitted")):
        found.append("auto_submitted")
    precedence = values("precedence") + values("x-precedence")
    machine_precedence = _PRECEDENCE_MACHINE - {"list"} if own_group else _PRECEDENCE_MACHINE
    # The first token decides: "bulk (newsletter)", "list; x" (an RFC 5322 comment or trailing text after it).
    if any(_PRECEDENCE_END.split(value, maxsplit=1)[0] in machine_precedence for value in precedence):
        found.append("precedence_bulk")
    if any(value != "no" for name in _AUTOREPLY_HEADERS for value in values(name)):
        found.append("x_autoreply")
    suppress = values("x-auto-response-suppress")
    if any(_SUPPRESS_VALUES & {part.strip() for part in value.split(",")} for value in suppress):
        found.append("auto_response_suppress")
    if any(value for value in values("x-loop")):
        found.append("x_loop")
    if values(LOOP_HEADER):
        found.append("own_loop_header")
    if not own_group and any(values(name) for name in _LIST_HEADERS):
        found.append("list_mail")
    if any(value.replace(" ", "") in {"<>", ""} for value in values("return-path")):
        found.append("null_return_path")
    # Each value on its own: the parser adds "multipart/report" for a report nested in a multipart/mixed, after the
    # top Content-Type, where a check of the joined values never saw it.
    if any(
        value.startswith("multipart/report") or any(kind in value for kind in _REPORT_TYPES)
        for value in values("content-type")
    ):
        found.append("delivery_report")
    # The parser adds this for a calendar answer (an accept or decline button's mail): no one waits for a reply.
    if any(value.startswith(CALENDAR_REPLY_TYPE) for value in values("content-type")):
        found.append("calendar_reply")
    if values("x-failed-recipients"):
        found.append("failed_recipients")
    if any(values(name) for name in _EXCHANGE_MACHINE_HEADERS):
        found.append("exchange_generated")
    if "notification" in values("x-amazon-mail-relay-type"):
        found.append("amazon_relay_notification")
    if "true" in values("x-fc-machinegenerated"):
        found.append("machine_generated")
    if any(SUBJECT_BOUNCE.match(value) for value in values("subject")):
        found.append("bounce_subject")
    verdicts = {value for value in values("x-ses-spam-verdict") + values("x-ses-virus-verdict") if value}
    if {"fail", "failed"} & verdicts:
        found.append("ses_spam_or_virus")
    elif verdicts - {"pass"}:
        # GRAY (SES unsure) or PROCESSING_FAILED (no scan ran): REFERENCE 1.3 #14, no automatic reply. No verdict
        # at all (mail not stored by an SES receipt rule) is not one.
        found.append(SES_SCAN_UNSURE)
    found += _authentication_signals(values("authentication-results"))
    return found


_AUTH_RESULT = regex_code.compile(r"\b(spf|dkim|dmarc)=(\w+)")


def _authentication_signals(results: list[str]) -> list[str]:
    """SES puts its own Authentication-Results first. DMARC fail, or neither SPF nor DKIM passing, means the
    From address is unverified: answering it could send our mail to a spoofed victim (backscatter)."""
    if not results:
        return []
    verdicts: dict[str, str] = {}
    for method, verdict in _AUTH_RESULT.findall(results[0]):
        verdicts.setdefault(method, verdict)
    if verdicts.get("dmarc") == "fail" or (
        verdicts and verdicts.get("spf") != "pass" and verdicts.get("dkim") != "pass"
    ):
        return ["sender_unverified"]
    return []


def _local_part(address: str) -> str:
    return address.strip().lower().rpartition("@")[0]


def is_system_address(address: str) -> bool:
    local = _local_part(address)
    return bool(local) and bool(_SYSTEM_LOCAL_PART.match(local))


SEVERAL_REPLY_ADDRESSES = "several_reply_addresses"
# A form sent it for a person: the author is a system address (From: no-reply@…) that asks for answers to a
# person's address at another domain (Reply-To), as website contact forms do. A person must read it. (A brand's
# newsletter sent through a mailing service has a person-like From: its bounce envelope stays system_sender.)
RELAYED_SENDER = "relayed_sender"


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def address_signals(
    senders: Iterable[str],
    recipients: Iterable[str],
    own_addresses: Iterable[str],
    own_domain: str,
    reply_to: Iterable[str] = (),
    authors: Iterable[str] = (),
    *,
    own_group: bool = False,
) -> list[str]:
    """Signals from who wrote and to whom. ``senders`` = From, Sender and envelope addresses; ``reply_to`` the
    Reply-To addresses; ``authors`` the From addresses (also among ``senders``). ``own_group``: our own group
    relayed the mail (:func:`relayed_by_own_group`); ``senders`` are then the From addresses alone, since the
    group's Sender and envelope are its own."""
    found: list[str] = []
    own = {address.lower() for address in own_addresses}
    answer_to = [address.lower() for address in reply_to if address]
    sender_list = [address.lower() for address in senders if address] + answer_to
    written_by = [address.lower() for address in authors if address]
    if (
        own_group
        and written_by
        and all(address in own for address in written_by)
        and len(set(answer_to)) == 1
        and not is_system_address(answer_to[0])
        and answer_to[0] not in own
    ):
        # "'Jane' via Support <support@…>", Reply-To Jane: the group wrote its own address over a writer whose
        # domain lets no one else send in its name (DMARC). A person, whom a person answers: the From is ours, so
        # nothing proves the Reply-To is theirs.
        found.append(RELAYED_SENDER)
        sender_list = answer_to
    if any(is_system_address(address) for address in sender_list):
        relayed = (
            written_by
            and answer_to
            and all(is_system_address(address) for address in written_by)
            and not any(is_system_address(address) or address in own for address in answer_to)
            and not {_domain(address) for address in answer_to} & {_domain(address) for address in written_by}
        )
        found.append(RELAYED_SENDER if relayed else "system_sender")
    elif any(_AUTOMATED_LOCAL_PART.match(_local_part(address)) for address in authors if address):
        found.append(AUTOMATED_SENDER)
    if any(address in own for address in sender_list):
        found.append("own_address_sender")
    elif own_domain and any(address.endswith("@" + own_domain) for address in sender_list):
        # A colleague, or a system of ours: never answered automatically, but maybe a person with a question.
        found.append("own_domain_sender")
    if len(set(answer_to)) > 1:
        # An automatic reply goes to one person: to several it would carry the customer's details to the others,
        # and one message could make us mail a hundred addresses.
        found.append(SEVERAL_REPLY_ADDRESSES)
    recipient_list = {address.lower() for address in recipients if address}
    if own and not (own & recipient_list):
        # RFC 3834 §2: not addressed to us explicitly (Bcc, list expansion) ⇒ do not answer automatically. No
        # To/Cc address at all ("To: undisclosed-recipients:;", no To) is the plainest Bcc.
        found.append("not_addressed_to_us")
    return found


def message_id_signals(message_id: str, own_domain: str) -> list[str]:
    """Our own automatic reply's Message-ID coming back is a loop; any other id minted at our domain (a contact
    form, a colleague's client) means: not for the robot, but perhaps for a person."""
    mid = message_id.strip("<> ").lower()
    if mid.startswith(REPLY_MESSAGE_ID_PREFIX):
        return ["own_message_id"]
    if own_domain and mid.endswith("@" + own_domain):
        return ["own_domain_message_id"]
    return []


def replies_to_auto_reply(thread_ids: Iterable[str]) -> bool:
    """The customer answered one of our automatic replies: a person is needed now, not a second robot."""
    return any(ref.strip("<> ").lower().startswith(REPLY_MESSAGE_ID_PREFIX) for ref in thread_ids)


# Signals that only say "do not answer me automatically": the sender may still be a person, so a human reads it.
# Loop risks that a person may stand behind (a relay's X-Loop, a list post, a colleague, our contact form, a mailbox
# rule forwarding a customer's mail) are among them: never a robot's answer, but never silently dropped either.
WEAK_SIGNALS = frozenset(
    {
        "auto_response_suppress",
        "not_addressed_to_us",
        "sender_unverified",
        "own_domain_sender",
        "own_domain_message_id",
        "x_loop",
        "exchange_generated",
        RELAYED_SENDER,
        AUTOMATED_SENDER,
        OWN_ADDRESS_IN_TEXT,
        SEVERAL_REPLY_ADDRESSES,
        # SES could not tell whether it is spam or a virus: a person looks before anyone answers.
        SES_SCAN_UNSURE,
        # A customer's subject can say it too ("Delivery failure for order 4411": their parcel's). A real bounce
        # also has a null return path, a mailer-daemon sender or a delivery report, each a strong signal.
        "bounce_subject",
    }
)
