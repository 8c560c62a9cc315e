"""FAQ mining, review and knowledge-base matching.

The scenario and the Banking77 slice run the real numpy encoder (they test what it clusters); the rest use a
bag-of-words hashing embedding, where the encoder is not the point.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from conftest import SHARED_DATA
from triage import faq_cli
from triage.faq import (
    DRAFT_MARK,
    FaqDraft,
    FaqError,
    KnowledgeBase,
    MemoryFaqStore,
    MinedMessage,
    approve,
    cluster,
    cluster_quality,
    draft_id,
    measure_threshold,
    messages_from_feedback,
    mine,
    reject,
)

BANKING77_TEST = SHARED_DATA / "banking77" / "test.csv"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

GIFT_WRAPPING = [
    "Do you offer gift wrapping?",
    "Can you gift wrap my order?",
    "Is gift wrapping available for my purchase?",
    "Could you wrap my order as a gift please?",
    "I'd like my order gift-wrapped, is that possible?",
    "Do you have a gift wrap option at checkout?",
    "How do I add gift wrapping to my order?",
    "Can I get the items wrapped as a present?",
    "Is there a gift wrapping service?",
    "Can you wrap the parcel in gift paper?",
    "Hi, is it possible to have my order gift wrapped?",
    "Do you do gift wrapping for birthday orders?",
    "Can I request gift wrapping for an order I already placed?",
    "Does your shop offer gift wrapping and a card?",
    "I want to send this as a gift, can you wrap it?",
    "How much does gift wrapping cost?",
    "Is gift wrap free or do you charge for it?",
    "Where do I choose gift wrapping when ordering?",
    "Can you gift-wrap the items before shipping?",
    "Could the package be wrapped as a gift?",
    "Do you provide gift wrapping for Christmas orders?",
    "Please gift wrap my order, it is a present.",
    "Is it possible to add gift wrap to my purchase?",
    "Can my order be wrapped in gift paper?",
    "Do you wrap presents if I order online?",
    "I forgot to select gift wrapping, can you still wrap it?",
    "Is gift wrapping offered on all products?",
    "Can you wrap each item separately as gifts?",
    "Do you have a gift wrapping option for orders?",
    "Would you be able to gift wrap this order for me?",
]
AGENT_NOTE = "Yes: pick 'Gift wrap' at checkout (3 EUR per item); orders already placed cannot be wrapped."
UNRELATED_QUESTIONS = [
    "How do I activate my card?",
    "Where is my parcel? It was due yesterday.",
    "Can I return a gift I received?",
    "I want to close my account.",
]


def hashing_embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """Bag of words in 256 hashed dimensions: same words, same direction."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0  # noqa: S324
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@pytest.fixture(scope="module")
def encode() -> Callable[[Sequence[str]], NDArray[np.float32]]:
    """The real encoder, remembering what it encoded (tests mine the same texts more than once)."""
    from triage.encoder import default_encoder_dir, load_encoder

    directory = default_encoder_dir()
    if directory is None:
        pytest.skip("the sentence encoder is not installed")
    encoder = load_encoder(directory)
    seen: dict[str, NDArray[np.float32]] = {}

    def cached(texts: Sequence[str]) -> NDArray[np.float32]:
        todo = [t for t in dict.fromkeys(texts) if t not in seen]
        if todo:
            seen.update(zip(todo, encoder.encode(todo), strict=True))
        return np.array([seen[t] for t in texts], dtype=np.float32)

    return cached


def unrelated_rows(count: int) -> list[str]:
    """One Banking77 question per label: many topics, none repeated."""
    with BANKING77_TEST.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row["category"], row["text"])
    return list(seen.values())[:count]


def scenario_messages(gift: Sequence[str] = GIFT_WRAPPING) -> list[MinedMessage]:
    messages = [
        MinedMessage(
            text=text,
            message_key=f"gift-{i}",
            intent="product_question" if i % 4 else "other",
            agent_note=AGENT_NOTE if i == 7 else None,
        )
        for i, text in enumerate(gift)
    ]
    messages += [
        MinedMessage(text=t, message_key=f"other-{i}", intent="other")
        for i, t in enumerate(unrelated_rows(60))
    ]
    random.Random(3).shuffle(messages)
    return messages


