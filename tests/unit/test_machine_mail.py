"""Machine-mail signals (REFERENCE §1.3): one header case per signal, and the people who must not be silenced."""

from __future__ import annotations

import pytest

from triage.parsing import machine_mail
from triage.parsing.machine_mail import WEAK_SIGNALS, address_signals, header_signals, message_id_signals

HUMAN = [("From", "Jane <jane@customer.example.net>"), ("Subject", "Where is my parcel?")]


@pytest.mark.parametrize(
    ("header", "signal"),
    [
        (("Auto-Submitted", "auto-replied"), "auto_submitted"),
        (("Auto-Submitted", "auto-generated"), "auto_submitted"),
        (("Precedence", "bulk"), "precedence_bulk"),
        (("X-Precedence", "junk"), "precedence_bulk"),
        (("Precedence", "auto_reply"), "precedence_bulk"),
        (("X-Autoreply", "yes"), "x_autoreply"),
        (("X-Autorespond", "on"), "x_autoreply"),
        (("X-Auto-Response-Suppress", "DR, OOF"), "auto_response_suppress"),
        (("X-Auto-Response-Suppress", "All"), "auto_response_suppress"),
        (("X-Loop", "yes"), "x_loop"),
        (("X-Support-Triage-Loop", "support-triage"), "own_loop_header"),
        (("List-Unsubscribe", "<mailto:leave@list.example.org>"), "list_mail"),
        (("List-Id", "<news.example.org>"), "list_mail"),
        (("Return-Path", "<>"), "null_return_path"),
        (("Content-Type", "multipart/report; report-type=delivery-status"), "delivery_report"),
        (("Content-Type", "multipart/report; report-type=disposition-notification"), "delivery_report"),
        (("X-Failed-Recipients", "gone@example.net"), "failed_recipients"),
        (("X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent"), "exchange_generated"),
        (("X-Amazon-Mail-Relay-Type", "notification"), "amazon_relay_notification"),
        (("X-FC-Machinegenerated", "true"), "machine_generated"),
        (("Subject", "Undeliverable: your order"), "bounce_subject"),
        (("X-SES-Spam-Verdict", "FAIL"), "ses_spam_or_virus"),
        (("Authentication-Results", "amazonses.com; spf=pass; dkim=pass; dmarc=fail"), "sender_unverified"),
        (("Authentication-Results", "amazonses.com; spf=fail; dkim=none; dmarc=none"), "sender_unverified"),
    ],
)
def test_each_header_signal(header: tuple[str, str], signal: str) -> None:
    assert signal in header_signals([*HUMAN, header])


@pytest.mark.parametrize("header", ["X-SES-Spam-Verdict", "X-SES-Virus-Verdict"])
@pytest.mark.parametrize("verdict", ["GRAY", "PROCESSING_FAILED", "gray ", "DISABLED", "SOMETHING_NEW"])
def test_a_scan_verdict_other_than_pass_is_a_weak_signal(header: str, verdict: str) -> None:
    """REFERENCE 1.3 #14: any spam or virus verdict but PASS means no automatic reply. FAIL is machine mail (below);
    the others (SES unsure, or its scan did not run) may be a person's mail, so a person reads it."""
    other = "X-SES-Virus-Verdict" if header == "X-SES-Spam-Verdict" else "X-SES-Spam-Verdict"
    signals = header_signals([*HUMAN, (header, verdict), (other, "PASS")])
    assert signals == ["ses_verdict_not_pass"]
    assert "ses_verdict_not_pass" in WEAK_SIGNALS


@pytest.mark.parametrize(
    "verdicts",
    [[("X-SES-Spam-Verdict", "PASS"), ("X-SES-Virus-Verdict", "PASS")], [], [("X-SES-Spam-Verdict", "")]],
    ids=["pass", "absent (no SES receipt)", "empty"],
)
def test_a_passed_or_absent_scan_verdict_is_no_signal(verdicts: list[tuple[str, str]]) -> None:
    assert header_signals([*HUMAN, *verdicts]) == []


