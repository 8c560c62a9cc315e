"""The risk head: two-label training and export, its training data, and the guard that asks it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from triage import risk
from triage.classifier import Classification, TextModel
from triage.message import Address, InboundMessage
from triage.policy import Action, Reason, decide, person_risk
from triage.profiles import Mode, Profile
from triage.risk import ANSWER, PERSON
from triage.service import load_risk_model_or_none, read_email, triage_message
from triage.settings import Settings

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "events" / "labelled_mail" / "mails.csv"
POLICY = REPO / "infra" / "policy.json"

PROFILE = Profile(auto_reply_intents=frozenset({"track_order"}), max_person_risk=0.9)


def message(text: str = "Where is my parcel? It left last week.") -> InboundMessage:
    return InboundMessage(
        id="m1",
        message_id="<m1@customer.example.net>",
        **{"from": Address(name="Jane Doe", address="jane@customer.example.net")},
        subject="Parcel",
        text=text,
        full_text=text,
        language="en",
    )


def sure(label: str = "track_order") -> Classification:
    return Classification(
        label=label, confidence=0.99, top_k=((label, 0.99),), model_version="t", threshold=0.5
    )


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, TextModel, list[str]]:
    """A two-label head trained on the labelled mails, with the scikit-learn models it was exported from."""
    pytest.importorskip("sklearn")
    import triage.training as training
    from triage.training import Dataset, TrainConfig, train

    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [row["text"] for row in rows], [row["category"] for row in rows]
    captured: dict[str, object] = {}
    original = training.export

    def keep(fitted: object, *args: object, **kwargs: object) -> dict[str, object]:
        captured["fitted"] = fitted
        return original(fitted, *args, **kwargs)  # type: ignore[arg-type]

    out = tmp_path_factory.mktemp("risk")
    training.export = keep  # type: ignore[assignment]
    try:
        data = Dataset(texts=texts, labels=labels, sha256="0" * 64, source=str(LABELLED))
        train(data, out, head=risk.HEAD, config=TrainConfig(folds=3), encoder=None, progress=False)
    finally:
        training.export = original
    return captured["fitted"], TextModel(out, risk.HEAD), texts


def test_a_two_label_head_scores_as_its_scikit_learn_model(
    binary: tuple[object, TextModel, list[str]],
) -> None:
    """scikit-learn keeps one row of weights for two labels; the export adds a zero row, and the softmax of
    (0, d) is sigmoid(d): the same probabilities, for the same label order."""
    fitted, model, texts = binary
    sk_model = fitted.models["linear"]  # type: ignore[attr-defined]
    texts = [*texts, "", "!!!", "Where is order 5512?"]
    design = fitted.design(texts, "linear", None)  # type: ignore[attr-defined]
    expected = sk_model.predict_proba(design)
    got = model.predict_proba(texts, calibrated=False)
    assert model.labels == (ANSWER, PERSON)
    assert got.shape == expected.shape == (len(texts), 2)
    assert np.max(np.abs(got - expected)) < 1e-6
    assert [model.labels[i] for i in got.argmax(axis=1)] == list(sk_model.predict(design))
    assert model.card["head"] == risk.HEAD


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_training_rows_add_a_reproducible_sample_of_routine_requests(tmp_path: Path) -> None:
    labelled = write_csv(
        tmp_path / "l.csv", ["text", "category"], [["a story", PERSON], ["a question", ANSWER]]
    )
    requests = write_csv(
        tmp_path / "r.csv",
        ["text", "category"],
        [[f"where is order {n}", "track_order"] for n in range(10)]
        + [["I want to complain", "complaint"]] * 5,
    )
    rows = risk.training_rows(labelled, requests, {"track_order"}, count=4)
    assert rows[:2] == [("a story", PERSON), ("a question", ANSWER)]
    added = rows[2:]
    assert len(added) == 4
    assert all(label == ANSWER and text.startswith("where is order") for text, label in added)
    assert risk.training_rows(labelled, requests, {"track_order"}, count=4) == rows
    with pytest.raises(ValueError, match="fewer than the 11 asked for"):
        risk.training_rows(labelled, requests, {"track_order"}, count=11)


@pytest.mark.parametrize(
    ("header", "rows", "message_part"),
    [
        (["body", "category"], [["x", PERSON]], "missing column(s) ['text']"),
        (["text", "category"], [["x", "angry"]], "labels must be 'answer' or 'person'; found ['angry']"),
    ],
)
def test_bad_labelled_mails_are_refused_by_name(
    tmp_path: Path, header: list[str], rows: list[list[str]], message_part: str
) -> None:
    labelled = write_csv(tmp_path / "l.csv", header, rows)
    requests = write_csv(tmp_path / "r.csv", ["text", "category"], [["where is it", "track_order"]])
    with pytest.raises(ValueError, match=re.escape(message_part)):
        risk.training_rows(labelled, requests, {"track_order"}, count=1)


def test_prepare_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,category\ncaf\xe9,person\n".encode("latin-1"))
    requests = write_csv(tmp_path / "r.csv", ["text", "category"], [["where is it", "track_order"]])
    done = subprocess.run(
        [sys.executable, "-m", "triage.risk", "prepare", str(latin), str(requests), "--policy", str(POLICY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"triage.risk: {latin}: not UTF-8 (byte 17); re-save the file as UTF-8"
    ]


def test_a_would_be_reply_the_head_reads_as_a_persons_goes_to_one() -> None:
    answered = decide(message(), sure(), PROFILE)
    assert answered.action is Action.AUTO_REPLY
    handed = person_risk(answered, PROFILE, 0.93)
    assert handed.action is Action.ESCALATE
    assert handed.reason is Reason.PERSON_LIKELY
    assert handed.detail == ("person:0.93>=0.90",)
    assert (handed.intent, handed.confidence, handed.would_auto_reply) == ("track_order", 0.99, False)
    assert person_risk(answered, PROFILE, 0.89) is answered
    assert person_risk(answered, PROFILE.model_copy(update={"max_person_risk": None}), 1.0) is answered


def test_the_head_judges_shadow_replies_too_and_nothing_else() -> None:
    """Shadow mode records what live would do: a reply the head stops is no would-be reply. A decision that sends
    nothing is the head's to leave alone."""
    shadow = PROFILE.model_copy(update={"mode": Mode.SHADOW})
    would = decide(message(), sure(), shadow)
    assert would.reason is Reason.SHADOW_MODE
    assert would.would_auto_reply
    stopped = person_risk(would, shadow, 0.95)
    assert stopped.reason is Reason.PERSON_LIKELY
    assert not stopped.would_auto_reply
    escalated = decide(message(), sure("complaint"), PROFILE)
    assert person_risk(escalated, PROFILE, 1.0) is escalated


