"""Re-sign the webhook fixtures: ``python events/webhooks/sign.py`` (from the repository root).

For every ``<provider>/<name>.json`` body, the signature headers in ``<name>.headers.json`` are recomputed with
the provider's test secret and the fixed time below, using the real ``sign()``; other headers (event names,
invocation ids, ``webhook-id``, Front's challenge) are kept. Run it after editing a body: the bytes of the file
are what is signed, so even a reformat changes the signature.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "functions"))

from triage.parsing.webhooks import PROVIDERS, sign  # noqa: E402

#: The time every fixture is signed at; tests verify the fixtures with ``now = SIGNED_AT``.
SIGNED_AT = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
#: Test secrets only: never used by a deployed stack.
SECRETS = {provider: f"test-secret-{provider}" for provider in PROVIDERS}
SECRETS["generic"] = "whsec_" + base64.b64encode(b"test-secret-generic-32-bytes-key").decode("ascii")
#: Headers that carry a delivery id we keep (and pass to ``sign`` so the signature covers it).
DELIVERY_HEADERS = {"zendesk": "x-zendesk-webhook-invocation-id", "generic": "webhook-id"}


def resign(provider: str, body_path: Path) -> dict[str, str]:
    headers_path = body_path.with_name(body_path.stem + ".headers.json")
    headers: dict[str, str] = (
        json.loads(headers_path.read_text(encoding="utf-8")) if headers_path.exists() else {}
    )
    wanted = DELIVERY_HEADERS.get(provider)
    delivery_id = next((value for name, value in headers.items() if name.lower() == wanted), None)
    signed = sign(provider, body_path.read_bytes(), SECRETS[provider], SIGNED_AT, delivery_id)
    replaced = {name.lower() for name in signed}
    kept = {name: value for name, value in headers.items() if name.lower() not in replaced}
    result = {**kept, **signed}
    headers_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def bodies() -> list[tuple[str, Path]]:
    return [
        (provider, path)
        for provider in PROVIDERS
        for path in sorted((HERE / provider).glob("*.json"))
        if not path.name.endswith((".headers.json", ".expected.json"))
    ]


def main() -> int:
    for provider, path in bodies():
        resign(provider, path)
        print(f"signed {provider}/{path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
