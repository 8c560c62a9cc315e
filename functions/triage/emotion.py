"""The emotion head: GoEmotions mapped to the few emotions that change where a support message goes.

GoEmotions (Demszky et al., 2020; Google, CC-BY-4.0) labels 58k Reddit comments with 27 emotions plus neutral,
several per comment. A support desk needs fewer, and different, distinctions: is the customer angry, annoyed,
let down, sad or afraid (a person should answer), confused (the answer must be clearer), thankful (often no
answer is needed), or none of these. :data:`GOEMOTIONS_TO_ROUTING` folds the 28 labels into those buckets and
:data:`PRIORITY` picks one bucket for a comment with several labels, so the head is an ordinary single-label
classifier trained by ``triage.training`` (``python -m triage.emotion prepare`` writes the CSV it reads).

At run time :func:`read_emotion` joins the head's reading with the explicit phrase table of ``triage.cues``:
either can mark a message negative, and with no model the phrases alone decide.

Caveat: Reddit comments are not support mail. The head is a second opinion beside the lexicon, not a judge.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from triage import regex_code
from triage.cues import negative_cues

if TYPE_CHECKING:  # pragma: no cover - typing only; the Lambda imports this module without scikit-learn
    from triage.classifier import TextModel
    from triage.training import Dataset

HEAD = "emotion"
MAPPING_NAME = "goemotions-routing-v1"

ANGER = "anger"
ANNOYANCE = "annoyance"
DISAPPOINTMENT = "disappointment"
SADNESS = "sadness"
FEAR = "fear"
CONFUSION = "confusion"
GRATITUDE = "gratitude"
NEUTRAL = "neutral"
OTHER = "other"

ROUTING_EMOTIONS: tuple[str, ...] = (
    ANGER,
    ANNOYANCE,
    DISAPPOINTMENT,
    SADNESS,
    FEAR,
    CONFUSION,
    GRATITUDE,
    NEUTRAL,
    OTHER,
)
# The emotions that send a message to a person rather than an automatic answer.
NEGATIVE_EMOTIONS: frozenset[str] = frozenset({ANGER, ANNOYANCE, DISAPPOINTMENT, SADNESS, FEAR})

GOEMOTIONS_TO_ROUTING: Mapping[str, str] = {
    # anger: hostility aimed at someone. Disgust ("this is vile") reads the same in a complaint and is too rare
    # (1.8 % of train) to learn on its own; Google's Ekman grouping keeps it apart, we do not need to.
    "anger": ANGER,
    "disgust": ANGER,
    # annoyance: irritation and disagreement short of anger ("this is not OK", "that's wrong").
    "annoyance": ANNOYANCE,
    "disapproval": ANNOYANCE,
    # disappointment: an expectation let down ("I expected better"), kept apart from anger: it asks for a fix.
    "disappointment": DISAPPOINTMENT,
    # sadness: loss and grief (a bereavement, a ruined event) ask for a person and a gentle answer. Remorse
    # ("I'm so sorry") and embarrassment are the customer apologising for themselves: in support mail that is
    # not a grievance against us, so they go to ``other`` (Ekman would put both under sadness; see MAPPINGS).
    "sadness": SADNESS,
    "grief": SADNESS,
    # fear: worry about safety, money or consequences.
    "fear": FEAR,
    "nervousness": FEAR,
    # confusion: the customer does not understand. Curiosity is mostly plain questions ("how does X work?"),
    # which nearly every support message is; merging it would make ``confusion`` mean "asks something".
    "confusion": CONFUSION,
    # gratitude: thanks. Relief ("phew, that fixed it") closes a conversation the same way. Admiration (praise)
    # stays in ``other``: it is more common than gratitude (4,130 vs 2,662 train rows) and would swamp the
    # thank-you signal.
    "gratitude": GRATITUDE,
    "relief": GRATITUDE,
    "neutral": NEUTRAL,
    # other: positive or ambiguous states that change nothing in routing.
    "admiration": OTHER,
    "amusement": OTHER,
    "approval": OTHER,
    "caring": OTHER,
    "curiosity": OTHER,
    "desire": OTHER,
    "embarrassment": OTHER,
    "excitement": OTHER,
    "joy": OTHER,
    "love": OTHER,
    "optimism": OTHER,
    "pride": OTHER,
    "realization": OTHER,
    "remorse": OTHER,
    "surprise": OTHER,
}

# An alternative measured against the chosen mapping; ``prepare --mapping`` writes either.
_WIDE_CHANGES = {
    "remorse": SADNESS,
    "embarrassment": SADNESS,
    "curiosity": CONFUSION,
    "admiration": GRATITUDE,
}
MAPPINGS: Mapping[str, Mapping[str, str]] = {
    MAPPING_NAME: GOEMOTIONS_TO_ROUTING,
    # Ekman-like: the apologetic states join sadness, questions join confusion, praise joins thanks.
    "goemotions-routing-wide": {**GOEMOTIONS_TO_ROUTING, **_WIDE_CHANGES},
}

# One label for a comment with several: what most changes the handling first. Anger outranks fear (both go to a
# person; anger is the one that must not get a robot's answer), then the quieter negatives, then confusion
# (a better answer is needed), gratitude, other, and neutral last (neutral beside an emotion means the emotion).
PRIORITY: tuple[str, ...] = (
    ANGER,
    FEAR,
    SADNESS,
    DISAPPOINTMENT,
    ANNOYANCE,
    CONFUSION,
    GRATITUDE,
    OTHER,
    NEUTRAL,
)


def routing_label(goemotions: Sequence[str], mapping: Mapping[str, str] = GOEMOTIONS_TO_ROUTING) -> str:
    """The routing emotion of a comment with these GoEmotions labels (highest :data:`PRIORITY` wins)."""
    mapped = {mapping[label] for label in goemotions}
    if not mapped:
        raise ValueError("a comment needs at least one label")
    return min(mapped, key=PRIORITY.index)


def read_label_names(labels_txt: Path) -> list[str]:
    names = [line.strip() for line in labels_txt.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not names:
        raise ValueError(f"{labels_txt}: no label names")
    return names


def load_goemotions(
    tsv: Path,
    labels_txt: Path,
    *,
    mapping: Mapping[str, str] = GOEMOTIONS_TO_ROUTING,
    mapping_name: str = MAPPING_NAME,
) -> Dataset:
    """A GoEmotions TSV (``text <TAB> label ids <TAB> comment id``, no header) as a single-label Dataset.

    Rows with an empty text, a missing or unknown label id, or the wrong number of fields are skipped and counted.
    """
    from triage.training import Dataset, TrainingError

    names = read_label_names(labels_txt)
    unmapped = sorted(set(names) - set(mapping))
    if unmapped:
        raise TrainingError(f"{labels_txt}: labels without a routing emotion: {unmapped}")
    raw = tsv.read_bytes()
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for line in raw.decode("utf-8-sig").splitlines():
        fields = line.split("\t")
        text = fields[0].strip() if fields else ""
        try:
            if len(fields) != 3 or not text:
                raise ValueError
            ids = [int(value) for value in fields[1].split(",")]
            if any(not 0 <= value < len(names) for value in ids):
                raise ValueError
        except ValueError:
            if line.strip():
                skipped += 1
            continue
        texts.append(text)
        labels.append(routing_label([names[value] for value in ids], mapping))
    return Dataset(
        texts=texts,
        labels=labels,
        sha256=hashlib.sha256(raw).hexdigest(),
        source=tsv.name,
        skipped=skipped,
        extra={
            "mapping": mapping_name,
            "label_names_sha256": hashlib.sha256(labels_txt.read_bytes()).hexdigest(),
            "label_counts": dict(sorted(Counter(labels).items())),
        },
    )


@dataclass(frozen=True)
class EmotionReading:
    """What the emotion head and the phrase table say about one message.

    ``label`` is the head's routing emotion; without a model it is ``disappointment`` or ``anger`` when a phrase
    matched (``neutral`` otherwise) and ``confidence`` is 1.0 for a matched phrase, 0.0 for no information.
    ``negative`` is what routing uses: the head says a negative emotion confidently enough, or a phrase matched.
    """

    label: str
    confidence: float
    negative: bool
    cues: tuple[str, ...]
    scores: tuple[
        tuple[str, float], ...
    ] = ()  # the head's top labels and probabilities; empty without a head

    def mass(self, labels: frozenset[str] | set[str]) -> float:
        """The head's probability that the emotion is one of ``labels`` (its top labels only)."""
        return sum(p for label, p in self.scores if label in labels)

    @classmethod
    def from_cues(cls, cues: Sequence[str]) -> EmotionReading:
        """The phrase table alone (no emotion head)."""
        return cls(
            label=_lexicon_label(cues), confidence=1.0 if cues else 0.0, negative=bool(cues), cues=tuple(cues)
        )