class CountingHead:
    """A stand-in risk head that records what it was asked and gives a fixed reading."""

    def __init__(self, person: float) -> None:
        self.person, self.asked = person, 0

    def predict(self, text: str, k: int = 3) -> Classification:
        self.asked += 1
        top = ((PERSON, self.person), (ANSWER, 1 - self.person))
        return Classification(label=PERSON, confidence=self.person, top_k=top, model_version="stub")


def test_the_worker_asks_the_head_only_about_would_be_replies(settings: Settings) -> None:
    from triage.classifier import load_model

    model = load_model(settings.model_dir)
    routine = read_email((REPO / "events/email/routine_order_tracking.eml").read_bytes(), settings)
    angry = read_email((REPO / "events/email/angry_refund_demand.eml").read_bytes(), settings)
    head = CountingHead(0.99)
    assert triage_message(angry, model, settings, risk_model=head).decision.reason is not Reason.PERSON_LIKELY  # type: ignore[arg-type]
    assert head.asked == 0
    outcome = triage_message(routine, model, settings, risk_model=head)  # type: ignore[arg-type]
    assert head.asked == 1
    assert outcome.decision.reason is Reason.PERSON_LIKELY
    assert outcome.reply is None
    assert outcome.escalation is not None
    calm = CountingHead(0.2)
    assert triage_message(routine, model, settings, risk_model=calm).decision.action is Action.AUTO_REPLY  # type: ignore[arg-type]


def test_the_bundled_head_lets_routine_samples_through_and_stops_a_story(settings: Settings) -> None:
    """The shipped head with the shipped retail profile: the routine sample mails are answered; a mail in words
    no phrase table holds (a fall from a product, told as what happened) goes to a person."""
    from triage.classifier import load_model

    model, head = load_model(settings.model_dir), load_risk_model_or_none(settings)
    assert head is not None
    for name in ("routine_order_tracking", "password_reset", "delivery_options", "google_group_relay"):
        raw = (REPO / "events" / "email" / f"{name}.eml").read_bytes()
        assert triage_message(
            read_email(raw, settings), model, settings, risk_model=head
        ).decision.action is (Action.AUTO_REPLY), name
    story = (
        b"From: Ruth Okafor <ruth.okafor@example.org>\nTo: support@example.com\nSubject: Tracking for order 77120\n"
        b"Message-ID: <stool-77120@example.org>\nDate: Sat, 28 Nov 2026 09:00:00 +0000\n"
        b"Content-Type: text/plain; charset=utf-8\n\nHello,\n\nThe step stool from order 77120 folded under my "
        b"mother on Sunday and she went down hard on the kitchen floor. She is sore all along one side. The "
        b"second stool in that order hasn't come yet. Could you tell me where it is?\n\nRuth\n"
    )
    message = read_email(story, settings)
    # The intent model is sure of the tracking question and no table knows these words (if one learns them, pick
    # another story: this test is about the head)...
    assert triage_message(message, model, settings).decision.action is Action.AUTO_REPLY
    # ... so only the head hands it to a person.
    stopped = triage_message(message, model, settings, risk_model=head).decision
    assert stopped.reason is Reason.PERSON_LIKELY