# --- the scenario -----------------------------------------------------------------------------------------
def test_thirty_askers_become_one_draft_that_once_approved_answers_the_next_paraphrase(
    encode: Callable[..., NDArray[np.float32]],
) -> None:
    # Given 30 differently worded gift-wrapping questions among 60 unrelated ones, one agent note among them
    messages = scenario_messages()

    # When they are mined
    drafts = mine(messages, embed=encode, now=NOW)

    # Then exactly one draft is proposed, for gift wrapping, with the agent's note as its marked answer
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.size >= 25
    assert draft.status == "pending"
    assert draft.question in GIFT_WRAPPING
    assert all(key.startswith("gift-") for key in draft.message_keys)
    assert draft.intent == "product_question"
    assert draft.answer == f"{DRAFT_MARK} {AGENT_NOTE}"
    assert len(draft.members) == 10

    # When a reviewer approves it as proposed
    store = MemoryFaqStore([draft])
    approved = approve(store, draft.id, answer=None, reviewer="kim", now=NOW)

    # Then the entry answers without the draft mark, and the knowledge base matches a new paraphrase only
    assert approved.answer == AGENT_NOTE
    assert store.get(draft.id).status == "approved"
    kb = KnowledgeBase(store.list(), embed=encode)
    found = kb.match("Can you gift wrap my purchase?")
    assert found is not None
    assert found[0].id == draft.id
    for question in UNRELATED_QUESTIONS:
        assert kb.match(question) is None, question


def test_a_rejected_question_is_not_proposed_again_even_asked_by_other_people(
    encode: Callable[..., NDArray[np.float32]],
) -> None:
    # Given a gift-wrapping draft that a reviewer rejected
    store = MemoryFaqStore(mine(scenario_messages(), embed=encode, now=NOW))
    (draft,) = store.list()
    reject(store, draft.id, "kim", now=NOW)
    assert store.rejected_ids() == {draft.id}

    # When next week 25 of those questions come again (another canonical sentence, a new centroid)
    later = scenario_messages(GIFT_WRAPPING[5:])
    assert mine(later, embed=encode)[0].id != draft.id  # a different canonical question without the store

    # Then mining with the store's drafts proposes nothing
    assert mine(later, embed=encode, known=store.list()) == []


