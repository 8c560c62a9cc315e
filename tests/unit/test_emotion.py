"""The GoEmotions → routing mapping, the loader and CSV export, and read_emotion with and without a model."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from triage.cues import negative_cues
from triage.emotion import (
    GOEMOTIONS_TO_ROUTING,
    MAPPING_NAME,
    MAPPINGS,
    NEGATIVE_EMOTIONS,
    PRIORITY,
    ROUTING_EMOTIONS,
    EmotionReading,
    load_goemotions,
    main,
    read_emotion,
    routing_label,
)

GOEMOTIONS = [
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
]
SHARED_LABELS = Path(__file__).resolve().parents[3] / "shared/data/goemotions/original/labels.txt"


@pytest.fixture
def labels_txt(tmp_path: Path) -> Path:
    path = tmp_path / "labels.txt"
    path.write_text("\n".join(GOEMOTIONS) + "\n", encoding="utf-8")
    return path


def ids(*names: str) -> str:
    return ",".join(str(GOEMOTIONS.index(name)) for name in names)


@pytest.mark.parametrize("mapping", list(MAPPINGS.values()), ids=list(MAPPINGS))
def test_mapping_covers_every_goemotions_label_once(mapping: dict[str, str]) -> None:
    assert sorted(mapping) == sorted(GOEMOTIONS)
    assert len(mapping) == 28
    assert set(mapping.values()) <= set(ROUTING_EMOTIONS)


def test_every_routing_emotion_is_reachable_and_ranked() -> None:
    assert set(GOEMOTIONS_TO_ROUTING.values()) == set(ROUTING_EMOTIONS)
    assert sorted(PRIORITY) == sorted(ROUTING_EMOTIONS)
    assert set(ROUTING_EMOTIONS) >= NEGATIVE_EMOTIONS
    # Every negative emotion outranks every other one.
    assert {PRIORITY.index(e) for e in NEGATIVE_EMOTIONS} == set(range(len(NEGATIVE_EMOTIONS)))


@pytest.mark.skipif(not SHARED_LABELS.is_file(), reason="../shared/data is not present")
def test_mapping_matches_the_shipped_label_list() -> None:
    assert SHARED_LABELS.read_text(encoding="utf-8").split() == GOEMOTIONS


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["neutral"], "neutral"),
        (["disgust"], "anger"),
        (["disapproval"], "annoyance"),
        (["grief"], "sadness"),
        (["nervousness"], "fear"),
        (["relief"], "gratitude"),
        (["admiration"], "other"),
        (["gratitude", "anger"], "anger"),
        (["annoyance", "fear"], "fear"),
        (["disappointment", "annoyance"], "disappointment"),
        (["sadness", "disappointment"], "sadness"),
        (["confusion", "gratitude"], "confusion"),
        (["gratitude", "admiration"], "gratitude"),
        (["neutral", "joy"], "other"),
        (["neutral", "curiosity", "confusion"], "confusion"),
    ],
)
def test_multi_label_rows_take_the_highest_priority(labels: list[str], expected: str) -> None:
    assert routing_label(labels) == expected


def test_routing_label_needs_a_label() -> None:
    with pytest.raises(ValueError, match="at least one"):
        routing_label([])


def write_tsv(path: Path) -> Path:
    rows = [
        f"This is absolutely disgusting\t{ids('disgust')}\tc1",
        f"Thanks so much, that fixed it!\t{ids('gratitude', 'relief')}\tc2",
        f"I don't get it, what happened?\t{ids('confusion', 'curiosity')}\tc3",
        f"Thanks, but I'm furious about this\t{ids('gratitude', 'anger')}\tc4",
        f"It is a table\t{ids('neutral')}\tc5",
        "\tbroken row without text\tc6",
        "unknown id\t99\tc7",
        "only two fields\t3",
        "",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_load_goemotions_maps_and_counts_skips(tmp_path: Path, labels_txt: Path) -> None:
    dataset = load_goemotions(write_tsv(tmp_path / "mini.tsv"), labels_txt)
    assert dataset.labels == ["anger", "gratitude", "confusion", "anger", "neutral"]
    assert dataset.texts[1] == "Thanks so much, that fixed it!"
    assert dataset.skipped == 3
    assert dataset.source == "mini.tsv"
    assert len(dataset.sha256) == 64
    assert dataset.extra["mapping"] == MAPPING_NAME
    assert dataset.extra["label_counts"] == {"anger": 2, "confusion": 1, "gratitude": 1, "neutral": 1}


def test_load_goemotions_with_the_wide_mapping(tmp_path: Path, labels_txt: Path) -> None:
    wide = "goemotions-routing-wide"
    dataset = load_goemotions(
        write_tsv(tmp_path / "mini.tsv"), labels_txt, mapping=MAPPINGS[wide], mapping_name=wide
    )
    assert dataset.extra["mapping"] == wide
    assert dataset.labels[2] == "confusion"


def test_load_goemotions_refuses_unmapped_labels(tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("anger\nschadenfreude\n", encoding="utf-8")
    with pytest.raises(ValueError, match="schadenfreude"):
        load_goemotions(write_tsv(tmp_path / "mini.tsv"), labels)


def test_prepare_writes_a_trainable_csv(
    tmp_path: Path, labels_txt: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tsv = write_tsv(tmp_path / "mini.tsv")
    assert main(["prepare", str(tsv), str(labels_txt)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["category"] for row in rows] == ["anger", "gratitude", "confusion", "anger", "neutral"]
    assert rows[3]["text"] == "Thanks, but I'm furious about this"
    assert "5 rows (3 skipped)" in err

    from triage.training import load_dataset

    path = tmp_path / "out.csv"
    path.write_text(out, encoding="utf-8")
    assert load_dataset(path).labels == [row["category"] for row in rows]


def test_prepare_reports_a_missing_file(
    tmp_path: Path, labels_txt: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prepare", str(tmp_path / "nope.tsv"), str(labels_txt)]) == 2
    assert "nope.tsv" in capsys.readouterr().err


def test_read_emotion_without_a_model_uses_the_lexicon() -> None:
    angry = read_emotion(None, "This is ridiculous and unacceptable!!")
    assert angry.negative
    assert angry.label == "anger"
    assert angry.confidence == 1.0
    assert {"ridiculous", "unacceptable", "!!"} <= set(angry.cues)

    let_down = read_emotion(None, "I am so disappointed with the delivery.")
    assert let_down == EmotionReading(
        label="disappointment", confidence=1.0, negative=True, cues=("so disappointed",)
    )

    calm = read_emotion(None, "Could you send me the invoice for order 1234?")
    assert calm == EmotionReading(label="neutral", confidence=0.0, negative=False, cues=())


ROWS = {
    # Angry words the lexicon does not list, so the head alone can call them negative.
    "anger": [
        "I am so mad, this is a disgrace",
        "You people make me mad, I hate this",
        "Absolutely mad at this company",
        "I hate you, what a disgrace",
        "I hate this, I am so mad",
        "Mad. Disgrace. Hate it",
        "so mad and full of hate right now",
        "what a disgrace, I hate you",
    ],
    "gratitude": [
        "Thank you so much for your help",
        "Thanks a lot, really appreciate it",
        "Many thanks, you saved my day",
        "Thank you, that is very kind",
        "I really appreciate it, thanks",
        "thanks so much for the quick help",
        "Thank you thank you thank you",
        "Much appreciated, many thanks",
    ],
    "neutral": [
        "The parcel is a box with a lid",
        "My order number is on the form",
        "The jacket is blue and the size is medium",
        "I live on the second floor",
        "The form has three pages",
        "The box is on the table",
        "The order was placed on the website",
        "The size of the box is medium",
    ],
    "confusion": [
        "I don't understand what this means",
        "I am confused, what does this mean?",
        "I don't get it, which one is it?",
        "Confused about what this means",
        "What? I do not understand",
        "I'm not sure I understand this",
        "This is confusing, what does it mean",
        "I don't understand, I am confused",
    ],
}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> object:
    pytest.importorskip("sklearn")
    from triage.classifier import TextModel
    from triage.training import Dataset, TrainConfig, train

    texts = [text for rows in ROWS.values() for text in rows]
    labels = [label for label, rows in ROWS.items() for _ in rows]
    dataset = Dataset(
        texts=texts, labels=labels, sha256="0" * 64, source="tiny", extra={"mapping": MAPPING_NAME}
    )
    out = tmp_path_factory.mktemp("emotion-model")
    config = TrainConfig(folds=2, min_support=2, augment_share=0.0, use_encoder=False, linear_c=10.0)
    card = train(dataset, out, head="emotion", config=config, progress=False)
    assert card["head"] == "emotion"
    assert card["data"]["mapping"] == MAPPING_NAME
    return TextModel(out, "emotion")


def test_read_emotion_with_a_model_returns_a_routing_emotion(tiny_model: object) -> None:
    from triage.classifier import TextModel

    assert isinstance(tiny_model, TextModel)
    reading = read_emotion(tiny_model, "Thank you so much, I really appreciate it")
    assert reading.label in ROUTING_EMOTIONS
    assert reading.label == "gratitude"
    assert 0.0 < reading.confidence <= 1.0
    assert not reading.negative
    assert reading.cues == ()


def test_read_emotion_negative_from_the_head_or_the_lexicon(tiny_model: object) -> None:
    from triage.classifier import TextModel

    assert isinstance(tiny_model, TextModel)
    head_only = read_emotion(tiny_model, "I am so mad, I hate this disgrace", min_confidence=0.3)
    assert head_only.label == "anger"
    assert head_only.negative
    assert head_only.cues == ()
    # A confidence bar no reading reaches: only the lexicon can make it negative.
    assert not read_emotion(tiny_model, "I am so mad, I hate this disgrace", min_confidence=1.01).negative
    lexicon = read_emotion(tiny_model, "The box is on the table. This is unacceptable!!", min_confidence=1.01)
    assert lexicon.negative
    assert lexicon.label in ROUTING_EMOTIONS
    assert "unacceptable" in lexicon.cues


def test_training_refuses_to_hand_over_an_artifact_the_scorer_cannot_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("sklearn")
    import weakref

    import numpy as np

    from triage import classifier
    from triage.training import Dataset, TrainConfig, TrainingError, train

    # As if two vocabulary terms shared one hash: the scorer refuses the artifact, so training must say so.
    monkeypatch.setattr(classifier, "vocabulary_hashes", lambda arrays, block: np.zeros(3, dtype=np.uint64))
    # A head loaded earlier on the same vocabulary would lend its table, which was hashed before the patch.
    monkeypatch.setattr(classifier, "_TABLES", weakref.WeakValueDictionary())
    texts = [text for rows in ROWS.values() for text in rows]
    labels = [label for label, rows in ROWS.items() for _ in rows]
    dataset = Dataset(
        texts=texts, labels=labels, sha256="0" * 64, source="tiny", extra={"mapping": MAPPING_NAME}
    )
    config = TrainConfig(folds=2, min_support=2, augment_share=0.0, use_encoder=False, linear_c=10.0)
    with pytest.raises(TrainingError, match="cannot be loaded: two vocabulary terms share one 64-bit hash"):
        train(dataset, tmp_path, head="emotion", config=config, progress=False)


@pytest.mark.parametrize(
    ("text", "shouts"),
    [
        ("Is there a fee to cancel? Thanks in advance!!", False),
        ("Please send the invoice. Thank you so much!!!\nMatteo", False),
        ("Cheers!! See you next week", False),
        ("Where is my parcel!! Thanks in advance!!", True),  # one run is not after thanks
        ("Thanks for nothing!!", True),
        ("Thanks a lot!!", True),
        ("Is this a joke?!", True),
    ],
)
def test_marks_after_thanks_are_warmth_not_anger(text: str, shouts: bool) -> None:
    assert ("!!" in negative_cues(text)) is shouts
