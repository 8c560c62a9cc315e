"""Property-based fuzzing (hypothesis) of the three doors a hostile input can knock on (issue 8, point 2).

* the MIME parser: arbitrary bytes and structured mail (hostile headers, random multipart trees, random charsets) →
  ``read_email`` never raises, the result is a valid ``InboundMessage``, ``triage_message`` ends in auto_reply,
  escalate or no_reply, and never auto_reply after a doubtful parse defect;
* each webhook provider: arbitrary bodies and headers → a 4xx/2xx status, never an exception; validly signed random
  JSON and mutated real fixtures → 200, 202 or 400 only, and every 202 put exactly one valid message on the queue;
* ``decide``: random messages, classifications, emotions, urgencies and histories → always a decision with a
  reason; strong machine-mail signals and requests for a person never get an automatic reply.

Example counts per test are set by the ``settings`` profiles below (about 40 s in all on two shared cores);
``pytest tests/unit/test_fuzz.py --hypothesis-show-statistics`` prints how many examples each test ran.
``FUZZ_SCALE=10`` multiplies every count for a longer hunt.
"""

from __future__ import annotations

import base64
import json
import os
import quopri
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from triage.classifier import Classification, IntentModel
from triage.conversation import ContactHistory
from triage.emotion import EmotionReading
from triage.message import Address, Channel, InboundMessage
from triage.parsing.email import parse_email
from triage.parsing.machine_mail import WEAK_SIGNALS
from triage.parsing.webhooks import PROVIDERS, sign
from triage.policy import DOUBTFUL_DEFECTS, Action, Reason, decide
from triage.profiles import Profile
from triage.service import Outcome, policy_for, read_email, triage_message
from triage.settings import Settings
from triage.urgency import Urgency
from triage.webhook_intake import StaticSecrets, WebhookIntake

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FIXTURES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
_SETTINGS = Settings.from_env()


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
    )


# ---------------------------------------------------------------------------------------------------------- MIME

# Charsets a sender may declare: real, legacy, unknown, malformed. Not here: codecs whose decoder refuses the
# "replace" error handler ("idna", "undefined", "punycode"): see test_a_codec_charset_does_not_crash_the_parser.
CHARSETS = (
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "shift_jis",
    "iso-2022-jp",
    "gb2312",
    "big5",
    "utf-16",
    "utf-16-le",
    "utf-7",
    "utf-8-sig",
    "x-unknown",
    "unicode-1-1-utf-7",
    "base64",
    "rot13",
    "zlib",
    "",
    "utf-8'",
    '"utf-8',
    "ütf-8",
)
HEADER_NAMES = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Sender",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Return-Path",
    "Date",
    "Content-Language",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "X-Autoreply",
    "X-Loop",
    "Authentication-Results",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "X-Custom",
)
ROUTINE = (
    "Where is my order? It was due last week.",
    "How do I reset my password?",
    "Can I get an invoice for order 12345?",
    "What payment methods do you accept?",
    "I want to speak to a real person.",
    "This is unacceptable!!",
    "Thanks, that solved it.",
    "Bonjour, je voudrais parler à un humain.",
)

_words = st.sampled_from(
    ["order", "refund", "hello", "Ünïcode", "日本語", "=?", "?=", ":", ";", "<", ">", "@", '"']
)
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
_ascii_text = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=60)


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    charset = draw(st.sampled_from(CHARSETS))
    payload = draw(_text).encode("utf-8")
    if draw(st.booleans()):
        return f"=?{charset}?B?{base64.b64encode(payload).decode()}?="
    return f"=?{charset}?Q?{quopri.encodestring(payload, header=True).decode()}?="


@st.composite
def header_value(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                _text,
                _ascii_text,
                _words,
                encoded_word(),
                st.sampled_from(["\r\n", "\n", "\r", "\x00", "\r\n ", "\t", "\r\nX-Injected: yes"]),
                st.emails().map(str),
                st.just("<[x]@[y]>"),
                st.just("(c):"),
                st.just("name*=utf-8''%E2%82%AC"),
            ),
            max_size=8,
        )
    )
    value = "".join(pieces)
    if draw(st.integers(0, 30)) == 0:
        value += "x" * draw(st.sampled_from([1_000, 70_000]))  # past one header line, past the field cap
    if draw(st.integers(0, 30)) == 0:
        value = "=?utf-8?B?YQ==?= " * 2_000  # thousands of encoded words
    return value


