"""`triage webhook`: sign a saved request, then run the real intake on it, for every provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage import cli
from triage.parsing.webhooks import PROVIDERS

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
SECRETS = {provider: f"test-secret-{provider}" for provider in PROVIDERS} | {
    "generic": "whsec_dGVzdC1zZWNyZXQtZ2VuZXJpYy0zMi1ieXRlcy1rZXk="
}


def customer_case(provider: str) -> Path:
    for expected in sorted((FIXTURES / provider).glob("*.expected.json")):
        if json.loads(expected.read_text(encoding="utf-8")).get("ignored") is None:
            return FIXTURES / provider / expected.name.removesuffix(".expected.json")
    raise AssertionError(provider)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["webhook", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sign_then_verify_round_trip(
    provider: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = customer_case(provider)
    body, headers = f"{case}.json", f"{case}.headers.json"
    code, out, _ = run(
        capsys, provider, "--sign", "--body", body, "--headers", headers, "--secret", SECRETS[provider]
    )
    assert code == 0
    signed = tmp_path / "signed.json"
    signed.write_text(out, encoding="utf-8")
    code, out, _ = run(
        capsys, provider, "--body", body, "--headers", str(signed), "--secret", SECRETS[provider], "--json"
    )
    result = json.loads(out)
    assert code == 0
    assert (result["status"], result["verified"], result["reason"]) == (202, True, "accepted")
    expected = json.loads(Path(f"{case}.expected.json").read_text(encoding="utf-8"))
    assert result["message"]["ticket_id"] == expected["ticket_id"]
    assert result["message"]["from"]["address"] == expected["from_address"]


def test_a_wrong_secret_is_a_401_and_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = customer_case("zendesk")
    _, out, _ = run(capsys, "zendesk", "--sign", "--body", f"{case}.json", "--secret", "right")
    (tmp_path / "h.json").write_text(out, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "zendesk",
        "--body",
        f"{case}.json",
        "--headers",
        str(tmp_path / "h.json"),
        "--secret",
        "wrong",
        "--json",
    )
    assert code == 1
    result = json.loads(out)
    assert (result["status"], result["verified"], result["reason"]) == (401, False, "bad_signature")
    assert result["message"] is None


def test_the_fixtures_own_time_verifies_with_now(capsys: pytest.CaptureFixture[str]) -> None:
    case = customer_case("zendesk")
    args = [
        "zendesk",
        "--body",
        f"{case}.json",
        "--headers",
        f"{case}.headers.json",
        "--secret",
        SECRETS["zendesk"],
    ]
    _, out, _ = run(capsys, *args, "--json")
    assert json.loads(out)["reason"] == "stale_timestamp"
    _, out, _ = run(capsys, *args, "--now", "2026-03-02T10:00:30Z", "--json")
    assert json.loads(out)["status"] == 202


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["mailchimp", "--body", "{body}"], "unknown provider 'mailchimp'"),
        (["zendesk", "--body", "{body}", "--now", "yesterday"], "--now 'yesterday' is not an ISO-8601 time"),
        (["zendesk", "--body", "{body}", "--headers", "{list}", "--secret", "s"], "expected a JSON object"),
        (["zendesk", "--body", "{body}", "--sign"], "--sign needs exactly one --secret"),
    ],
)
def test_bad_input_is_a_clear_error(
    args: list[str], complaint: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    values = {"{body}": f"{customer_case('zendesk')}.json", "{list}": str(tmp_path / "list.json")}
    code, _, err = run(capsys, *[values.get(arg, arg) for arg in args])
    assert code == 2
    assert complaint in err
    assert "Traceback" not in err


def test_an_unreadable_body_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["webhook", "zendesk", "--body", "/no/such/file"])
    assert exit_.value.code == 2
    assert "cannot read /no/such/file" in capsys.readouterr().err