def test_banking77_slice_clusters_are_mostly_pure(
    encode: Callable[..., NDArray[np.float32]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given 6 Banking77 labels with all their test rows (~240 texts), as a CSV
    with BANKING77_TEST.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labels = sorted({row["category"] for row in rows})[20:26]
    path = tmp_path / "slice.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(row for row in rows if row["category"] in labels)

    # When `triage faq mine --data slice.csv --json` runs (with the cached encoder)
    import triage.faq

    monkeypatch.setattr(triage.faq, "default_embed", lambda: encode)
    status = run("mine", "--data", str(path), "--json")
    out, err = capsys.readouterr()

    # Then stdout is the JSON list of drafts and stderr the quality figures
    assert status == 0
    drafts = json.loads(out)
    assert drafts
    assert set(drafts[0]) == {"question", "intent", "size", "members"}
    assert all(len(d["members"]) == d["size"] for d in drafts)
    quality = json.loads(err.strip().splitlines()[-1])["quality"]
    assert quality["purity"] >= 0.85
    assert quality["coverage"] >= 0.4


# --- clustering and drafts (cheap embedding) --------------------------------------------------------------
def test_cluster_groups_identical_directions_and_leaves_outliers_alone() -> None:
    a, b, c = np.eye(3, dtype=np.float32)
    vectors = np.array([a, b, a, a, b, c, a * 0.9 + b * 0.1], dtype=np.float32)
    groups = sorted(cluster(vectors, 0.9))
    assert groups == [[0, 2, 3, 6], [1, 4], [5]]
    assert cluster(np.zeros((0, 3), dtype=np.float32)) == []


def test_average_linkage_stops_chaining() -> None:
    # A chain of points each 0.95 from the next: single linkage would join them all, average does not.
    angles = np.radians(np.arange(0, 180, 18))
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    assert max(len(g) for g in cluster(vectors, 0.9)) < len(vectors)


def test_draft_id_ignores_case_spacing_punctuation_and_numbers() -> None:
    assert draft_id("Do you gift-wrap order #1234?") == draft_id("do you  gift wrap order 99")
    assert draft_id("Do you gift wrap?") != draft_id("Do you ship abroad?")


def test_no_answer_is_invented_without_agents_words() -> None:
    messages = [MinedMessage(text=f"do you ship to norway {n}") for n in range(6)]
    (draft,) = mine(messages, embed=hashing_embed, threshold=0.5)
    assert draft.answer is None
    assert draft.intent is None


def test_the_answer_comes_from_the_most_central_agent_reply() -> None:
    messages = [
        MinedMessage(text="do you ship to norway", agent_reply="We ship to Norway in 5 days."),
        MinedMessage(
            text="do you ship to norway please tell me about delivery costs", agent_note="fees apply"
        ),
        *(MinedMessage(text="do you ship to norway") for _ in range(4)),
    ]
    (draft,) = mine(messages, embed=hashing_embed, threshold=0.5)
    assert draft.answer == f"{DRAFT_MARK} We ship to Norway in 5 days."


def test_small_clusters_are_not_drafts_and_members_are_capped() -> None:
    messages = [MinedMessage(text="do you ship to norway") for _ in range(14)]
    messages += [MinedMessage(text="can i pay by invoice") for _ in range(4)]
    (draft,) = mine(messages, embed=hashing_embed, max_members=3)
    assert draft.size == 14
    assert len(draft.members) == 3
    assert len(draft.message_keys) == 14
    assert mine(messages[:3], embed=hashing_embed) == []
    with pytest.raises(FaqError, match="min_size"):
        mine(messages, embed=hashing_embed, min_size=1)


def test_canonical_question_is_shortened_and_masked() -> None:
    long = "please write to jane.doe@example.org about shipping to norway " + "and more words " * 30
    (draft,) = mine([MinedMessage(text=long) for _ in range(5)], embed=hashing_embed)
    assert len(draft.question) <= 200
    assert draft.question.endswith("…")
    assert "jane.doe" not in draft.question
    assert "[email]" in draft.question


def test_cluster_quality_counts_purity_and_coverage() -> None:
    messages = [MinedMessage(text="do you ship to norway", label="shipping") for _ in range(8)]
    messages += [MinedMessage(text="do you ship to norway", label="fees") for _ in range(2)]
    messages += [MinedMessage(text=f"unrelated {w}", label="other") for w in ("alpha", "beta")]
    drafts = mine(messages, embed=hashing_embed)
    assert cluster_quality(drafts, messages) == {
        "purity": 0.8,
        "coverage": round(10 / 12, 4),
        "n_clusters": 1,
        "mean_size": 10.0,
    }


def test_measure_threshold_reaches_the_target_precision_on_separable_labels() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 32))
    labels = [f"l{i % 10}" for i in range(400)]
    vectors = np.array([centres[i % 10] + rng.normal(scale=0.3, size=32) for i in range(400)])
    result = measure_threshold(vectors, labels)
    assert result["chosen"]["precision"] >= 0.99
    assert result["chosen"]["recall"] > 0.5


# --- review -----------------------------------------------------------------------------------------------
def pending(answer: str | None = None, question: str = "Do you ship to Norway?") -> FaqDraft:
    return FaqDraft(
        id=draft_id(question),
        status="pending",
        question=question,
        intent="shipping",
        size=6,
        members=(question,),
        answer=answer,
        created_at=NOW,
    )