def test_a_failed_scan_verdict_stays_machine_mail() -> None:
    signals = header_signals([*HUMAN, ("X-SES-Spam-Verdict", "FAIL"), ("X-SES-Virus-Verdict", "GRAY")])
    assert "ses_spam_or_virus" in signals
    assert "ses_spam_or_virus" not in WEAK_SIGNALS


@pytest.mark.parametrize("value", ["bulk (newsletter)", "BULK", " list ; x", "junk(comment)", "Bulk\t(c)"])
def test_a_precedence_value_is_read_without_its_comment(value: str) -> None:
    """RFC 5322 comments and trailing text: the first token decides, in any case."""
    assert "precedence_bulk" in header_signals([*HUMAN, ("Precedence", value)])


def test_a_precedence_that_only_mentions_bulk_is_no_signal() -> None:
    assert header_signals([*HUMAN, ("Precedence", "first-class (not bulk)")]) == []


def test_every_header_read_is_indexed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the headers in _READ_HEADERS are indexed (not the long DKIM and Received values): one read outside
    that set would always read as absent and its signal would never fire."""
    asked: set[str] = set()
    index = machine_mail._index

    class Recording(dict[str, list[str]]):
        def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
            asked.add(name)
            return super().get(name, default)

    monkeypatch.setattr(machine_mail, "_index", lambda headers: Recording(index(headers)))
    assert header_signals(HUMAN) == []  # nothing found: every check runs
    assert "authentication-results" in asked
    assert asked <= machine_mail._READ_HEADERS
    headers = [(name.upper(), "x") for name in sorted(machine_mail._READ_HEADERS)] + [
        ("DKIM-Signature", "v=1")
    ]
    assert set(index(headers)) == machine_mail._READ_HEADERS


@pytest.mark.parametrize(
    "header",
    [
        ("Auto-Submitted", "no"),
        ("X-Auto-Response-Suppress", "None"),
        ("Precedence", "first-class"),
        ("Authentication-Results", "amazonses.com; spf=pass; dkim=none; dmarc=none"),
    ],
)
def test_a_person_carries_no_signal(header: tuple[str, str]) -> None:
    assert header_signals([*HUMAN, header]) == []


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.net",
        "postmaster@x.example",
        "no-reply@x.example",
        "noreply-alerts@x.example",
        "do-not-reply@x.example",
        "bounces+123@x.example",
    ],
)
def test_system_senders(sender: str) -> None:
    assert "system_sender" in address_signals(
        [sender], ["support@example.com"], ["support@example.com"], "example.com"
    )


def test_our_own_address_is_a_loop() -> None:
    signals = address_signals(
        ["support@example.com"], ["support@example.com"], ["support@example.com"], "example.com"
    )
    assert "own_address_sender" in signals


def test_mail_not_addressed_to_us_is_flagged() -> None:
    signals = address_signals(
        ["jane@customer.example.net"], ["list@lists.example.org"], ["support@example.com"], ""
    )
    assert signals == ["not_addressed_to_us"]


@pytest.mark.parametrize(
    "recipients",
    [[], ["friend@other.example.net"]],
    ids=["no To/Cc address (undisclosed-recipients, no To)", "someone else"],
)
def test_mail_naming_none_of_our_addresses_is_flagged(recipients: list[str]) -> None:
    """RFC 3834 sec. 2: we were only Bcc'd (To: undisclosed-recipients:; or no To at all, as bulk senders write
    it): not addressed to us explicitly, so no automatic answer; a weak signal, a person still reads it."""
    signals = address_signals(
        ["jane@customer.example.net"], recipients, ["support@example.com"], "example.com"
    )
    assert signals == ["not_addressed_to_us"]
    assert "not_addressed_to_us" in WEAK_SIGNALS


def test_without_known_own_addresses_nothing_is_flagged_as_not_addressed_to_us() -> None:
    """No receiving address configured: we cannot tell whom the mail named, so it is no signal."""
    assert address_signals(["jane@customer.example.net"], [], [], "example.com") == []


def test_our_own_message_id_coming_back_is_a_loop() -> None:
    assert message_id_signals("<triage-reply-abc@elsewhere.example>", "example.com") == ["own_message_id"]
    assert message_id_signals("<form-123@example.com>", "example.com") == ["own_domain_message_id"]
    assert message_id_signals("<abc@customer.example.net>", "example.com") == []


def test_a_colleague_at_our_domain_is_not_our_own_address() -> None:
    signals = address_signals(
        ["kim@example.com"], ["support@example.com"], ["support@example.com"], "example.com"
    )
    assert signals == ["own_domain_sender"]


FORM = "no-reply@forms.example.net"


def to_support(author: str, reply_to: list[str], *, envelope: tuple[str, ...] = ()) -> list[str]:
    """The address signals of a mail From ``author`` (and ``envelope``) to support@example.com."""
    return address_signals(
        [author, *envelope],
        ["support@example.com"],
        ["support@example.com"],
        "example.com",
        reply_to=reply_to,
        authors=[author],
    )


@pytest.mark.parametrize(
    ("reply_to", "signal"),
    [
        (["lucia@example.org"], "relayed_sender"),  # a contact form: a person to answer elsewhere
        (["billing@forms.example.net"], "system_sender"),  # a vendor's notification: answers go to the vendor
        (["bounces@example.org"], "system_sender"),  # a machine to answer
        ([], "system_sender"),
    ],
)
def test_a_system_author_with_a_persons_reply_to_elsewhere_is_a_relayed_message(
    reply_to: list[str], signal: str
) -> None:
    assert to_support(FORM, reply_to) == [signal]
    assert (signal in WEAK_SIGNALS) == (signal == "relayed_sender")


def test_a_brands_mail_sent_by_a_mailing_service_is_not_relayed() -> None:
    """From and Reply-To are the brand; only the envelope is the service's bounce address."""
    brand = "hello@brand.example.org"
    signals = to_support(brand, [brand], envelope=("bounce-mc.123@mail.service.example.net",))
    assert signals == ["system_sender"]


