"""triage replay: the policy over past messages, with figures that can be checked by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from triage import cli

REPO = Path(__file__).resolve().parents[2]
FIELDS = ["id", "subject", "text", "sender", "segment", "intent", "outcome"]
ROWS = [
    # Routine and labelled the way the model reads it: a correct automatic reply.
    [
        "1",
        "Order status",
        "Can you help me check the status of my order please? Jane",
        "a@example.org",
        "retail",
        "track_order",
        "routine",
    ],
    # The agents say a person was needed: answering it automatically is a wrong reply.
    [
        "2",
        "Order status",
        "Can you help me check the status of my order please? Tom",
        "b@example.org",
        "retail",
        "track_order",
        "human",
    ],
    # Escalated by a guard, as the agents did.
    [
        "3",
        "Refund",
        "I will take legal action unless you refund me.",
        "c@example.org",
        "retail",
        "get_refund",
        "human",
    ],
    # Nothing to answer.
    ["4", "Re: Order status", "Thanks, that solved it!", "a@example.org", "retail", "closing", "no_reply"],
    # The vip segment never answers automatically.
    [
        "5",
        "Order status",
        "Can you help me check the status of my order please? Ann",
        "d@example.org",
        "vip",
        "track_order",
        "routine",
    ],
]


def write_csv(path: Path, rows: list[list[str]], fields: list[str] = FIELDS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerows(rows)
    return path


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object] | str]:
    code = cli.main(["replay", *args])
    captured = capsys.readouterr()
    if code != 0:
        return code, captured.err
    return code, json.loads(captured.out)


def test_figures_match_a_hand_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = replay(capsys, "--data", str(write_csv(tmp_path / "past.csv", ROWS)), "--json")
    assert code == 0
    assert isinstance(report, dict)
    assert report["messages"] == 5
    assert report["actions"] == {"auto_reply": 2, "escalate": 2, "no_reply": 1}
    assert report["automation_rate"] == 0.4
    assert report["precision"] == 0.5
    assert report["wrong_replies"] == 1
    assert report["wrong_reply_rate"] == 0.2
    assert report["routine_coverage"] == 0.5  # 1 of the 2 routine rows (the vip one went to a person)
    assert report["human_cases_auto_replied"] == 1
    assert report["no_reply_agreement"] == 1.0
    assert report["reasons"]["automation_off"] == 1
    assert report["per_segment"]["vip"]["automation_rate"] == 0.0
    assert report["per_segment"]["retail"]["target_max_auto_share"] == 0.7
    assert report["per_intent"]["track_order"]["wrong_replies"] == 1


def test_a_forced_profile_applies_to_every_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = replay(
        capsys, "--data", str(write_csv(tmp_path / "p.csv", ROWS)), "--profile", "vip", "--json"
    )
    assert code == 0
    assert isinstance(report, dict)
    assert report["actions"].get("auto_reply", 0) == 0  # type: ignore[attr-defined]
    assert set(report["per_segment"]) == {"vip"}  # type: ignore[arg-type]


def test_the_share_cap_holds_in_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        [
            str(n),
            "Order status",
            "Can you help me check the status of my order please?",
            f"c{n}@example.org",
            "b2b",
            "track_order",
            "routine",
        ]
        for n in range(10)
    ]
    code, report = replay(capsys, "--data", str(write_csv(tmp_path / "b2b.csv", rows)), "--json")
    assert code == 0
    assert isinstance(report, dict)
    segment = report["per_segment"]["b2b"]  # type: ignore[index]
    assert segment["auto_replied"] == 3  # 30% of 10
    assert report["reasons"]["automation_share_cap"] == 7  # type: ignore[index]


def test_a_folder_of_eml_with_expected_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = replay(capsys, "--data", str(REPO / "events" / "email"), "--json")
    assert code == 0
    assert isinstance(report, dict)
    assert report["messages"] == len(list((REPO / "events" / "email").glob("*.eml")))
    assert report["wrong_replies"] == 0


def test_the_labelled_set_is_big_enough_and_replays(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = replay(capsys, "--data", str(REPO / "events" / "replay" / "labelled.csv"), "--json")
    assert code == 0
    assert isinstance(report, dict)
    assert report["messages"] >= 200
    assert set(report["per_segment"]) == {"retail", "b2b", "healthcare", "vip"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rows", "fields", "complaint"),
    [
        (
            [["1", "x", "maybe"]],
            ["id", "text", "outcome"],
            "outcome 'maybe' is not one of routine, human, no_reply",
        ),
        ([["1", "hello"]], ["id", "body"], "text"),
        ([], FIELDS, "no"),
    ],
)
def test_bad_input_is_a_clear_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: list[list[str]],
    fields: list[str],
    complaint: str,
) -> None:
    code, err = replay(capsys, "--data", str(write_csv(tmp_path / "bad.csv", rows, fields)))
    assert code == 2
    assert isinstance(err, str)
    assert complaint in err
    assert "Traceback" not in err


def test_an_unknown_profile_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = replay(capsys, "--data", str(write_csv(tmp_path / "p.csv", ROWS)), "--profile", "gold")
    assert code == 2
    assert "unknown segment 'gold'" in str(err)