def header_block(draw: st.DrawFn) -> list[str]:
    lines = []
    for name, value in draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value()), max_size=10)):
        lines.append(f"{name}: {value}")
    if draw(st.booleans()):
        lines.append("junk header line without a colon")
    return lines


@st.composite
def mime_part(draw: st.DrawFn, depth: int = 0) -> bytes:
    """One MIME entity, as bytes: a text or binary leaf, a message/rfc822, or a multipart of random children."""
    kind = draw(st.sampled_from(["leaf", "leaf", "multipart", "rfc822"] if depth < 4 else ["leaf"]))
    headers = header_block(draw) if draw(st.integers(0, 3)) == 0 else []
    if kind == "multipart":
        boundary = draw(st.sampled_from(["b1", "=_boundary", "", "x" * 80, "a b"]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed"]))
        children = draw(st.lists(mime_part(depth + 1), max_size=4))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"  # else: the closing boundary is missing
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'
        return "\r\n".join([head, *headers]).encode() + b"\r\n\r\n" + body
    if kind == "rfc822":
        return b"Content-Type: message/rfc822\r\n\r\n" + draw(mime_part(depth + 1))
    content_type = draw(
        st.sampled_from(
            [
                "text/plain",
                "text/html",
                "text/rfc822-headers",
                "application/octet-stream",
                "application/ms-tnef",
                "message/delivery-status",
                "text/plain; format=flowed",
                "bogus",
                "text/",
            ]
        )
    )
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"]))
    text = draw(
        st.one_of(st.sampled_from(ROUTINE), _text, st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
    )
    if content_type == "text/html":
        text = f"<html><body><p>{text}</p><script>x()</script></body></html>"
    try:
        data = text.encode(charset or "utf-8")
    except (LookupError, UnicodeError, TypeError):
        data = text.encode("utf-8", "surrogateescape")
    if encoding == "base64":
        data = base64.encodebytes(data)
        if draw(st.booleans()):
            data = data[: len(data) // 2 + 1]  # truncated padding
    elif encoding == "quoted-printable":
        data = quopri.encodestring(data)
    head = [
        f"Content-Type: {content_type}; charset={charset}",
        f"Content-Transfer-Encoding: {encoding}",
        *headers,
    ]
    if draw(st.integers(0, 4)) == 0:
        head.append(f'Content-Disposition: attachment; filename="{draw(header_value())}"')
    return "\r\n".join(head).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + data


@st.composite
def email_bytes(draw: st.DrawFn) -> bytes:
    top = [
        f"From: {draw(st.one_of(st.just('Ann <ann@example.org>'), header_value()))}",
        "To: support@example.com",
        f"Subject: {draw(st.one_of(st.sampled_from(ROUTINE), header_value()))}",
        f"Message-ID: <{draw(st.integers(0, 10**9))}@example.org>",
        *header_block(draw),
    ]
    draw(st.randoms()).shuffle(top)
    separator = draw(st.sampled_from([b"\r\n", b"\n"]))
    head = separator.join(line.encode("utf-8", "surrogateescape") for line in top)
    return head + separator + draw(mime_part())


def assert_triaged(message: InboundMessage, model: IntentModel) -> Outcome:
    InboundMessage.model_validate(message.model_dump(by_alias=True))
    InboundMessage.model_validate_json(message.model_dump_json(by_alias=True))
    outcome = triage_message(message, model, _SETTINGS)
    assert outcome.decision.action in (Action.AUTO_REPLY, Action.ESCALATE, Action.NO_REPLY)
    assert isinstance(outcome.decision.reason, Reason)
    doubtful = [d for d in message.defects if d.split(":")[0] in DOUBTFUL_DEFECTS]
    if doubtful:
        assert outcome.decision.action is not Action.AUTO_REPLY, doubtful
    if outcome.decision.action is Action.ESCALATE:
        assert outcome.escalation is not None
    return outcome


@fuzz(300)
@given(raw=st.binary(max_size=3_000))
def test_arbitrary_bytes_parse_and_triage_to_an_outcome(raw: bytes, model: IntentModel) -> None:
    assert_triaged(read_email(raw, _SETTINGS), model)


@fuzz(150)
@given(raw=email_bytes())
def test_structured_hostile_mail_parses_and_triages_to_an_outcome(raw: bytes, model: IntentModel) -> None:
    assert_triaged(read_email(raw, _SETTINGS), model)


@fuzz(80)
@given(raw=email_bytes(), cut=st.integers(0, 5_000), junk=st.binary(max_size=40))
def test_truncated_or_spliced_mail_parses(raw: bytes, cut: int, junk: bytes, model: IntentModel) -> None:
    assert_triaged(read_email(raw[:cut] + junk + raw[cut:], _SETTINGS), model)


@pytest.mark.parametrize(("charset", "body"), [("idna", b"\xff"), ("undefined", b"x"), ("punycode", b"\xff")])
def test_a_codec_charset_does_not_crash_the_parser(charset: str, body: bytes) -> None:
    # The minimal failing inputs the structured fuzzer found (data.decode(charset, "replace") raised UnicodeError):
    # Python knows these names, but they are not text encodings.
    raw = f"From: a@example.org\nContent-Type: text/plain; charset={charset}\n\n".encode() + body + b"\n"
    assert "unknown_charset" in parse_email(raw).defects


# ------------------------------------------------------------------------------------------------------ webhooks

SECRETS = {provider: f"fuzz-secret-{provider}" for provider in PROVIDERS if provider != "generic"} | {
    "generic": "whsec_dGVzdC1zZWNyZXQtZ2VuZXJpYy0zMi1ieXRlcy1rZXk="
}
SIGNATURE_HEADERS = (
    "X-Zendesk-Webhook-Signature",
    "X-Zendesk-Webhook-Signature-Timestamp",
    "X-Zendesk-Webhook-Invocation-Id",
    "X-Hub-Signature",
    "X-HelpScout-Signature",
    "X-HelpScout-Event",
    "X-Front-Signature",
    "X-Front-Request-Timestamp",
    "X-Front-Challenge",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "Content-Type",
    "X-Webhook-Token",
)


class ListQueue:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> str:
        self.sent.append(body)
        return f"q-{len(self.sent)}"


def intake() -> tuple[WebhookIntake, ListQueue]:
    queue = ListQueue()
    return WebhookIntake(StaticSecrets({p: [s] for p, s in SECRETS.items()}), queue), queue


def fixture_cases(provider: str) -> list[tuple[Any, dict[str, str]]]:
    cases = []
    for path in sorted((FIXTURES / provider).glob("*.json")):
        if path.name.endswith((".expected.json", ".headers.json")):
            continue
        headers = json.loads(path.with_name(path.name.replace(".json", ".headers.json")).read_text("utf-8"))
        cases.append((json.loads(path.read_text("utf-8")), headers))
    return cases


_header_values = st.one_of(
    _ascii_text,
    _text,
    st.sampled_from(["sha1=", "v1,", "v1,AAAA", "0", "9" * 30, "2026-03-02T10:00:00Z", ""]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=20,
)
# Keys the normalisers look for, so random JSON reaches past the first lookup.
_KEYS = (
    "type",
    "event",
    "topic",
    "data",
    "item",
    "ticket",
    "message",
    "conversation",
    "payload",
    "from",
    "email",
    "subject",
    "text",
    "body",
    "author_role",
    "ticket_id",
    "id",
    "source",
    "author",
    "conversation_parts",
    "freshdesk_webhook",
    "ticket_description",
    "requester_email",
    "sender",
    "channel",
    "via",
    "threads",
    "customer",
)
_keyed_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | _text
    | st.emails().map(str)
    | st.sampled_from(["customer", "user"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


def check_response(status: int, queue: ListQueue, before: int, allowed: set[int]) -> None:
    assert status in allowed, status
    if status == 202:
        assert len(queue.sent) == before + 1
        message = InboundMessage.model_validate_json(queue.sent[-1])
        assert message.channel is Channel.WEBHOOK
    else:
        assert len(queue.sent) == before


@pytest.mark.parametrize("provider", [*PROVIDERS, "nope"])
@fuzz(40)
@given(
    body=st.one_of(st.binary(max_size=500), _json.map(lambda v: json.dumps(v).encode())),
    headers=st.dictionaries(
        st.one_of(st.sampled_from(SIGNATURE_HEADERS), _ascii_text), _header_values, max_size=6
    ),
)
def test_any_request_gets_a_status_never_an_exception(
    provider: str, body: bytes, headers: dict[str, str]
) -> None:
    service, queue = intake()
    response = service.receive(provider, body, headers)
    check_response(response.status, queue, 0, {200, 202, 400, 401, 404, 409, 413})
    json.loads(response.json())


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """The document with a few random edits: a value replaced, a key dropped or added, a type changed."""
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 4))):
        node, path = document, []
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
            key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
            path.append(key)
            node = node[key]
        parent: Any = document
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if not path:
            if isinstance(document, dict) and action == "add":
                document[draw(st.sampled_from(_KEYS))] = draw(_keyed_json)
            continue
        if action == "replace":
            parent[path[-1]] = draw(_keyed_json)
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(_KEYS))] = draw(_keyed_json)
    return document


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz(40)
@given(data=st.data())
def test_validly_signed_json_is_accepted_acknowledged_or_refused_with_400(
    provider: str, data: st.DataObject
) -> None:
    cases = fixture_cases(provider)
    document, fixture_headers = data.draw(st.sampled_from(cases))
    choice = data.draw(st.sampled_from(["fixture", "mutated", "random", "keyed"]))
    if choice == "mutated":
        document = data.draw(mutated(document))
    elif choice == "random":
        document = data.draw(_json)
    elif choice == "keyed":
        document = data.draw(st.dictionaries(st.sampled_from(_KEYS), _keyed_json, max_size=6))
    body = json.dumps(document).encode()
    delivery = data.draw(
        st.one_of(st.none(), st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20))
    )
    fresh = sign(provider, body, SECRETS[provider], datetime.now(UTC), delivery)
    kept = {k: v for k, v in fixture_headers.items() if k.lower() not in {f.lower() for f in fresh}}
    if provider == "front" and "X-Front-Challenge" in kept and data.draw(st.booleans()):
        kept["X-Front-Challenge"] = data.draw(_ascii_text)
    service, queue = intake()
    response = service.receive(provider, body, kept | fresh)
    check_response(response.status, queue, 0, {200, 202, 400})


# -------------------------------------------------------------------------------------------------------- decide

# Every machine-mail signal the parser can record; the strong ones are those policy does not call weak.
STRONG_SIGNALS = tuple(
    signal
    for signal in (
        "auto_submitted",
        "precedence_bulk",
        "x_autoreply",
        "x_loop",
        "own_loop_header",
        "list_mail",
        "null_return_path",
        "delivery_report",
        "failed_recipients",
        "exchange_generated",
        "amazon_relay_notification",
        "machine_generated",
        "bounce_subject",
        "ses_spam_or_virus",
        "system_sender",
        "own_address_sender",
    )
    if signal not in WEAK_SIGNALS
)
HUMAN_PHRASES = (
    "I want to speak to a real person",
    "can I talk to a human agent",
    "a human, please",
    "quiero hablar con una persona",
    "ich möchte mit einem Menschen sprechen",
    "je veux parler à un humain",
)
_POLICY = policy_for(_SETTINGS)
_PROFILES = tuple(_POLICY.config.profiles.values())
_LABELS = (
    *sorted({label for p in _PROFILES for label in p.auto_reply_intents}),
    "complaint",
    "contact_human_agent",
    "faq:gift-wrapping",
)


@st.composite
def inbound(draw: st.DrawFn, extra_signals: tuple[str, ...] = (), text_prefix: str = "") -> InboundMessage:
    email = st.one_of(st.just(""), st.emails().map(str), _text)
    return InboundMessage(
        id=draw(st.text(min_size=1, max_size=20)),
        dedupe_key=draw(st.one_of(st.just(""), _text)),
        channel=draw(st.sampled_from(Channel)),
        provider=draw(st.sampled_from(["ses", *PROVIDERS])),
        message_id=draw(_text),
        in_reply_to=draw(st.one_of(st.just(""), st.just("<triage-reply-1@example.com>"), _text)),
        references=tuple(draw(st.lists(_text, max_size=3))),
        **{"from": Address(name=draw(_text), address=draw(email))},
        subject=draw(st.one_of(st.sampled_from(ROUTINE), _text)),
        text=text_prefix + draw(st.one_of(st.sampled_from(ROUTINE), _text, st.just(""))),
        language=draw(st.one_of(st.none(), st.sampled_from(["en", "de", "fr", "es", "zz"]))),
        ticket_id=draw(st.one_of(st.just(""), _text)),
        auto_signals=tuple(draw(st.lists(st.sampled_from(sorted(WEAK_SIGNALS)), max_size=2))) + extra_signals,
        defects=tuple(
            draw(st.lists(st.sampled_from([*sorted(DOUBTFUL_DEFECTS), "8bit_header", "x"]), max_size=2))
        ),
    )


_probability = st.floats(0, 1)
_classification = st.builds(
    Classification,
    label=st.sampled_from(_LABELS),
    confidence=_probability,
    top_k=st.lists(st.tuples(st.sampled_from(_LABELS), _probability), max_size=3).map(tuple),
    model_version=st.just("fuzz"),
    threshold=st.one_of(st.none(), _probability),
)
_emotion = st.builds(
    EmotionReading,
    label=st.sampled_from(["neutral", "anger", "joy", "annoyance", "sadness"]),
    confidence=_probability,
    negative=st.booleans(),
    cues=st.lists(st.sampled_from(["!!", "unacceptable", "lawyer", "ridiculous"]), max_size=2).map(tuple),
    scores=st.lists(st.tuples(st.sampled_from(["neutral", "anger", "joy"]), _probability), max_size=3).map(
        tuple
    ),
)
_urgency = st.builds(
    Urgency,
    score=_probability,
    level=st.sampled_from(["low", "normal", "high"]),
    cues=st.lists(_ascii_text, max_size=2).map(tuple),
)
_NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
_history = st.builds(
    ContactHistory,
    auto_replied_by=st.one_of(st.none(), _ascii_text),
    earlier_contacts=st.lists(st.integers(0, 30).map(lambda d: _NOW - timedelta(days=d)), max_size=3).map(
        tuple
    ),
)


def decide_with(message: InboundMessage, data: st.DataObject) -> Any:
    profile: Profile = data.draw(st.sampled_from(_PROFILES))
    decision = decide(
        message,
        data.draw(st.one_of(st.none(), _classification)),
        profile,
        emotion=data.draw(st.one_of(st.none(), _emotion)),
        urgency=data.draw(st.one_of(st.none(), _urgency)),
        history=data.draw(st.one_of(st.none(), _history)),
        templated_intents=data.draw(st.sampled_from([frozenset(), _POLICY.templates.intents])),
        segment=data.draw(st.one_of(st.none(), st.sampled_from(sorted(_POLICY.config.profiles)))),
        now=_NOW,
    )
    assert decision.action in (Action.AUTO_REPLY, Action.ESCALATE, Action.NO_REPLY)
    assert isinstance(decision.reason, Reason)
    assert decision.message_key == message.id
    return decision


@fuzz(300)
@given(message=inbound(), data=st.data())
def test_decide_always_returns_a_decision_with_a_reason(message: InboundMessage, data: st.DataObject) -> None:
    decision = decide_with(message, data)
    if decision.action is Action.AUTO_REPLY:
        assert not any(d.split(":")[0] in DOUBTFUL_DEFECTS for d in message.defects)
        assert not any(signal in WEAK_SIGNALS for signal in message.auto_signals)


@fuzz(150)
@given(
    message=st.lists(st.sampled_from(STRONG_SIGNALS), min_size=1, max_size=3).flatmap(
        lambda signals: inbound(extra_signals=tuple(signals))
    ),
    data=st.data(),
)
def test_machine_mail_never_gets_an_automatic_reply(message: InboundMessage, data: st.DataObject) -> None:
    decision = decide_with(message, data)
    assert decision.action is Action.NO_REPLY
    assert decision.reason is Reason.MACHINE_MAIL


@fuzz(150)
@given(
    message=st.sampled_from(HUMAN_PHRASES).flatmap(lambda phrase: inbound(text_prefix=phrase + ". ")),
    data=st.data(),
)
def test_a_request_for_a_person_never_gets_an_automatic_reply(
    message: InboundMessage, data: st.DataObject
) -> None:
    assume(not message.auto_signals or all(s in WEAK_SIGNALS for s in message.auto_signals))
    decision = decide_with(message, data)
    assert decision.action is not Action.AUTO_REPLY