def test_a_reply_to_our_own_address_is_never_a_relayed_customer() -> None:
    signals = to_support(FORM, ["support@example.com"])
    assert "relayed_sender" not in signals
    assert "own_address_sender" in signals


def test_several_reply_addresses_are_a_weak_signal() -> None:
    assert to_support("jane@example.org", ["jane@example.org", "boss@example.net"]) == [
        "several_reply_addresses"
    ]
    assert "several_reply_addresses" in WEAK_SIGNALS
    assert to_support("jane@example.org", ["Jane@example.org", "jane@example.org"]) == []


@pytest.mark.parametrize(
    "sender",
    [
        "tracking@parcels.example.net",
        "notifications@codehost.example.org",
        "alerts+billing@cloud.example.com",
        "Updates@shop.example.org",
        "newsletter@brand.example.org",
        "bills@energy.example.net",
    ],
)
def test_a_sender_named_like_a_system_is_a_weak_signal(sender: str) -> None:
    """A carrier's tracking update or a code host's notification, with no header that says so, was answered: a
    robot's answer to a robot. Weak: a person looks, nothing is dropped."""
    assert to_support(sender, []) == ["automated_sender"]
    assert "automated_sender" in WEAK_SIGNALS


@pytest.mark.parametrize(
    "sender",
    [
        "jane.tracking@example.org",
        "newsome@example.org",
        "info@smallshop.example.org",
        "alerta@example.es",
        "bill.armitage@example.org",  # a first name, not the bills desk
        "bill@example.org",
    ],
)
def test_people_and_shared_boxes_are_not_automated_senders(sender: str) -> None:
    assert "automated_sender" not in to_support(sender, [])


