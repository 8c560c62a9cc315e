"""Policy profiles: the shipped file is valid, a bad one is refused at start-up with the field named."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from triage import cli, runtime
from triage.message import Address, InboundMessage
from triage.observability import logger
from triage.profiles import Mode, PolicyError, load_policy, parse_policy

INFRA = Path(__file__).resolve().parents[2] / "infra"
SHIPPED = json.loads((INFRA / "policy.json").read_text(encoding="utf-8"))


def policy_text(**changes: Any) -> str:
    document = json.loads(json.dumps(SHIPPED))
    for path, value in changes.items():
        target = document
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return json.dumps(document)


def test_the_shipped_policy_has_the_four_segments() -> None:
    policy = load_policy(INFRA / "policy.json")
    assert set(policy.profiles) == {"retail", "b2b", "healthcare", "vip"}
    assert policy.profiles["vip"].mode is Mode.OFF
    assert policy.profiles["healthcare"].mode is Mode.SHADOW
    assert policy.profiles["retail"].max_auto_share > policy.profiles["b2b"].max_auto_share


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        (
            {"profiles__retail__max_auto_share": 1.5},
            "profiles.retail.max_auto_share: Input should be less than or equal to 1",
        ),
        (
            {"profiles__b2b__mode": "sometimes"},
            "profiles.b2b.mode: Input should be 'live', 'shadow' or 'off'",
        ),
        (
            {"profiles__retail__min_confidnce": 0.5},
            "profiles.retail.min_confidnce: Extra inputs are not permitted",
        ),
        ({"default_segment": "gold"}, "default_segment 'gold' is not a profile"),
        (
            {"routing": [{"segment": "platinum", "tags": ["vip"]}]},
            "routing[0].segment 'platinum' is not a profile",
        ),
        (
            {"profiles__retail__intent_min_confidence": {"get_refund": 0.9}},
            "intent_min_confidence names intents not in auto_reply_intents: get_refund",
        ),
        ({"caps__per_thread": 2}, "caps.per_thread: Input should be less than or equal to 1"),
    ],
)
def test_a_bad_policy_names_the_bad_field(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(policy_text(**changes), "infra/policy.json")
    assert complaint in str(error.value)
    assert str(error.value).startswith("infra/policy.json: invalid policy:")


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(PolicyError, match="Invalid JSON"):
        parse_policy("{ profiles: retail }", "p.json")


def test_an_unknown_segment_is_refused() -> None:
    policy = load_policy(INFRA / "policy.json")
    with pytest.raises(
        PolicyError, match="unknown segment 'gold'; the policy defines: b2b, healthcare, retail, vip"
    ):
        policy.profile("gold")


def message(**fields: Any) -> InboundMessage:
    base: dict[str, Any] = {"id": "k", "from": Address(address="jane@customer.example.net")}
    return InboundMessage(**(base | fields))


def test_routing_by_recipient_sender_domain_tag_and_brand() -> None:
    policy = load_policy(INFRA / "policy.json")
    assert policy.segment_for(message()) == "retail"
    assert policy.segment_for(message(to=(Address(address="VIP@example.com"),))) == "vip"
    assert policy.segment_for(message(**{"from": Address(address="buyer@acme.example.net")})) == "b2b"
    assert policy.segment_for(message(tags=("B2B",))) == "b2b"
    assert policy.segment_for(message(brand="Example Care")) == "healthcare"
    # The customer table wins over the rules; an unknown segment from it is ignored.
    assert policy.segment_for(message(tags=("b2b",)), customer_segment="vip") == "vip"
    assert policy.segment_for(message(), customer_segment="platinum") == "retail"


@pytest.mark.parametrize("written", ["VIP", "vip ", " Vip"])
def test_the_customer_tables_segment_is_read_whatever_its_case(written: str) -> None:
    """A VIP written "VIP" in the company's table is the ``vip`` profile, not the default retail automation."""
    assert load_policy(INFRA / "policy.json").segment_for(message(), customer_segment=written) == "vip"


def test_an_unknown_segment_from_the_customer_table_is_logged() -> None:
    records: list[logging.LogRecord] = []
    collector = logging.Handler()
    collector.emit = records.append  # type: ignore[method-assign,assignment]
    logger.addHandler(collector)
    try:
        assert (
            load_policy(INFRA / "policy.json").segment_for(message(), customer_segment="platinum") == "retail"
        )
    finally:
        logger.removeHandler(collector)
    [record] = [record for record in records if "customer segment" in record.getMessage()]
    assert (record.levelname, record.customer_segment) == ("WARNING", "platinum")  # type: ignore[attr-defined]


def write_policy(tmp_path: Path, **changes: Any) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(policy_text(**changes), encoding="utf-8")
    return path


def test_the_cli_refuses_a_bad_policy_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POLICY_FILE", str(write_policy(tmp_path, profiles__retail__max_auto_share=1.5)))
    code = cli.main(["decide", str(INFRA.parent / "events" / "email" / "password_reset.eml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "max_auto_share: Input should be less than or equal to 1 (got 1.5)" in err
    assert "Traceback" not in err


def test_the_cli_refuses_an_unknown_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["decide", str(INFRA.parent / "events" / "email" / "password_reset.eml"), "--profile", "gold"]
    )
    assert code == 2
    assert "unknown segment 'gold'" in capsys.readouterr().err


def test_the_worker_does_not_start_with_a_bad_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_FILE", str(write_policy(tmp_path, default_segment="gold")))
    monkeypatch.setenv("ESCALATION_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/q")
    monkeypatch.setenv("DECISION_LOG_BUCKET", "bucket")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    runtime.reset()
    try:
        with pytest.raises(PolicyError, match="default_segment 'gold' is not a profile"):
            runtime.triage_worker()
    finally:
        runtime.reset()


def test_a_profile_automating_an_intent_without_a_template_is_refused(tmp_path: Path) -> None:
    from triage.service import check_config

    (tmp_path / "templates").mkdir()
    for template in (INFRA / "templates").glob("*.txt"):
        (tmp_path / "templates" / template.name).write_text(
            template.read_text(encoding="utf-8"), encoding="utf-8"
        )
    (tmp_path / "templates" / "track_order.txt").unlink()
    write_policy(tmp_path)
    with pytest.raises(
        PolicyError, match=r"profiles\.retail\.auto_reply_intents: no reply template for track_order"
    ):
        check_config(tmp_path)
