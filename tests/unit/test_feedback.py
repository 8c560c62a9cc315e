"""Retraining from feedback: agents' labels and approved FAQ entries merged into the training data."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from triage import cli
from triage.feedback import merge_feedback
from triage.training import Dataset, TrainingError

TOPICS = {
    "track_order": ["where is my parcel {n}", "has order {n} shipped yet", "tracking for package {n} please"],
    "get_invoice": [
        "send me the invoice for order {n}",
        "I need a receipt for purchase {n}",
        "bill for order {n}",
    ],
    "recover_password": [
        "reset my password {n}",
        "cannot log in, forgot password {n}",
        "password reset link {n}",
    ],
}


def base_csv(path: Path, per_label: int = 40) -> Path:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        for label, patterns in TOPICS.items():
            for i in range(per_label):
                writer.writerow([rng.choice(patterns).format(n=1000 + i), label])
    return path


def feedback_folder(root: Path) -> Path:
    (root / "feedback" / "2026" / "11" / "27").mkdir(parents=True)
    (root / "faq").mkdir()
    day = root / "feedback" / "2026" / "11" / "27"
    (day / "a.json").write_text(
        json.dumps(
            {
                "model_intent": "get_invoice",
                "agent_intent": "track_order",
                "key_points": ["where did my box go"],
            }
        )
    )
    (day / "b.json").write_text(
        json.dumps({"model_intent": "track_order", "agent_intent": "track_order", "key_points": []})
    )
    # The shape the agent desk writes (``model_intent``): the agent agreed with the model.
    (day / "d.json").write_text(
        json.dumps(
            {
                "model_intent": "track_order",
                "agent_intent": "track_order",
                "key_points": ["parcel stuck in depot"],
            }
        )
    )
    (day / "c.json").write_text(
        json.dumps({"agent_intent": "warranty", "key_points": ["is my kettle under warranty"]})
    )
    wrap = [f"can you gift wrap order {n}" for n in range(24)]
    (root / "faq" / "faq-1.json").write_text(
        json.dumps(
            {"status": "approved", "intent": "gift_wrapping", "question": "do you gift wrap", "members": wrap}
        )
    )
    (root / "faq" / "faq-2.json").write_text(
        json.dumps({"status": "rejected", "intent": "track_order", "question": "ignored", "members": ["x"]})
    )
    return root


def test_corrections_and_approved_faq_questions_are_merged(tmp_path: Path) -> None:
    base = Dataset(
        texts=["a"] * 3, labels=["track_order", "get_invoice", "recover_password"], sha256="0", source="b"
    )
    merged = merge_feedback(base, feedback_folder(tmp_path))
    stats = merged.extra["feedback"]
    assert stats["by_kind"] == {"correction": 1, "confirmation": 1, "faq": 25}
    assert stats["new_labels"] == ["gift_wrapping"]
    assert stats["skipped_rare_new_labels"] == {"warranty": 1}
    assert merged.labels.count("gift_wrapping") == 25
    assert ("where did my box go", "track_order") in zip(merged.texts, merged.labels, strict=True)
    assert merged.sha256 != base.sha256


def test_unreadable_feedback_is_a_clear_error(tmp_path: Path) -> None:
    base = Dataset(texts=["a"], labels=["x"], sha256="0", source="b")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TrainingError, match=r"bad\.json: not a JSON record"):
        merge_feedback(base, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TrainingError, match=r"no \.json feedback records"):
        merge_feedback(base, empty)


def test_train_with_feedback_then_evaluate_against_the_previous_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base_csv(tmp_path / "base.csv")
    common = ["--no-encoder", "--quiet", "--folds", "3"]
    assert cli.main(["train", "--data", str(data), "--out", str(tmp_path / "old"), *common]) == 0
    feedback = feedback_folder(tmp_path / "fb")
    assert (
        cli.main(
            [
                "train",
                "--data",
                str(data),
                "--feedback",
                str(feedback),
                "--out",
                str(tmp_path / "new"),
                *common,
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "feedback: +27 rows" in err
    card = json.loads((tmp_path / "new" / "intent.card.json").read_text())
    assert "gift_wrapping" in card["labels"]
    assert card["data"]["feedback"]["rows_added"] == 27
    held_out = tmp_path / "held_out.csv"
    with held_out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(
            [["could you gift wrap my order 77", "gift_wrapping"], ["where is my parcel 5000", "track_order"]]
        )
    code = cli.main(
        [
            "evaluate",
            "--model",
            str(tmp_path / "new"),
            "--data",
            str(held_out),
            "--previous",
            str(tmp_path / "old"),
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["change"]) == {"accuracy", "macro_f1", "ece"}
    assert report["previous"]["model_version"] != report["model_version"]
    assert report["change"]["accuracy"] == pytest.approx(
        report["accuracy"] - report["previous"]["accuracy"], abs=1e-4
    )
