"""A tiny stop-word language guesser: enough to pick a reply language or send non-English mail to a person.

It answers only when the evidence is clear (several stop words, a clear winner); otherwise ``None``.
"""

from __future__ import annotations

import re
from collections import Counter

from triage import regex_code

_WORD = regex_code.compile(r"[^\W\d_]+", re.UNICODE)  # runs of letters
_ASCII_WORD = regex_code.compile(r"[a-z]+")

_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "you",
            "your",
            "my",
            "i",
            "me",
            "to",
            "of",
            "in",
            "it",
            "for",
            "on",
            "with",
            "this",
            "that",
            "have",
            "has",
            "was",
            "not",
            "can",
            "do",
            "please",
            "would",
            "could",
            "when",
            "where",
            "how",
            "what",
            # Short words no other list has: without them a plain English question read as Portuguese ("do",
            # "as", "a" are Portuguese words too) and a third of short English requests as no language at all.
            "or",
            "any",
            "other",
            "at",
            "by",
            "from",
            "be",
            "if",
            "we",
            "will",
            "our",
            "they",
            "there",
            "which",
            "but",
            "been",
            "had",
            "should",
            "did",
            "does",
            "about",
            "some",
            "get",
            "need",
            "want",
            "just",
            "why",
            "who",
            "us",
            "were",
            # The words of a short support mail: "do u take apple pay", "hi pls send invoice thank u", "Can I save
            # my work address as a second shipping address?" (English, not Portuguese, for its "a" and "as").
            "a",
            "an",
            "as",
            "am",
            "so",
            "too",
            "only",
            "yet",
            "than",
            "also",
            "hi",
            "hello",
            "hey",
            "dear",
            "thanks",
            "thank",
            "thx",
            "pls",
            "u",
            "help",
            "forgot",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "de",
            "que",
            "y",
            "en",
            "un",
            "una",
            "por",
            "para",
            "con",
            "mi",
            "es",
            "no",
            "se",
            "su",
            "al",
            "lo",
            "como",
            "pero",
            "quiero",
            "gracias",
            "dónde",
            "cuándo",
            "está",
            "hola",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ich",
            "sie",
            "es",
            "zu",
            "mit",
            "auf",
            "für",
            "ein",
            "eine",
            "mein",
            "meine",
            "wie",
            "wann",
            "wo",
            "bitte",
            "danke",
            "hallo",
            "haben",
            "habe",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "est",
            "je",
            "vous",
            "il",
            "elle",
            "de",
            "des",
            "un",
            "une",
            "pour",
            "pas",
            "que",
            "qui",
            "dans",
            "mon",
            "ma",
            "mes",
            "avec",
            "où",
            "quand",
            "bonjour",
            "merci",
            "commande",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "a",
            "os",
            "as",
            "e",
            "é",
            "de",
            "do",
            "da",
            "em",
            "um",
            "uma",
            "para",
            "com",
            "não",
            "meu",
            "minha",
            "obrigado",
            "olá",
            "onde",
            "quando",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "la",
            "gli",
            "le",
            "e",
            "è",
            "di",
            "che",
            "un",
            "una",
            "per",
            "non",
            "mio",
            "mia",
            "con",
            "dove",
            "quando",
            "grazie",
            "ciao",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "is",
            "ik",
            "je",
            "u",
            "van",
            "niet",
            "met",
            "voor",
            "mijn",
            "waar",
            "wanneer",
            "bedankt",
            "hallo",
        ]
    ),
}

MIN_HITS = 3
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOP_WORDS.items():
    for _word in _words:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)


def detect_language(text: str) -> str | None:
    head = text[:4000]
    if head.isascii():  # the letters are [A-Za-z], lower-cased one by one: the same words, read 2× faster
        words = _ASCII_WORD.findall(head.lower())
    else:
        words = [word.lower() for word in _WORD.findall(head)]
    if not words:
        return None
    counts = Counter(words)
    scores = dict.fromkeys(_STOP_WORDS, 0)
    for word in counts.keys() & _LANGUAGES_OF.keys():
        for lang in _LANGUAGES_OF[word]:
            scores[lang] += counts[word]
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_hits), (_, runner_up) = ranked[0], ranked[1]
    if best_hits >= MIN_HITS and best_hits >= 1.5 * runner_up:
        return best
    return None
