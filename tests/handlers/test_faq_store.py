"""FAQ drafts in S3 (moto): the store, and `triage faq` mine/list/show/approve/reject against a bucket."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from numpy.typing import NDArray

from triage import faq_cli, local
from triage.faq import FaqDraft, FaqError, S3FaqStore, draft_id

BUCKET = "faq-test-bucket"
NOW = datetime.now(UTC)


def hashing_embed(texts: Sequence[str]) -> NDArray[np.float32]:
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0  # noqa: S324
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    local.fake_credentials()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("FEEDBACK_BUCKET", raising=False)
    monkeypatch.setenv("DECISION_LOG_BUCKET", BUCKET)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def draft(question: str = "Do you ship to Norway?", answer: str | None = None, **fields: Any) -> FaqDraft:
    base: dict[str, Any] = {
        "id": draft_id(question),
        "status": "pending",
        "question": question,
        "intent": "shipping",
        "size": 6,
        "members": (question, "Shipping to Norway?"),
        "answer": answer,
        "created_at": NOW,
        "embedding": (1.0, 0.0),
    }
    return FaqDraft(**(base | fields))


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="triage")
    faq_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["faq", *argv])
    return int(args.func(args))


# --- the store --------------------------------------------------------------------------------------------
def test_one_json_object_per_draft_and_new_drafts_never_overwrite(s3: Any) -> None:
    store = S3FaqStore(s3, BUCKET)
    first = draft()
    assert store.put(first, overwrite=False)
    assert not store.put(first.model_copy(update={"size": 99}), overwrite=False)
    body = s3.get_object(Bucket=BUCKET, Key=f"faq/{first.id}.json")["Body"].read()
    assert json.loads(body)["size"] == 6
    assert store.get(first.id) == first

    store.put(first.model_copy(update={"status": "rejected"}))
    other = draft("Can I pay by invoice?")
    store.put(other)
    assert [d.id for d in store.list()] == sorted([first.id, other.id], key=lambda i: (NOW, i))
    assert [d.id for d in store.list("pending")] == [other.id]
    assert store.rejected_ids() == {first.id}


def test_store_errors_are_clear(s3: Any) -> None:
    store = S3FaqStore(s3, BUCKET)
    with pytest.raises(FaqError, match="no FAQ draft faq-0123456789abcdef"):
        store.get("faq-0123456789abcdef")
    s3.put_object(Bucket=BUCKET, Key="faq/faq-0123456789abcdef.json", Body=b'{"id": 1}')
    with pytest.raises(FaqError, match="is not a FAQ draft"):
        store.get("faq-0123456789abcdef")
    with pytest.raises(FaqError, match="does not exist"):
        S3FaqStore(s3, "no-such-bucket-here").list()
    with pytest.raises(FaqError, match="no bucket"):
        S3FaqStore(s3, "")


# --- the CLI against the bucket ---------------------------------------------------------------------------
def feedback(
    n: int, points: list[str], note: str | None = None, intent: str = "product_question"
) -> dict[str, Any]:
    return {
        "message_key": f"key-{n}",
        "key_points": points,
        "agent_intent": intent,
        "model_intent": "other",
        "outcome": "faq-candidate",
        "note": note,
        "created_at": (NOW - timedelta(days=1)).isoformat(),
        "resolved_at": (NOW - timedelta(hours=2)).isoformat(),
    }


def test_mine_review_cycle_through_the_cli(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import triage.faq

    monkeypatch.setattr(triage.faq, "default_embed", lambda: hashing_embed)
    day = NOW - timedelta(days=1)
    records = [feedback(n, ["Asks whether we ship to Norway"]) for n in range(5)]
    records.append(
        feedback(5, ["Asks whether we ship to Norway"], note="We ship to Norway in 5 working days.")
    )
    records += [
        feedback(10 + n, [f"Unrelated topic number {w}"], intent="other") for n, w in enumerate("abc")
    ]
    for record in records:
        key = f"feedback/{day:%Y/%m/%d}/{record['message_key']}.json"
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(record).encode())

    # Mining stores one pending draft, with the agent's note as the proposed answer
    assert run("mine", "--since", "7d", "--json") == 0
    (mined,) = json.loads(capsys.readouterr().out)
    assert (mined["status"], mined["size"], mined["has_answer"]) == ("pending", 6, True)
    # Mining again proposes nothing new
    assert run("mine", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []

    assert run("list", "--status", "pending", "--json") == 0
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == [mined["id"]]
    assert run("show", mined["id"]) == 0
    shown = capsys.readouterr().out
    assert "[DRAFT – from agents' replies] We ship to Norway" in shown

    answer = tmp_path / "answer.txt"
    answer.write_text("We ship to Norway; delivery takes 5 working days.\n", encoding="utf-8")
    assert run("approve", mined["id"], "--edit", str(answer), "--reviewer", "kim") == 0
    stored = S3FaqStore(s3, BUCKET).get(mined["id"])
    assert (stored.status, stored.answer, stored.reviewer) == (
        "approved",
        "We ship to Norway; delivery takes 5 working days.",
        "kim",
    )


def test_reject_then_mine_again_proposes_nothing(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import triage.faq

    monkeypatch.setattr(triage.faq, "default_embed", lambda: hashing_embed)
    day = NOW - timedelta(days=1)
    for n in range(6):
        record = feedback(n, ["Asks whether we ship to Norway"])
        s3.put_object(
            Bucket=BUCKET, Key=f"feedback/{day:%Y/%m/%d}/k{n}.json", Body=json.dumps(record).encode()
        )
    assert run("mine", "--json") == 0
    (mined,) = json.loads(capsys.readouterr().out)
    assert run("reject", mined["id"], "--reviewer", "kim") == 0
    assert "rejected" in capsys.readouterr().out
    assert S3FaqStore(s3, BUCKET).rejected_ids() == {mined["id"]}
    assert run("mine", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("show", "faq-0123456789abcdef"), "no FAQ draft faq-0123456789abcdef"),
        (("approve", "faq-0123456789abcdef"), "no FAQ draft"),
        (("reject", "nonsense"), "not a draft id"),
        (("--bucket", "no-such-bucket-here", "list"), "does not exist"),
        (("mine", "--since", "yesterday"), "--since"),
    ],
)
def test_cli_errors_are_one_sentence(
    s3: Any, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("triage: ")
    assert message in err
    assert "Traceback" not in err


def test_approving_a_draft_without_an_answer_asks_for_one(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    S3FaqStore(s3, BUCKET).put(draft())
    assert run("approve", draft().id) == 2
    assert "pass --edit FILE" in capsys.readouterr().err
    assert S3FaqStore(s3, BUCKET).get(draft().id).status == "pending"


def test_no_bucket_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DECISION_LOG_BUCKET", raising=False)
    monkeypatch.delenv("FEEDBACK_BUCKET", raising=False)
    assert run("list") == 2
    assert "no bucket" in capsys.readouterr().err
