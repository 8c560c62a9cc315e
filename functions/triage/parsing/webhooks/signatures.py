"""Each vendor's signature scheme (REFERENCE §2, SIGNATURES.md): verify over the raw bytes, sign for tests.

Rules kept everywhere: the size cap runs before any HMAC; every comparison is ``hmac.compare_digest`` on bytes;
any of the active secrets may match (rotation); a signed timestamp must lie within ``TOLERANCE_SECONDS`` of ``now``
in either direction; nothing here parses the JSON body. Messages name headers, never their values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from triage.parsing.webhooks.model import WebhookRejected

TOLERANCE_SECONDS: Final = 300
MAX_BODY_BYTES: Final = 256 * 1024
TOKEN_HEADER: Final = "x-triage-token"  # noqa: S105 - a header name, not a secret

ZENDESK_SIGNATURE: Final = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP: Final = "x-zendesk-webhook-signature-timestamp"
ZENDESK_INVOCATION: Final = "x-zendesk-webhook-invocation-id"
INTERCOM_SIGNATURE: Final = "x-hub-signature"
HELPSCOUT_SIGNATURE: Final = "x-helpscout-signature"
HELPSCOUT_EVENT: Final = "x-helpscout-event"
FRONT_SIGNATURE: Final = "x-front-signature"
FRONT_TIMESTAMP: Final = "x-front-request-timestamp"
FRONT_CHALLENGE: Final = "x-front-challenge"
STANDARD_ID: Final = "webhook-id"
STANDARD_TIMESTAMP: Final = "webhook-timestamp"
STANDARD_SIGNATURE: Final = "webhook-signature"
STANDARD_SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format prefix, not a secret


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP header names are case-insensitive: one lower-cased view, values trimmed."""
    return {str(name).lower(): str(value).strip() for name, value in headers.items()}


def check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected(
            413, "too_large", f"The body is {len(body)} bytes; the limit is {MAX_BODY_BYTES} bytes."
        )


