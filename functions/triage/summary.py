"""A first summary for the agent: the sentences that carry the request, and the facts in them.

Extractive and deterministic: it only quotes the customer, it never invents. Bounded in words so the escalation
stays small and quick to read.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from triage.cues import negative_cues
from triage.entities import Entities, extract_entities

MAX_KEY_POINTS = 3
MAX_WORDS = 60

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_GREETING_OR_CLOSING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks?|thank you|many thanks|best|regards|kind regards|"
    r"cheers|sincerely|hola|buenos días|gracias|saludos|hallo|guten tag|danke|bonjour|merci|cordialement)\b[^.?!]{0,40}$",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\?|\b(please|could you|can you|would you|i want|i need|i'd like|i would like|when|where|how|why|"
    r"refund|cancel|help|urgent|asap|still|never|not received|broken|damaged|wrong)\b",
    re.IGNORECASE,
)


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key_points: tuple[str, ...] = ()
    entities: Entities = Entities()
    emotion_cues: tuple[str, ...] = ()
    word_count: int = 0


def _sentences(text: str) -> list[str]:
    parts = (" ".join(part.split()) for part in _SENTENCE.split(text))
    return [part for part in parts if len(part) > 2 and not _GREETING_OR_CLOSING.match(part)]


def _clip(sentence: str, words_left: int) -> str:
    words = sentence.split()
    return sentence if len(words) <= words_left else " ".join(words[:words_left]) + " …"


def summarise(subject: str, text: str) -> Summary:
    sentences = _sentences(text)
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (-len(_REQUEST.findall(sentences[i])) - 2 * bool(negative_cues(sentences[i])), i),
    )
    chosen = sorted(ranked[:MAX_KEY_POINTS])
    points: list[str] = []
    words_left = MAX_WORDS
    for index in chosen:
        if words_left <= 0:
            break
        point = _clip(sentences[index], words_left)
        points.append(point)
        words_left -= len(point.split())
    if not points and subject:
        points.append(_clip(subject, MAX_WORDS))
    return Summary(
        key_points=tuple(points),
        entities=extract_entities(f"{subject}\n{text}"),
        emotion_cues=tuple(negative_cues(text)[:5]),
        word_count=sum(len(point.split()) for point in points),
    )