def test_approving_needs_an_answer() -> None:
    store = MemoryFaqStore([pending()])
    with pytest.raises(FaqError, match=r"no proposed answer.*--edit"):
        approve(store, pending().id, answer=None)
    with pytest.raises(FaqError, match="empty"):
        approve(store, pending().id, answer="  \n")
    assert store.get(pending().id).status == "pending"
    edited = approve(store, pending().id, answer="We ship to Norway.\n", reviewer="kim")
    assert (edited.status, edited.answer, edited.reviewer) == ("approved", "We ship to Norway.", "kim")


def test_unknown_and_malformed_ids_are_clear_errors() -> None:
    store = MemoryFaqStore()
    with pytest.raises(FaqError, match="no FAQ draft faq-0000000000000000"):
        approve(store, "faq-0000000000000000", answer="x")
    with pytest.raises(FaqError, match="not a draft id"):
        reject(store, "../etc/passwd")


def test_knowledge_base_holds_approved_entries_only_and_embeds_questions_without_centroids() -> None:
    approved = pending("We ship to Norway.").model_copy(update={"status": "approved"})
    other = pending("Pay by invoice.", "Can I pay by invoice?")
    kb = KnowledgeBase([approved, other], embed=hashing_embed, threshold=0.9)
    assert len(kb) == 1
    match = kb.match("do you ship to norway")
    assert match is not None
    assert match[0].id == approved.id
    assert match[1] > 0.99
    assert kb.match("can i pay by invoice") is None
    assert KnowledgeBase([], embed=hashing_embed, threshold=0.9).match("anything") is None


def test_feedback_records_become_messages() -> None:
    records = [
        {
            "message_key": "k1",
            "key_points": ["Asks for gift wrapping", "order 55120"],
            "agent_intent": "product_question",
            "model_intent": "other",
            "note": "Offer gift wrap at checkout",
            "resolved_at": "2026-11-26T10:00:00Z",
        },
        {"message_key": "k2", "key_points": [], "agent_intent": "x"},
        {"message_key": "k3", "key_points": ["Where is my order"], "model_intent": "track_order"},
    ]
    first, second = messages_from_feedback(records)
    assert first.text == "Asks for gift wrapping order 55120"
    assert (first.intent, first.agent_note, first.message_key) == (
        "product_question",
        "Offer gift wrap at checkout",
        "k1",
    )
    assert first.at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert (second.intent, second.agent_note) == ("track_order", None)


# --- CLI input errors -------------------------------------------------------------------------------------
def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="triage")
    faq_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["faq", *argv])
    return int(args.func(args))


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("", (), "no rows"),
        ("text,category\n", (), "no rows"),
        ("body,category\nhello,x\n", (), r"missing column\(s\) \['text'\]"),
        ("text\nhello\n", ("--label-column", "intent"), r"missing column\(s\) \['intent'\]"),
        ("text,category\n,x\n", (), "every 'text' is empty"),
    ],
)
def test_offline_mine_bad_input_is_one_clear_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, extra: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    assert run("mine", "--data", str(path), "--json", *extra) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("triage: ")
    assert re.search(message, err)
    assert "Traceback" not in err


def test_offline_mine_of_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run("mine", "--data", str(tmp_path / "nope.csv")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_offline_mine_without_labels_prints_no_quality(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import triage.faq

    monkeypatch.setattr(triage.faq, "default_embed", lambda: hashing_embed)
    path = tmp_path / "data.csv"
    path.write_text("text\n" + "do you ship to norway\n" * 5 + "can i pay by invoice\n", encoding="utf-8")
    assert run("mine", "--data", str(path), "--json") == 0
    out, err = capsys.readouterr()
    assert [d["size"] for d in json.loads(out)] == [5]
    assert "quality" not in err


def test_since_is_a_window() -> None:
    assert faq_cli.parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert faq_cli.parse_since("12h", NOW) == NOW - timedelta(hours=12)
    with pytest.raises(FaqError, match="--since"):
        faq_cli.parse_since("last week", NOW)
