"""triage.language.detect_language: the stop-word guess, and its ASCII fast path held to the general reading."""

from __future__ import annotations

import pytest

from conftest import EMAIL_CASES, SHARED_DATA
from triage.language import _LANGUAGES_OF, _STOP_WORDS, _WORD, MIN_HITS, detect_language
from triage.parsing.email import parse_email


def _reference(text: str) -> str | None:
    """The guess as first written: every run of letters, lower-cased on its own, counted word by word."""
    words = [word.lower() for word in _WORD.findall(text[:4000])]
    if not words:
        return None
    scores = dict.fromkeys(_STOP_WORDS, 0)
    for word in words:
        for lang in _LANGUAGES_OF.get(word, ()):
            scores[lang] += 1
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_hits), (_, runner_up) = ranked[0], ranked[1]
    if best_hits >= MIN_HITS and best_hits >= 1.5 * runner_up:
        return best
    return None


AWKWARD = [
    "",
    "1234 5678",
    "The_order and_the 2the the2 THE tHe",  # letters beside digits and underscores still make words
    "İt is the İstanbul order and the rest",  # İ lower-cases to two characters
    "ΟΔΟΣ'A the and is",  # a final sigma depends on what follows
    "x" * 3998 + " the and is the",  # the 4,000-character cut falls inside the sentence
    "the " * 1000 + "und der die das",
    "Ich möchte mit einem Menschen sprechen, nicht mit einem Roboter. Danke für die Hilfe.",
    "¿Dónde está mi pedido? Lo pedí hace dos semanas y no ha llegado.",
    "Bonjour, je n'ai pas reçu ma commande et je voudrais savoir où elle est.",
    "Olá, não recebi o meu pedido, podem ajudar por favor?",
    "Hallo, waar is mijn bestelling? Ik heb het niet ontvangen.",
    "Ciao, dove è il mio ordine? Grazie mille per l'aiuto.",
    "the de la und le",  # no clear winner
]


def _corpus() -> list[str]:
    texts = list(AWKWARD)
    for path in EMAIL_CASES:
        message = parse_email(path.read_bytes())
        texts += [f"{message.subject}\n{message.text}", message.text.upper()]
    for name, column in (("goemotions/original/train.tsv", "\t"), ("banking77/test.csv", ",")):
        path = SHARED_DATA / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()[1:]
            texts += [" ".join(lines[start : start + 5]).split(column)[0] for start in range(0, 4000, 5)]
    return texts


def test_the_guess_is_the_word_by_word_reading_on_every_text() -> None:
    texts = _corpus()
    assert sum(1 for text in texts if not text.isascii()) > 10
    assert len({_reference(text) for text in texts}) >= 5  # None and several languages
    assert [text[:60] for text in texts if detect_language(text) != _reference(text)] == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Hi, where is my order? I have been waiting for it and would like to know when it will arrive.",
            "en",
        ),
        ("Hola, ¿dónde está mi pedido? Lo espero desde hace una semana y no sé nada.", "es"),
        ("Guten Tag, wo ist meine Bestellung? Ich warte seit einer Woche und habe nichts gehört.", "de"),
        ("Bonjour, où est ma commande ? J'attends depuis une semaine et je n'ai pas de nouvelles.", "fr"),
        # "do", "as" and "a" are Portuguese words too: this was read as Portuguese and escalated as unsupported.
        ("do you accept bitcoin or any other cryptocurrency as a payment method?", "en"),
        ("Olá, onde está a minha encomenda? Fiz o pedido há uma semana e não recebi nada.", "pt"),
        # English words of a short mail that no list had: read as no language and escalated, or as Portuguese.
        ("Can I save my work address as a second shipping address? Would appreciate a quick answer.", "en"),
        ("hi pls send the invoice for order 5521 thank u", "en"),
        ("Olá, a encomenda chegou mas a caixa estava aberta. Obrigado", "pt"),
        ("Ich bin am Montag nicht da, bitte schicken Sie das Paket an meine Nachbarin.", "de"),
        ("Ik ben er op maandag niet, kunt u het pakket bij de buren afgeven?", "nl"),
        ("Order 55120", None),  # too few stop words to tell
        ("", None),
    ],
)
def test_the_guess(text: str, language: str | None) -> None:
    assert detect_language(text) == language
