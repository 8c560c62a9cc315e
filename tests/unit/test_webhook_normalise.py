"""Verified webhook → the customer's message, or the reason it is acknowledged and ignored."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import EVENTS, SHARED_DATA
from triage.message import Channel
from triage.parsing.webhooks import (
    IGNORED_REASONS,
    MAX_BODY_BYTES,
    OUR_TAG,
    PROVIDERS,
    Normalised,
    Verified,
    WebhookRejected,
    normalise,
    sign,
    verify,
)
from triage.policy import Action, Reason, decide
from triage.profiles import Profile

FIXTURES = EVENTS / "webhooks"
SHARED_SAMPLES = SHARED_DATA / "helpdesk_webhooks"
NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
SAFE_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _signing() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_fixture_signing_n", FIXTURES / "sign.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIGNING = _signing()
CASES = SIGNING.bodies()


def fixture(provider: str, name: str) -> tuple[bytes, dict[str, str]]:
    path = FIXTURES / provider / f"{name}.json"
    headers = json.loads(path.with_name(f"{name}.headers.json").read_text(encoding="utf-8"))
    return path.read_bytes(), headers


def run(
    provider: str, body: bytes, headers: dict[str, str] | None = None, delivery: str = "d-1"
) -> Normalised:
    """Sign ``body`` (keeping extra headers such as the Help Scout event) and normalise it."""
    extra = {name: value for name, value in (headers or {}).items() if "signature" not in name.lower()}
    signed = {**extra, **sign(provider, body, "k", NOW, delivery)}
    return normalise(provider, body, signed, verify(provider, body, signed, ["k"], NOW))


def edited(provider: str, name: str, change: Any) -> tuple[bytes, dict[str, str]]:
    body, headers = fixture(provider, name)
    payload = json.loads(body)
    change(payload)
    return json.dumps(payload).encode(), headers


def rejection(provider: str, body: bytes, headers: dict[str, str] | None = None) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        run(provider, body, headers)
    return caught.value


# --- every fixture -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "path"), CASES, ids=lambda value: getattr(value, "stem", value))
def test_fixture_normalises_as_expected(provider: str, path: Path) -> None:
    headers = json.loads(path.with_name(path.stem + ".headers.json").read_text(encoding="utf-8"))
    want = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    body = path.read_bytes()
    verified = verify(provider, body, headers, [SIGNING.SECRETS[provider]], SIGNING.SIGNED_AT)
    result = normalise(provider, body, headers, verified)
    assert result.ignored == want["ignored"]
    assert result.delivery_id == verified.delivery_id
    assert result.challenge == want.get("challenge")
    if want["ignored"] is not None:
        assert result.message is None
        assert result.ignored in IGNORED_REASONS
        return
    message = result.message
    assert message is not None
    assert message.ticket_id == want["ticket_id"]
    assert message.from_.address == want["from_address"]
    assert message.subject == want["subject"]
    assert want["text_contains"] in message.text
    if "text_excludes" in want:
        assert want["text_excludes"] not in message.text
        assert want["text_excludes"] in message.full_text
    assert message.channel is Channel.WEBHOOK
    assert message.provider == provider
    assert message.id.startswith(f"{provider}-")
    assert set(message.id) <= SAFE_ID
    assert message.dedupe_key.startswith(f"{provider}:")
    assert message.dedupe_key.split(":")[2] == want["ticket_id"]
    assert message.message_id
    assert message.language == "en"
    assert "<" not in message.text  # HTML was turned into text


def test_every_provider_has_a_customer_message_and_an_ignored_event() -> None:
    outcomes: dict[str, set[bool]] = {provider: set() for provider in PROVIDERS}
    for provider, path in CASES:
        want = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
        outcomes[provider].add(want["ignored"] is None)
    assert all(seen == {True, False} for seen in outcomes.values()), outcomes


# --- one message, however often it arrives -----------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "path"), CASES, ids=lambda value: getattr(value, "stem", value))
def test_a_redelivered_message_keeps_its_dedupe_key(provider: str, path: Path) -> None:
    body, headers = fixture(provider, path.stem)
    first, second = run(provider, body, headers, "d-1"), run(provider, body, headers, "d-2")
    if first.message is None:
        assert second.message is None
        assert first.ignored == second.ignored
        return
    assert second.message is not None
    assert first.message.dedupe_key == second.message.dedupe_key
    assert first.message.message_id == second.message.message_id
    if provider in ("zendesk", "generic"):  # the delivery id comes from a header there
        assert first.message.id != second.message.id


def test_zendesk_first_comment_and_ticket_created_are_one_message() -> None:
    created, _ = fixture("zendesk", "ticket_created_event")
    payload = json.loads(created)
    comment = {
        **payload,
        "type": "zen:event-type:ticket.comment_added",
        "id": "another-event",
        "event": {
            "comment": {
                "author": {"id": payload["detail"]["requester_id"], "is_staff": False, "name": "Marta"},
                "body": payload["detail"]["description"],
                "id": "90001234000",
                "is_public": True,
            }
        },
    }
    one = run("zendesk", created).message
    two = run("zendesk", json.dumps(comment).encode(), None, "d-2").message
    assert one is not None
    assert two is not None
    assert one.dedupe_key == two.dedupe_key


def test_the_same_words_again_later_on_a_ticket_are_a_new_message() -> None:
    """ "Any update?" on Monday and again on Thursday: two messages, or the second would be dropped as a duplicate."""

    def zendesk_comment(when: str, **meta: object) -> bytes:
        payload = json.loads(fixture("zendesk", "comment_added_customer")[0])
        payload["event"]["comment"]["body"] = "Any update on this?"
        return json.dumps(
            payload | {"time": when} | ({"event": payload["event"] | meta} if meta else {})
        ).encode()

    def zendesk_key(body: bytes) -> str:
        message = run("zendesk", body).message
        assert message is not None
        return message.dedupe_key

    monday, thursday = zendesk_comment("2026-03-02T09:59:30Z"), zendesk_comment("2026-03-05T16:02:11Z")
    assert zendesk_key(monday) != zendesk_key(thursday)
    assert zendesk_key(monday) == zendesk_key(zendesk_comment("2026-03-02T09:59:31Z"))  # a second event of it
    # Events of one action share Zendesk's sequence id, whatever their times.
    same_action = {"meta": {"sequence": {"id": "CE4A698AF24F35B3208649C6951E000E"}}}
    assert zendesk_key(zendesk_comment("2026-03-02T09:59:59Z", **same_action)) == zendesk_key(
        zendesk_comment("2026-03-02T10:00:01Z", **same_action)
    )

    def freshdesk_key(updated: str) -> str:
        body, headers = edited(
            "freshdesk",
            "customer_replied",
            lambda p: p["freshdesk_webhook"].update(ticket_updated_at=updated),
        )
        message = run("freshdesk", body, headers).message
        assert message is not None
        return message.dedupe_key

    assert freshdesk_key("2026-03-02T09:59:40Z") != freshdesk_key("2026-03-05T16:02:11Z")


def test_gorgias_one_message_from_two_triggers_is_one_message() -> None:
    body, headers = edited("gorgias", "ticket_created", lambda p: p.update(event="ticket-message-created"))
    first = run("gorgias", fixture("gorgias", "ticket_created")[0]).message
    second = run("gorgias", body, headers).message
    assert first is not None
    assert second is not None
    assert first.dedupe_key == second.dedupe_key


def test_a_customer_reply_and_the_opening_message_are_different_messages() -> None:
    created = run("intercom", fixture("intercom", "conversation_user_created")[0]).message
    replied = run("intercom", fixture("intercom", "conversation_user_replied")[0]).message
    assert created is not None
    assert replied is not None
    assert created.ticket_id == replied.ticket_id
    assert created.dedupe_key != replied.dedupe_key


# --- who wrote it ------------------------------------------------------------------------------------------------


def test_our_own_author_name_is_an_own_post() -> None:
    body, headers = edited(
        "generic",
        "message_created",
        lambda p: p["data"].update({"from": {"name": "Triage-Bot", "email": ""}}),
    )
    assert run("generic", body, headers).ignored == "own_post"
    body, headers = edited(
        "gorgias", "message_created", lambda p: p.update(message_sender_email=f"{OUR_TAG}@example.com")
    )
    assert run("gorgias", body, headers).ignored == "own_post"


def test_a_new_ticket_with_our_tag_is_ours_but_a_customer_reply_on_it_is_not() -> None:
    body, headers = edited("generic", "message_created", lambda p: p["data"].update(tags=[OUR_TAG]))
    assert run("generic", body, headers).ignored == "own_post"
    body, headers = edited(
        "generic", "customer_reply", lambda p: p["data"].update(tags=[OUR_TAG, "warranty"])
    )
    result = run("generic", body, headers)
    assert result.message is not None
    assert OUR_TAG in result.message.tags


def test_our_loop_marker_in_quoted_history_does_not_hide_the_customer() -> None:
    text = "Still waiting for an answer.\n\n> Thanks, we received your message.\n> x-support-triage-loop: support-triage"
    body, headers = edited("generic", "customer_reply", lambda p: p["data"].update(text=text, html=""))
    message = run("generic", body, headers).message
    assert message is not None
    assert message.text == "Still waiting for an answer."


def test_an_intercom_reply_without_any_user_part_names_the_missing_field() -> None:
    body, headers = edited(
        "intercom",
        "conversation_user_replied",
        lambda p: p["data"]["item"]["conversation_parts"].update(conversation_parts=[]),
    )
    error = rejection("intercom", body, headers)
    assert (error.status, error.code) == (400, "missing_field")
    assert "data.item.conversation_parts.conversation_parts" in str(error)


def test_a_helpscout_conversation_started_by_an_agent_is_not_a_customer_message() -> None:
    def agent_started(payload: dict[str, Any]) -> None:
        payload["createdBy"] = {"id": 4401, "type": "user", "email": "ruth@example.com"}
        payload["_embedded"]["threads"] = [dict(payload["_embedded"]["threads"][0], type="message")]

    body, headers = edited("helpscout", "convo_created", agent_started)
    assert run("helpscout", body, headers).ignored == "agent_reply"


def test_front_inbound_written_by_a_teammate_is_not_the_customer() -> None:
    def by_teammate(payload: dict[str, Any]) -> None:
        payload["payload"]["target"]["data"]["author"] = {"id": "tea_1", "email": "iris@example.com"}

    body, headers = edited("front", "inbound_received", by_teammate)
    assert run("front", body, headers).ignored == "agent_reply"


def test_unknown_event_types_are_acknowledged_not_failed() -> None:
    cases = {
        "intercom": (b'{"topic": "something.new", "id": "n1"}', {}),
        "zendesk": (b'{"type": "zen:event-type:brand.created", "id": "z1"}', {}),
        "helpscout": (b'{"id": 1}', {"X-HelpScout-Event": "beacon.chat.created"}),
        "front": (b'{"type": "new_kind", "payload": {"id": "evt_1", "type": "new_kind"}}', {}),
        "generic": (b'{"type": "ticket.merged", "data": {}}', {}),
        "freshdesk": (b'{"freshdesk_webhook": {"ticket_id": "1", "triggered_event": "{spam:true}"}}', {}),
    }
    for provider, (body, headers) in cases.items():
        assert run(provider, body, headers).ignored in ("unsupported_event", "not_customer_event"), provider


# --- Front's challenge -------------------------------------------------------------------------------------------


def test_front_challenge_is_echoed_and_a_strange_one_refused() -> None:
    body, headers = fixture("front", "challenge")
    result = run("front", body, headers)
    assert (result.ignored, result.challenge, result.message) == (
        "challenge",
        "c7f1e2d3a4b5968778695a4b3c2d1e0f",
        None,
    )
    error = rejection("front", body, {**headers, "X-Front-Challenge": "abc\r\nSet-Cookie: x=1"})
    assert (error.status, error.code) == (400, "bad_challenge")


# --- bad input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b"", b"[" * 100_000])
def test_malformed_json_is_a_400(provider: str, body: bytes) -> None:
    headers = {"X-HelpScout-Event": "convo.created"} if provider == "helpscout" else {}
    error = rejection(provider, body, headers)
    assert (error.status, error.code) == (400, "malformed_json")


@pytest.mark.parametrize(
    ("provider", "name", "change", "path"),
    [
        ("zendesk", "comment_added_customer", lambda p: p["event"].pop("comment"), "event.comment"),
        ("zendesk", "trigger_ticket_created", lambda p: p.pop("ticket_id"), "ticket_id"),
        (
            "freshdesk",
            "customer_replied",
            lambda p: p["freshdesk_webhook"].pop("ticket_id"),
            "freshdesk_webhook.ticket_id",
        ),
        ("intercom", "conversation_user_created", lambda p: p["data"]["item"].pop("id"), "data.item.id"),
        ("intercom", "ping", lambda p: p.pop("topic"), "topic"),
        ("helpscout", "convo_created", lambda p: p.pop("id"), "id"),
        ("front", "inbound_received", lambda p: p["payload"]["target"].pop("data"), "payload.target.data"),
        ("gorgias", "message_created", lambda p: p.pop("message_id"), "message_id"),
        ("generic", "message_created", lambda p: p["data"].pop("author_role"), "data.author_role"),
        ("generic", "message_created", lambda p: p["data"].pop("ticket_id"), "data.ticket_id"),
    ],
)
def test_a_missing_required_field_is_a_400_naming_it(
    provider: str, name: str, change: Any, path: str
) -> None:
    body, headers = edited(provider, name, change)
    error = rejection(provider, body, headers)
    assert (error.status, error.code) == (400, "missing_field")
    assert f"'{path}'" in str(error)


def _no_words_intercom(payload: dict[str, Any]) -> None:
    part = payload["data"]["item"]["conversation_parts"]["conversation_parts"][-1]
    part.update(
        body="", attachments=[{"type": "upload", "name": "screenshot.png", "content_type": "image/png"}]
    )


@pytest.mark.parametrize(
    ("provider", "name", "change"),
    [
        ("zendesk", "comment_added_customer", lambda p: p["event"]["comment"].update(body="")),
        ("zendesk", "trigger_ticket_created", lambda p: p.update(ticket_description="")),
        ("helpscout", "convo_created", lambda p: p["_embedded"]["threads"][0].pop("body")),
        ("intercom", "conversation_user_replied", _no_words_intercom),
        ("freshdesk", "ticket_created", lambda p: p["freshdesk_webhook"].update(ticket_description="")),
        ("generic", "message_created", lambda p: p["data"].pop("text")),
        ("gorgias", "message_created", lambda p: p.update(message_body_text="", message_body_html="")),
    ],
)
def test_a_message_with_no_words_is_a_message_for_a_person_not_a_400(
    provider: str, name: str, change: Any
) -> None:
    """A photo or a file sent alone: the vendor sends an empty body. Rejecting it lost the message (a 4xx is not
    retried); it is queued, marked ``no_text``, and the worker hands it to a person."""
    body, headers = edited(provider, name, change)
    message = run(provider, body, headers).message
    assert message is not None
    assert (message.text, message.defects) == ("", ("no_text",))
    decision = decide(message, None, Profile())
    assert (decision.action, decision.reason) == (Action.ESCALATE, Reason.UNREADABLE)


def test_helpscout_without_its_event_header_is_a_400() -> None:
    body, _ = fixture("helpscout", "convo_created")
    error = rejection("helpscout", body, {})
    assert (error.status, error.code) == (400, "missing_field")
    assert "X-HelpScout-Event" in str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_oversized_body_is_413_in_normalise_too(provider: str) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    with pytest.raises(WebhookRejected) as caught:
        normalise(provider, body, {}, Verified(provider, "d-1", None))
    assert (caught.value.status, caught.value.code) == (413, "too_large")


def test_normalise_refuses_another_providers_verification() -> None:
    body, headers = fixture("generic", "ping")
    with pytest.raises(ValueError, match="another provider"):
        normalise("intercom", body, headers, Verified("generic", "d-1", None))


@pytest.mark.parametrize(("provider", "path"), CASES, ids=lambda value: getattr(value, "stem", value))
def test_errors_never_carry_addresses_subjects_or_text(provider: str, path: Path) -> None:
    body, headers = fixture(provider, path.stem)
    headers = {name: value for name, value in headers.items() if name.lower() != "x-front-challenge"}
    want = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    for broken in (body[: len(body) // 2], body.replace(b'"', b"'", 3)):
        text = str(rejection(provider, broken, headers))
        assert "@" not in text
        assert not want["subject"] or want["subject"] not in text
        assert not want.get("text_contains") or want["text_contains"] not in text


# --- the shared samples (Zulip fixtures, Zendesk doc examples) never crash --------------------------------------

SAMPLES = sorted(SHARED_SAMPLES.glob("*/*.json")) if SHARED_SAMPLES.is_dir() else []


@pytest.mark.skipif(not SAMPLES, reason="../shared/data/helpdesk_webhooks is not checked out")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: f"{path.parent.name}-{path.stem}")
def test_shared_vendor_samples_normalise(path: Path) -> None:
    result = run(path.parent.name, path.read_bytes())
    assert (result.message is None) == (result.ignored is not None)
    if result.message is not None:
        assert result.message.text
        assert result.message.ticket_id