def aware(now: datetime) -> datetime:
    """``now`` as an aware datetime (a naive one is taken as UTC)."""
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _hmac(key: bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(key, message, algorithm).digest()


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _hexdecode(value: str) -> bytes | None:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _any_matches(candidates: Iterable[bytes], provided: Iterable[bytes]) -> bool:
    """Constant time per comparison; every pair is compared (no early exit on the first secret)."""
    found = False
    wanted = list(provided)
    for expected in candidates:
        for given in wanted:
            found |= hmac.compare_digest(expected, given)
    return found


def _header(headers: Mapping[str, str], name: str, code: str = "missing_signature") -> str:
    value = headers.get(name, "")
    if not value:
        raise WebhookRejected(401, code, f"The '{name}' header is missing.")
    return value


def _bad_signature(header: str) -> WebhookRejected:
    return WebhookRejected(
        401, "bad_signature", f"The '{header}' header does not match any configured secret."
    )


def _check_window(signed_at: datetime, now: datetime, header: str) -> None:
    skew = (aware(now) - signed_at).total_seconds()
    if skew > TOLERANCE_SECONDS:
        raise WebhookRejected(
            401,
            "stale_timestamp",
            f"The '{header}' timestamp is {int(skew)} s old; at most {TOLERANCE_SECONDS} s is accepted.",
        )
    if -skew > TOLERANCE_SECONDS:
        raise WebhookRejected(
            401,
            "stale_timestamp",
            f"The '{header}' timestamp is {int(-skew)} s in the future; at most {TOLERANCE_SECONDS} s is accepted.",
        )


def _bad_timestamp(header: str) -> WebhookRejected:
    return WebhookRejected(401, "bad_timestamp", f"The '{header}' header is not a valid timestamp.")


# --- the schemes: each returns when the request is authentic and gives the signed time (or None) -------------


def _zendesk(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> datetime | None:
    signature = _header(headers, ZENDESK_SIGNATURE)
    stamp = _header(headers, ZENDESK_TIMESTAMP, "missing_timestamp")
    try:
        signed_at = aware(datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    except ValueError:
        raise _bad_timestamp(ZENDESK_TIMESTAMP) from None
    _check_window(signed_at, now, ZENDESK_TIMESTAMP)
    given = _b64decode(signature)
    message = stamp.encode("utf-8") + body
    expected = (_hmac(secret.encode("utf-8"), message, "sha256") for secret in secrets)
    if given is None or not _any_matches(expected, [given]):
        raise _bad_signature(ZENDESK_SIGNATURE)
    return signed_at


def _intercom(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> datetime | None:
    signature = _header(headers, INTERCOM_SIGNATURE)
    algorithm, _, hexdigest = signature.partition("=")
    given = _hexdecode(hexdigest) if algorithm.lower() == "sha1" else None
    expected = (_hmac(secret.encode("utf-8"), body, "sha1") for secret in secrets)
    if given is None or not _any_matches(expected, [given]):
        raise _bad_signature(INTERCOM_SIGNATURE)
    return None


def _helpscout(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> datetime | None:
    given = _b64decode(_header(headers, HELPSCOUT_SIGNATURE))
    expected = (_hmac(secret.encode("utf-8"), body, "sha1") for secret in secrets)
    if given is None or not _any_matches(expected, [given]):
        raise _bad_signature(HELPSCOUT_SIGNATURE)
    return None


def _front(body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime) -> datetime | None:
    signature = _header(headers, FRONT_SIGNATURE)
    stamp = _header(headers, FRONT_TIMESTAMP, "missing_timestamp")
    if not stamp.isdigit() or len(stamp) > 16:
        raise _bad_timestamp(FRONT_TIMESTAMP)
    signed_at = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
    _check_window(signed_at, now, FRONT_TIMESTAMP)
    given = _b64decode(signature)
    message = stamp.encode("ascii") + b":" + body
    expected = (_hmac(secret.encode("utf-8"), message, "sha256") for secret in secrets)
    if given is None or not _any_matches(expected, [given]):
        raise _bad_signature(FRONT_SIGNATURE)
    return signed_at


def _token(body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime) -> datetime | None:
    token = _header(headers, TOKEN_HEADER)
    # Hash both sides first: compare_digest then also hides the length of the configured secret.
    given = hashlib.sha256(token.encode("utf-8")).digest()
    expected = (hashlib.sha256(secret.encode("utf-8")).digest() for secret in secrets)
    if not _any_matches(expected, [given]):
        raise _bad_signature(TOKEN_HEADER)
    return None


def standard_key(secret: str) -> bytes | None:
    """The Standard Webhooks key: base64 after ``whsec_``; a secret without the prefix is used as it is."""
    if secret.startswith(STANDARD_SECRET_PREFIX):
        return _b64decode(secret[len(STANDARD_SECRET_PREFIX) :])
    return secret.encode("utf-8")


def _generic(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> datetime | None:
    webhook_id = _header(headers, STANDARD_ID, "missing_id")
    stamp = _header(headers, STANDARD_TIMESTAMP, "missing_timestamp")
    signatures = _header(headers, STANDARD_SIGNATURE)
    if not stamp.isdigit() or len(stamp) > 12:
        raise _bad_timestamp(STANDARD_TIMESTAMP)
    signed_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    _check_window(signed_at, now, STANDARD_TIMESTAMP)
    given: list[bytes] = []
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        decoded = _b64decode(value) if version == "v1" else None
        if decoded is not None:
            given.append(decoded)
    message = f"{webhook_id}.{stamp}.".encode() + body
    keys = [key for key in (standard_key(secret) for secret in secrets) if key]
    if not given or not _any_matches((_hmac(key, message, "sha256") for key in keys), given):
        raise _bad_signature(STANDARD_SIGNATURE)
    return signed_at


Scheme = Callable[[bytes, Mapping[str, str], Sequence[str], datetime], datetime | None]

SCHEMES: Final[dict[str, Scheme]] = {
    "zendesk": _zendesk,
    "freshdesk": _token,
    "intercom": _intercom,
    "helpscout": _helpscout,
    "front": _front,
    "gorgias": _token,
    "generic": _generic,
}


def check_signature(
    provider: str, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> datetime | None:
    """Raise ``WebhookRejected`` unless the request is authentic; return the signed time where there is one."""
    scheme = SCHEMES.get(provider)
    if scheme is None:
        raise unknown_provider(provider)
    check_size(body)
    active = [secret for secret in secrets if secret]
    if not active:
        raise WebhookRejected(
            401, "no_secret_configured", f"No webhook secret is configured for provider '{provider}'."
        )
    return scheme(body, lower_headers(headers), active, now)


def unknown_provider(provider: str) -> WebhookRejected:
    shown = provider if provider.isascii() and provider.isidentifier() and len(provider) <= 32 else "?"
    return WebhookRejected(404, "unknown_provider", f"Unknown webhook provider '{shown}'.")


# --- signing: the headers a valid request carries --------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_headers(
    provider: str, body: bytes, secret: str, now: datetime, delivery_id: str | None = None
) -> dict[str, str]:
    now = aware(now)
    key = secret.encode("utf-8")
    if provider == "zendesk":
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "X-Zendesk-Webhook-Signature": _b64(_hmac(key, stamp.encode("ascii") + body, "sha256")),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
        if delivery_id:
            headers["X-Zendesk-Webhook-Invocation-Id"] = delivery_id
        return headers
    if provider == "intercom":
        return {"X-Hub-Signature": "sha1=" + _hmac(key, body, "sha1").hex()}
    if provider == "helpscout":
        return {"X-HelpScout-Signature": _b64(_hmac(key, body, "sha1"))}
    if provider == "front":
        stamp = str(int(now.timestamp() * 1000))
        return {
            "X-Front-Signature": _b64(_hmac(key, stamp.encode("ascii") + b":" + body, "sha256")),
            "X-Front-Request-Timestamp": stamp,
        }
    if provider in ("freshdesk", "gorgias"):
        return {TOKEN_HEADER: secret}
    if provider == "generic":
        standard = standard_key(secret)
        if not standard:
            raise ValueError("the generic secret starts with 'whsec_' but the rest is not base64")
        webhook_id = delivery_id or "msg_" + hashlib.sha256(body).hexdigest()[:24]
        stamp = str(int(now.timestamp()))
        signature = _hmac(standard, f"{webhook_id}.{stamp}.".encode() + body, "sha256")
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + _b64(signature),
        }
    raise unknown_provider(provider)


def raw_body(body: str | bytes | None, is_base64: bool) -> bytes:
    """The raw request bytes from an API Gateway / Function URL event (``body`` + ``isBase64Encoded``)."""
    if body is None:
        return b""
    if not is_base64:
        return body.encode("utf-8") if isinstance(body, str) else body
    # Four base64 characters carry three bytes: refuse an oversized body before decoding it.
    if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:
        raise WebhookRejected(413, "too_large", f"The body is over the limit of {MAX_BODY_BYTES} bytes.")
    encoded = body.encode("ascii", "replace") if isinstance(body, str) else body
    try:
        return base64.b64decode(b"".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected(
            400, "bad_base64", "The body is marked base64-encoded but is not valid base64."
        ) from None