_DISAPPOINTED_CUE = regex_code.compile(r"disappointed|enttäuscht|déçue?|decepcionad[oa]", re.IGNORECASE)


def _lexicon_label(cues: Sequence[str]) -> str:
    if not cues:
        return NEUTRAL
    if all(_DISAPPOINTED_CUE.search(cue) for cue in cues):
        return DISAPPOINTMENT
    return ANGER


def read_emotion(model: TextModel | None, text: str, min_confidence: float = 0.5) -> EmotionReading:
    """The head's reading of ``text`` joined with the phrase table (``triage.cues.negative_cues``).

    Negative when the head's label is in :data:`NEGATIVE_EMOTIONS` with calibrated confidence ≥ ``min_confidence``
    or when any phrase matched. With ``model`` None the phrases alone decide.
    """
    cues = tuple(negative_cues(text))
    if model is None:
        return EmotionReading.from_cues(cues)
    result = model.predict(text)
    confident_negative = result.label in NEGATIVE_EMOTIONS and result.confidence >= min_confidence
    return EmotionReading(
        label=result.label,
        confidence=result.confidence,
        negative=confident_negative or bool(cues),
        cues=cues,
        scores=tuple(result.top_k),
    )


def write_csv(texts: Sequence[str], labels: Sequence[str], out: TextIO) -> None:
    """``text,category`` rows, the columns ``triage train`` reads by default."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "category"])
    writer.writerows(zip(texts, labels, strict=True))


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # a command-line tool inside a module the worker imports: argparse only when run

    parser = argparse.ArgumentParser(
        prog="python -m triage.emotion", description="Prepare GoEmotions for the emotion head."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser(
        "prepare", help="write a GoEmotions TSV, mapped to routing emotions, as CSV (text,category) to stdout"
    )
    prepare.add_argument("tsv", type=Path)
    prepare.add_argument("labels", type=Path, help="labels.txt: the 28 label names in id order")
    prepare.add_argument("--mapping", choices=sorted(MAPPINGS), default=MAPPING_NAME)
    args = parser.parse_args(argv)
    try:
        dataset = load_goemotions(
            args.tsv, args.labels, mapping=MAPPINGS[args.mapping], mapping_name=args.mapping
        )
    except (OSError, ValueError) as error:  # TrainingError and UnicodeDecodeError are ValueErrors
        print(f"triage.emotion: {error}", file=sys.stderr)
        return 2
    write_csv(dataset.texts, dataset.labels, sys.stdout)
    counts = ", ".join(f"{label} {count}" for label, count in Counter(dataset.labels).most_common())
    print(
        f"{len(dataset.texts)} rows ({dataset.skipped} skipped), mapping {args.mapping}: {counts}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