GROUP_HEADERS = [
    ("Precedence", "list"),
    ("List-ID", "Support <support.example.com>"),
    (
        "List-Post",
        "<https://groups.google.com/a/example.com/group/support/post>, <mailto:support@example.com>",
    ),
    ("List-Unsubscribe", "<mailto:googlegroups-manage+1+unsubscribe@googlegroups.com>"),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<support.example.com>", "support.example.com"),
        ("Support team <Support.Example.com>", "support.example.com"),
        ('"Hobby list"\n <woodworkers.lists.example.org>', "woodworkers.lists.example.org"),
        ("support.example.com", "support.example.com"),  # no brackets: the value as written
    ],
)
def test_a_list_id_is_read_without_its_phrase(value: str, expected: str) -> None:
    assert machine_mail.list_id(value) == expected


def test_a_google_group_at_our_address_is_known_by_its_list_id() -> None:
    assert machine_mail.group_list_ids(["Support@Example.com", "billing@example.co.uk", ""]) == {
        "support.example.com",
        "billing.example.co.uk",
    }


def test_only_our_own_groups_list_id_makes_a_relay() -> None:
    ours = frozenset({"support.example.com"})
    assert machine_mail.relayed_by_own_group(["Support <support.example.com>"], ours)
    assert not machine_mail.relayed_by_own_group(["<news.example.org>"], ours)
    assert not machine_mail.relayed_by_own_group(["<support.example.com>"], frozenset())


def test_our_own_groups_list_headers_are_not_list_mail() -> None:
    assert {"list_mail", "precedence_bulk"} <= set(header_signals([*HUMAN, *GROUP_HEADERS]))
    assert header_signals([*HUMAN, *GROUP_HEADERS], own_group=True) == []


@pytest.mark.parametrize(
    ("header", "signal"),
    [
        (("Precedence", "bulk"), "precedence_bulk"),
        (("Auto-Submitted", "auto-replied"), "auto_submitted"),
        (("Return-Path", "<>"), "null_return_path"),
    ],
)
def test_a_machine_signal_passed_on_by_our_group_still_counts(header: tuple[str, str], signal: str) -> None:
    assert signal in header_signals([*HUMAN, *GROUP_HEADERS, header], own_group=True)


def group_rewrite(reply_to: list[str], own_group: bool = True) -> list[str]:
    """Signals of a mail our group re-sent under its own address (From rewritten for a DMARC p=reject writer)."""
    return address_signals(
        senders=["support@example.com"],
        recipients=["support@example.com"],
        own_addresses=["support@example.com"],
        own_domain="example.com",
        reply_to=reply_to,
        authors=["support@example.com"],
        own_group=own_group,
    )


def test_a_writer_our_group_rewrote_is_a_relayed_person_not_our_own_mail() -> None:
    assert group_rewrite(["ines@example.net"]) == [machine_mail.RELAYED_SENDER]
    # Not relayed by our group: our own address writing to us is a loop, as ever.
    assert "own_address_sender" in group_rewrite(["ines@example.net"], own_group=False)


@pytest.mark.parametrize(
    ("reply_to", "signal"),
    [
        (["no-reply@shop.example.org"], "system_sender"),  # a machine behind the group
        (["support@example.com"], "own_address_sender"),  # answering would mail ourselves
        (["colleague@example.com"], "own_domain_sender"),  # a colleague writing to the group
    ],
)
def test_a_rewritten_writer_that_is_no_customer_keeps_its_signal(reply_to: list[str], signal: str) -> None:
    assert signal in group_rewrite(reply_to)


def test_a_rewritten_writer_with_several_reply_addresses_is_not_one_relayed_person() -> None:
    signals = group_rewrite(["a@example.net", "b@example.net"])
    assert machine_mail.RELAYED_SENDER not in signals
    assert "own_address_sender" in signals
