"""Webhook authenticity per provider (REFERENCE §2, §6 W1-W3): the verification matrix over every scheme."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from triage.parsing.webhooks import (
    MAX_BODY_BYTES,
    PROVIDERS,
    TOKEN_HEADER,
    TOLERANCE_SECONDS,
    Verified,
    WebhookRejected,
    raw_body,
    sign,
    verify,
)
from triage.webhook_intake import loggable_id

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
TIMED = ("zendesk", "front", "generic")
SIGNED_BODY = ("zendesk", "intercom", "helpscout", "front", "generic")
TOKEN = ("freshdesk", "gorgias")
SIGNATURE_HEADER = {
    "zendesk": "X-Zendesk-Webhook-Signature",
    "freshdesk": TOKEN_HEADER,
    "intercom": "X-Hub-Signature",
    "helpscout": "X-HelpScout-Signature",
    "front": "X-Front-Signature",
    "gorgias": TOKEN_HEADER,
    "generic": "webhook-signature",
}
BODY = b'{"id": "evt_1", "topic": "ping", "note": "Renate M\xc3\xbcller <renate@example.org> asked about order 4411"}'


def secret_for(provider: str, label: str = "one") -> str:
    if provider == "generic":
        return "whsec_" + base64.b64encode(f"generic-key-{label}-0123456789abcdef".encode()).decode()
    return f"{provider}-secret-{label}"


def signed(
    provider: str, body: bytes = BODY, *, secret: str | None = None, at: datetime = NOW
) -> dict[str, str]:
    return sign(provider, body, secret or secret_for(provider), at, delivery_id="delivery-0001")


def rejected(provider: str, body: bytes, headers: dict[str, str], secrets: list[str]) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        verify(provider, body, headers, secrets, NOW)
    return caught.value


def load_sign_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_fixture_signing", FIXTURES / "sign.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the matrix --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_validly_signed_request_is_accepted(provider: str) -> None:
    result = verify(provider, BODY, signed(provider), [secret_for(provider)], NOW)
    assert isinstance(result, Verified)
    assert result.provider == provider
    assert result.delivery_id
    assert (result.signed_at is not None) == (provider in TIMED)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_secret_is_rejected(provider: str) -> None:
    error = rejected(provider, BODY, signed(provider), [secret_for(provider, "other")])
    assert (error.status, error.code) == (401, "bad_signature")


@pytest.mark.parametrize("provider", SIGNED_BODY)
@pytest.mark.parametrize("position", [0, len(BODY) // 2, len(BODY) - 1])
def test_one_changed_byte_of_the_body_is_rejected(provider: str, position: int) -> None:
    tampered = bytearray(BODY)
    tampered[position] ^= 0x01
    error = rejected(provider, bytes(tampered), signed(provider), [secret_for(provider)])
    assert (error.status, error.code) == (401, "bad_signature")


@pytest.mark.parametrize("provider", TOKEN)
def test_token_schemes_authenticate_the_sender_not_the_body(provider: str) -> None:
    # Freshdesk and Gorgias sign nothing (SIGNATURES.md): the shared token proves who sent it, so a changed body
    # still passes; dedupe on the payload's ids is what protects these providers.
    tampered = BODY.replace(b"4411", b"4412")
    assert verify(provider, tampered, signed(provider), [secret_for(provider)], NOW).provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_missing_signature_header_is_rejected(provider: str) -> None:
    headers = {name: value for name, value in signed(provider).items() if name != SIGNATURE_HEADER[provider]}
    error = rejected(provider, BODY, headers, [secret_for(provider)])
    assert (error.status, error.code) == (401, "missing_signature")
    assert SIGNATURE_HEADER[provider].lower() in str(error).lower()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_empty_signature_header_is_rejected(provider: str) -> None:
    headers = {**signed(provider), SIGNATURE_HEADER[provider]: ""}
    assert rejected(provider, BODY, headers, [secret_for(provider)]).code == "missing_signature"


@pytest.mark.parametrize("provider", TIMED)
@pytest.mark.parametrize(
    ("skew", "accepted"), [(-301, False), (-299, True), (0, True), (299, True), (301, False)]
)
def test_the_signed_timestamp_must_be_within_the_window_both_ways(
    provider: str, skew: int, accepted: bool
) -> None:
    headers = signed(provider, at=NOW + timedelta(seconds=skew))
    if accepted:
        result = verify(provider, BODY, headers, [secret_for(provider)], NOW)
        assert result.signed_at == NOW + timedelta(seconds=skew)
    else:
        error = rejected(provider, BODY, headers, [secret_for(provider)])
        assert (error.status, error.code) == (401, "stale_timestamp")
        assert str(TOLERANCE_SECONDS) in str(error)


@pytest.mark.parametrize("provider", TIMED)
def test_exactly_the_tolerance_is_still_accepted(provider: str) -> None:
    for skew in (-TOLERANCE_SECONDS, TOLERANCE_SECONDS):
        headers = signed(provider, at=NOW + timedelta(seconds=skew))
        assert verify(provider, BODY, headers, [secret_for(provider)], NOW).provider == provider


@pytest.mark.parametrize("provider", TIMED)
def test_a_replayed_timestamp_cannot_be_moved_without_breaking_the_signature(provider: str) -> None:
    old = signed(provider, at=NOW - timedelta(hours=1))
    fresh = signed(provider)
    stamp_header = {
        "zendesk": "X-Zendesk-Webhook-Signature-Timestamp",
        "front": "X-Front-Request-Timestamp",
    }.get(provider, "webhook-timestamp")
    forged = {**old, stamp_header: fresh[stamp_header]}
    assert rejected(provider, BODY, forged, [secret_for(provider)]).code == "bad_signature"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_replay_of_a_valid_request_verifies_to_the_same_delivery_id(provider: str) -> None:
    headers = signed(provider)
    first = verify(provider, BODY, headers, [secret_for(provider)], NOW)
    again = verify(provider, BODY, headers, [secret_for(provider)], NOW + timedelta(seconds=30))
    assert first.delivery_id == again.delivery_id  # the caller's idempotency store turns it into a no-op


@pytest.mark.parametrize("provider", PROVIDERS)
def test_during_rotation_both_active_secrets_are_accepted(provider: str) -> None:
    old, new = secret_for(provider, "old"), secret_for(provider, "new")
    for signer in (old, new):
        headers = signed(provider, secret=signer)
        assert verify(provider, BODY, headers, [old, new], NOW).provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_removed_secret_is_rejected(provider: str) -> None:
    old, new = secret_for(provider, "old"), secret_for(provider, "new")
    error = rejected(provider, BODY, signed(provider, secret=old), [new])
    assert (error.status, error.code) == (401, "bad_signature")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.swapcase, str.title])
def test_header_names_are_case_insensitive(provider: str, case: Callable[[str], str]) -> None:
    headers = {case(name): value for name, value in signed(provider).items()}
    assert verify(provider, BODY, headers, [secret_for(provider)], NOW).provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_configured_secret_is_a_401_not_an_open_door(provider: str) -> None:
    for secrets in ([], [""]):
        error = rejected(provider, BODY, signed(provider), secrets)
        assert (error.status, error.code) == (401, "no_secret_configured")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_oversized_body_is_413_before_any_signature_work(provider: str) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    error = rejected(provider, body, {}, [])  # no secret and no signature: the size is checked first
    assert (error.status, error.code) == (413, "too_large")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_body_at_the_limit_is_verified(provider: str) -> None:
    body = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    assert verify(provider, body, signed(provider, body), [secret_for(provider)], NOW).provider == provider


def test_an_unknown_provider_is_404() -> None:
    for call in (
        lambda: verify("zenddesk", BODY, {}, ["s"], NOW),
        lambda: sign("zenddesk", BODY, "s", NOW),
    ):
        with pytest.raises(WebhookRejected) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (404, "unknown_provider")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rejections_never_echo_the_secret_the_signature_or_the_body(provider: str) -> None:
    headers = signed(provider, secret=secret_for(provider, "sender"))
    error = rejected(provider, BODY, headers, [secret_for(provider, "configured")])
    message = str(error) + repr(error)
    for secret in (secret_for(provider, "sender"), secret_for(provider, "configured")):
        assert secret not in message
    assert headers[SIGNATURE_HEADER[provider]] not in message
    assert "renate" not in message.lower()
    assert "4411" not in message


# --- scheme details ----------------------------------------------------------------------------------------------


def test_generic_accepts_any_one_valid_v1_signature_among_several() -> None:
    good = signed("generic")["webhook-signature"]
    other = signed("generic", secret=secret_for("generic", "other"))["webhook-signature"]
    headers = signed("generic")
    for value in (f"{other} {good}", f"{good} {other}", f"v2,abc {other} v1,!!notbase64 {good}"):
        assert verify("generic", BODY, {**headers, "webhook-signature": value}, [secret_for("generic")], NOW)
    bad = {**headers, "webhook-signature": f"{other} v1,{base64.b64encode(b'x' * 32).decode()}"}
    assert rejected("generic", BODY, bad, [secret_for("generic")]).code == "bad_signature"


def test_generic_signature_covers_the_webhook_id() -> None:
    headers = {**signed("generic"), "webhook-id": "delivery-0002"}
    assert rejected("generic", BODY, headers, [secret_for("generic")]).code == "bad_signature"


def test_generic_accepts_a_raw_secret_without_the_whsec_prefix() -> None:
    headers = sign("generic", BODY, "plain-shared-secret", NOW, "delivery-9")
    assert verify("generic", BODY, headers, ["plain-shared-secret"], NOW).delivery_id == "delivery-9"


def test_generic_with_a_broken_whsec_secret_rejects_instead_of_crashing() -> None:
    headers = signed("generic")
    assert rejected("generic", BODY, headers, ["whsec_***"]).code == "bad_signature"
    with pytest.raises(ValueError, match="base64"):
        sign("generic", BODY, "whsec_***", NOW)


def test_generic_needs_its_id_and_timestamp_headers() -> None:
    headers = signed("generic")
    no_id = {name: value for name, value in headers.items() if name != "webhook-id"}
    no_time = {name: value for name, value in headers.items() if name != "webhook-timestamp"}
    assert rejected("generic", BODY, no_id, [secret_for("generic")]).code == "missing_id"
    assert rejected("generic", BODY, no_time, [secret_for("generic")]).code == "missing_timestamp"


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [
        ("zendesk", "X-Zendesk-Webhook-Signature-Timestamp", "yesterday"),
        ("front", "X-Front-Request-Timestamp", "17724456e3"),
        ("generic", "webhook-timestamp", "-1772445600"),
    ],
)
def test_an_unreadable_timestamp_is_rejected(provider: str, header: str, value: str) -> None:
    headers = {**signed(provider), header: value}
    assert rejected(provider, BODY, headers, [secret_for(provider)]).code == "bad_timestamp"


@pytest.mark.parametrize(("provider", "header"), [("zendesk", "X-Zendesk-Webhook-Signature-Timestamp")])
def test_a_missing_timestamp_is_rejected(provider: str, header: str) -> None:
    headers = {name: value for name, value in signed(provider).items() if name != header}
    assert rejected(provider, BODY, headers, [secret_for(provider)]).code == "missing_timestamp"


def test_intercom_only_accepts_the_sha1_prefix() -> None:
    value = signed("intercom")["X-Hub-Signature"]
    for forged in (value.replace("sha1=", "sha256="), value.removeprefix("sha1="), value + "00"):
        assert (
            rejected("intercom", BODY, {"X-Hub-Signature": forged}, [secret_for("intercom")]).code
            == "bad_signature"
        )


def test_the_signature_schemes_match_the_vendor_documentation() -> None:
    import hashlib
    import hmac

    key = b"doc-secret"
    zendesk = sign("zendesk", BODY, "doc-secret", NOW)
    stamp = zendesk["X-Zendesk-Webhook-Signature-Timestamp"]
    assert stamp == "2026-03-02T10:00:00Z"
    expected = base64.b64encode(hmac.new(key, stamp.encode() + BODY, hashlib.sha256).digest()).decode()
    assert zendesk["X-Zendesk-Webhook-Signature"] == expected
    intercom = sign("intercom", BODY, "doc-secret", NOW)["X-Hub-Signature"]
    assert intercom == "sha1=" + hmac.new(key, BODY, hashlib.sha1).hexdigest()
    helpscout = sign("helpscout", BODY, "doc-secret", NOW)["X-HelpScout-Signature"]
    assert helpscout == base64.b64encode(hmac.new(key, BODY, hashlib.sha1).digest()).decode()
    front = sign("front", BODY, "doc-secret", NOW)
    assert front["X-Front-Request-Timestamp"] == "1772445600000"
    message = b"1772445600000:" + BODY
    assert (
        front["X-Front-Signature"]
        == base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    )
    generic = sign("generic", BODY, "whsec_" + base64.b64encode(key).decode(), NOW, "msg_1")
    content = b"msg_1.1772445600." + BODY
    assert (
        generic["webhook-signature"]
        == "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    )
    assert sign("gorgias", BODY, "doc-secret", NOW) == {TOKEN_HEADER: "doc-secret"}


def test_a_naive_now_is_taken_as_utc() -> None:
    headers = signed("front")
    assert verify("front", BODY, headers, [secret_for("front")], NOW.replace(tzinfo=None)).signed_at == NOW


# --- delivery ids ------------------------------------------------------------------------------------------------


def test_zendesk_delivery_id_is_the_invocation_id_else_the_event_id() -> None:
    body = b'{"id": "evt-77", "type": "zen:event-type:ticket.created"}'
    with_header = sign("zendesk", body, "s", NOW, "inv-1")
    assert verify("zendesk", body, with_header, ["s"], NOW).delivery_id == "inv-1"
    without = sign("zendesk", body, "s", NOW)
    assert verify("zendesk", body, without, ["s"], NOW).delivery_id == "evt-77"


def test_helpscout_delivery_id_hashes_event_and_body() -> None:
    headers = sign("helpscout", BODY, "s", NOW)
    created = verify("helpscout", BODY, {**headers, "X-HelpScout-Event": "convo.created"}, ["s"], NOW)
    replied = verify(
        "helpscout", BODY, {**headers, "X-HelpScout-Event": "convo.customer.reply.created"}, ["s"], NOW
    )
    assert created.delivery_id != replied.delivery_id
    assert len(created.delivery_id) == 64


def test_a_payload_id_is_used_after_verification_and_a_broken_body_still_gets_an_id() -> None:
    intercom = b'{"id": "notif_1", "topic": "ping"}'
    assert (
        verify("intercom", intercom, sign("intercom", intercom, "s", NOW), ["s"], NOW).delivery_id
        == "notif_1"
    )
    broken = b'{"id": "notif_1", '
    assert verify("intercom", broken, sign("intercom", broken, "s", NOW), ["s"], NOW).delivery_id


# --- raw body ----------------------------------------------------------------------------------------------------


def test_raw_body_decodes_what_api_gateway_base64_encoded() -> None:
    encoded = base64.b64encode(BODY).decode()
    assert raw_body(encoded, True) == BODY
    assert raw_body(encoded.encode(), True) == BODY
    assert raw_body(BODY.decode(), False) == BODY
    assert raw_body(BODY, False) == BODY
    assert raw_body(None, False) == b""
    assert raw_body(None, True) == b""
    assert raw_body("", True) == b""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_base64_delivered_body_verifies_only_after_decoding(provider: str) -> None:
    headers = signed(provider)
    encoded = base64.b64encode(BODY).decode()
    assert verify(provider, raw_body(encoded, True), headers, [secret_for(provider)], NOW)
    if provider in SIGNED_BODY:
        assert rejected(provider, encoded.encode(), headers, [secret_for(provider)]).code == "bad_signature"


def test_raw_body_rejects_broken_and_oversized_base64() -> None:
    with pytest.raises(WebhookRejected) as broken:
        raw_body("not base64 at all!", True)
    assert (broken.value.status, broken.value.code) == (400, "bad_base64")
    with pytest.raises(WebhookRejected) as huge:
        raw_body("A" * (MAX_BODY_BYTES * 2), True)
    assert (huge.value.status, huge.value.code) == (413, "too_large")


# --- the fixtures ------------------------------------------------------------------------------------------------

SIGNING = load_sign_script()
FIXTURE_BODIES = SIGNING.bodies()


def test_every_provider_has_fixtures() -> None:
    assert {provider for provider, _ in FIXTURE_BODIES} == set(PROVIDERS)


@pytest.mark.parametrize(
    ("provider", "path"), FIXTURE_BODIES, ids=lambda value: getattr(value, "stem", value)
)
def test_fixture_signatures_verify_with_the_documented_test_secret(provider: str, path: Path) -> None:
    headers = json.loads(path.with_name(path.stem + ".headers.json").read_text(encoding="utf-8"))
    secret = SIGNING.SECRETS[provider]
    assert verify(provider, path.read_bytes(), headers, [secret], SIGNING.SIGNED_AT).delivery_id
    # sign.py is in step with the files: re-signing reproduces the stored signature headers.
    lowered = {name.lower(): value for name, value in headers.items()}
    delivery_id = lowered.get(SIGNING.DELIVERY_HEADERS.get(provider, ""))
    for name, value in sign(provider, path.read_bytes(), secret, SIGNING.SIGNED_AT, delivery_id).items():
        assert lowered[name.lower()] == value


@pytest.mark.parametrize(
    ("provider", "path"),
    [(provider, path) for provider, path in FIXTURE_BODIES if provider in TIMED],
    ids=lambda value: getattr(value, "stem", value),
)
def test_fixture_signatures_expire_after_the_window(provider: str, path: Path) -> None:
    headers = json.loads(path.with_name(path.stem + ".headers.json").read_text(encoding="utf-8"))
    later = SIGNING.SIGNED_AT + timedelta(seconds=TOLERANCE_SECONDS + 1)
    with pytest.raises(WebhookRejected, match="old"):
        verify(provider, path.read_bytes(), headers, [SIGNING.SECRETS[provider]], later)


@pytest.mark.parametrize("plain", ["msg_0001", "01HV3K9Q8Z", "4711.2026-03-02T09:59:50Z", "evt:7f3a-9b"])
def test_a_plain_delivery_id_is_logged_as_it_is(plain: str) -> None:
    assert loggable_id(plain) == plain


@pytest.mark.parametrize(
    "odd", ["jane@customer.example.org.2026-03-02T09:59:50Z", "ticket 12 by Jane", "x" * 200]
)
def test_a_delivery_id_built_from_anything_is_logged_as_its_digest(odd: str) -> None:
    """Freshdesk and Gorgias ids come from the payload: whatever a sender put there never reaches a log line."""
    logged = loggable_id(odd)
    assert logged.startswith("sha256:")
    assert "@" not in logged
    assert logged == loggable_id(odd)  # the same delivery, the same line to search for
