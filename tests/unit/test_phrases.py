"""Phrase tables (triage.cues.Phrases): the lower-cased fast path finds what a caseless search finds."""

from __future__ import annotations

import re
import re._parser as _parser
from collections.abc import Iterator
from typing import Any

import pytest

import triage.cues as cues
import triage.topics as topics
from conftest import PHRASE_TABLES
from triage.cues import Phrases, asks_for_human, negative_cues
from triage.topics import out_of_office, out_of_scope, sensitive_topics, spam

TEXTS = [
    "I want to SPEAK TO A HUMAN. My Lawyer says this is UNACCEPTABLE!!",
    "The heater CAUGHT FIRE. We are Out Of The Office until Monday.",
    "You have WON the Lottery, Claim Your Prize, click here",
    "I am Applying For The Position of support agent; Book A Quick Call?",
    "İch möchte mit einem Menschen sprechen, ſue you, \u212aLAGE",  # where lower() and IGNORECASE differ
    "My father PASSED AWAY; please delete my data under GDPR",
]


def _readings(text: str) -> tuple[object, ...]:
    return (
        asks_for_human(text),
        negative_cues(text),
        sensitive_topics(text),
        out_of_office("Re: hello", text),
        out_of_scope(text),
        spam(text),
    )


@pytest.mark.parametrize("text", TEXTS)
def test_the_lower_case_fast_path_finds_what_the_caseless_search_finds(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every reading with the fast path, when it is forced off everywhere, then nothing changes.
    fast = _readings(text)
    cues._negative_cues.cache_clear()
    monkeypatch.setattr(cues, "exact_lower", lambda _text: None)
    monkeypatch.setattr(topics, "exact_lower", lambda _text: None)
    assert _readings(text) == fast
    cues._negative_cues.cache_clear()


def test_a_text_that_lower_casing_would_change_takes_the_caseless_path() -> None:
    # The long s matches "s" only under re.IGNORECASE: the fast path must not be used, and the phrase is found.
    assert sensitive_topics("I will ſue you") == ["legal:ſue you"]
    assert asks_for_human("Let me talk to a perſon") == ["talk to a perſon"]


def test_phrases_are_written_in_lower_case() -> None:
    with pytest.raises(ValueError, match="upper-case"):
        Phrases(r"\bRefund\b")
    # Escapes, group names and (in verbose patterns) comments may hold capitals.
    Phrases(r"(?P<Day>\d+)\s+\S+  # Day, then a Word", re.VERBOSE)


def test_the_caseless_pattern_is_compiled_only_when_a_text_needs_it() -> None:
    phrases = Phrases(r"\bwhere\s+is\s+my\s+order\b")
    assert phrases.found("WHERE IS MY ORDER?", cues.exact_lower("WHERE IS MY ORDER?")) == [
        "where is my order"
    ]
    assert "caseless" not in vars(phrases)
    assert phrases.found("WHERE IS MY ORDER?", None) == ["where is my order"]
    assert "caseless" in vars(phrases)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHY IS MY ORDER LATE", ["SHOUTING"]),  # every word shouted
        (  # three shouted words among many calm ones: the words are the cues
            "The parcel with my order is late again, and it seems that NOBODY EVER ANSWERS the mail I send here",
            ["NOBODY", "EVER", "ANSWERS"],
        ),
        ("Please send the PDF and the FAQ by UPS to the USA", []),  # acronyms are not shouting
        ("My order is LATE, very LATE", []),  # two shouted words are emphasis, not shouting
    ],
)
def test_shouting_needs_three_shouted_words_and_a_quarter_of_the_text(text: str, expected: list[str]) -> None:
    cues._negative_cues.cache_clear()
    assert [cue for cue in negative_cues(text) if cue.isupper()] == expected


def test_forget_texts_drops_the_cached_cues() -> None:
    text = "This is RIDICULOUS, I am fed up!!"
    first = cues.negative_cues(text)
    assert cues._negative_cues.cache_info().currsize >= 1
    cues.forget_texts()
    assert cues._negative_cues.cache_info().currsize == 0
    assert cues.negative_cues(text) == first


@pytest.mark.parametrize(
    "text",
    [
        "This will be the last order I ever place with you. Where is order 90876?",
        "I am honestly gutted. I wanted to pay with PayPal and it isn't offered any more.",
        "Thanks so much for all your 'help' so far. I'd still like the invoice for order 67001.",
        "Thanks for your “support”, I suppose.",
        "Lovely, it has said 'in transit' for 12 days now. Really love that for me.",
        "Third time asking. How do I reset my password?",
        "You have lost a loyal customer.",
        "I will take my business elsewhere.",
        "Your so-called customer service never answers.",
    ],
)
def test_clear_dissatisfaction_is_a_negative_cue(text: str) -> None:
    assert negative_cues(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Where is the 'Help' section of your app?",
        "I clicked your 'help' page link but it is empty.",
        "Is this the last order I can place before Christmas?",
        "Can I order it in gunmetal grey?",
    ],
)
def test_routine_questions_are_not_negative_cues(text: str) -> None:
    assert not negative_cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I'm terrible with technology, how do I reset my password?",
        "The weather here has been awful, do you have a delivery option where the courier leaves it in a safe place?",
        "We have had awful weather, can the courier leave it in the shed?",
        "Your coffee is damn good! How long does delivery to Cork take?",
    ],
)
def test_figures_of_speech_are_not_negative_cues(text: str) -> None:
    assert not negative_cues(text)


@pytest.mark.parametrize(
    "text",
    ["Your service is terrible.", "You are terrible at communicating.", "Damn, where is my order?", "Awful."],
)
def test_plain_anger_is_still_a_negative_cue(text: str) -> None:
    assert negative_cues(text)


# ---------------------------------------------------------------------------------------------------------------
# Every alternative can match: a phrase held between word boundaries ("\b(...)\b") must begin and end with a word
# character. "is this real?" under a closing \b matches only where a letter follows the "?" (never in "Is this
# real? I ..."), so that alternative was dead for years without any test noticing.
# ---------------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w")
_CATEGORY_SAMPLE = {_parser.CATEGORY_WORD: "a", _parser.CATEGORY_DIGIT: "7", _parser.CATEGORY_SPACE: " "}


def _reversed(items: list[tuple[Any, Any]]) -> _parser.SubPattern:
    """``items`` read from the end: the same nodes, every sequence in it reversed, so that the characters a match
    can end with are those ``cues._first_chars`` finds it can begin with."""
    state = _parser.State()
    turned: list[tuple[Any, Any]] = []
    for op, av in reversed(items):
        if op == _parser.SUBPATTERN:
            av = (*av[:-1], _reversed(list(av[-1])))
        elif op == _parser.BRANCH:
            av = (av[0], [_reversed(list(branch)) for branch in av[1]])
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            av = (av[0], av[1], _reversed(list(av[2])))
        turned.append((op, av))
    return _parser.SubPattern(state, turned)


def _edge(items: list[tuple[Any, Any]], last: bool) -> set[str]:
    """Characters a match of ``items`` can begin with (``last``: end with), one sample per set item, as the phrase
    compiler reads them (``cues._first_chars``). Empty where it cannot tell (a negated set, any character)."""
    try:
        found, _ = cues._first_chars(_reversed(items) if last else _parser.SubPattern(_parser.State(), items))
    except cues._Unknown:
        return set()
    chars: set[str] = set()
    for kind, value in found:
        if kind == _parser.LITERAL:
            chars.add(chr(value))
        elif kind == _parser.RANGE:
            chars.update(map(chr, value))  # both ends
        else:
            chars.add(_CATEGORY_SAMPLE.get(value, "a"))
    return chars


def _bounded_alternatives(
    items: list[tuple[Any, Any]], before: bool = False, after: bool = False
) -> Iterator[str]:
    """A description of each alternative of ``items`` that sits after a \\b (``before``) or before one (``after``)
    and begins or ends with a character that is not a word character there."""
    if len(items) == 1 and items[0][0] == _parser.SUBPATTERN:
        items = list(items[0][1][-1])
    if len(items) == 1 and items[0][0] == _parser.BRANCH:
        for branch in items[0][1][1]:
            yield from _bounded_alternatives(list(branch), before, after)
        return
    bounds = (_parser.AT, _parser.AT_BOUNDARY)
    if len(items) > 1 and items[0] == bounds:
        yield from _bounded_alternatives(items[1:], True, after)
        return
    if len(items) > 1 and items[-1] == bounds:
        yield from _bounded_alternatives(items[:-1], before, True)
        return
    for edge, last in ((before, False), (after, True)):
        odd = sorted(char for char in _edge(items, last) if not _WORD.match(char)) if edge else []
        if odd:
            yield f"{'ends' if last else 'begins'} with {''.join(odd)!r}: {_sample(items)!r}"


def _sample(items: list[tuple[Any, Any]]) -> str:
    """A short text the alternative ``items`` reads: its first branch, each repeat once."""
    text = []
    for op, av in items:
        if op == _parser.LITERAL:
            text.append(chr(av))
        elif op == _parser.IN:
            kind, value = av[0]
            text.append(
                chr(value[0] if kind == _parser.RANGE else value)
                if kind in (_parser.LITERAL, _parser.RANGE)
                else _CATEGORY_SAMPLE.get(value, "a")
            )
        elif op == _parser.SUBPATTERN:
            text.append(_sample(list(av[-1])))
        elif op == _parser.BRANCH:
            text.append(_sample(list(av[1][0])))
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            text.append(_sample(list(av[2])) if av[0] else "")
    return "".join(text)


@pytest.mark.parametrize("name", sorted(PHRASE_TABLES))
def test_every_alternative_between_word_boundaries_can_match(name: str) -> None:
    table = PHRASE_TABLES[name]
    assert list(_bounded_alternatives(list(_parser.parse(table.pattern, table.flags)))) == []


@pytest.mark.parametrize(
    ("pattern", "dead"),
    [
        (r"\b(is\s+this\s+real\s*[?!.]|scam)\b", ["ends with '!.?': 'is this real?'"]),
        (r"\b(mum\s*\(\s*[89]\d\s*\))\b", ["ends with ')': 'mum(87)'"]),
        (r"\b(\(case|case)\b", ["begins with '(': '(case'"]),
        (r"\b(is\s+this\s+real(?=\s*[?!.])|scam)\b", []),
        (r"\b(passed(\s+away|(?!\s*\w)))\b", []),
        (r"\bhuman\b|\bwhich\?", []),  # a trailing "?" with no \b after it can match
    ],
)
def test_an_alternative_that_cannot_match_is_named(pattern: str, dead: list[str]) -> None:
    assert list(_bounded_alternatives(list(_parser.parse(pattern)))) == dead


@pytest.mark.parametrize("name", sorted(PHRASE_TABLES))
def test_no_repeat_count_became_an_f_string_field(name: str) -> None:
    # In a table written as an f-string (rf"""…{_RELATIVE}…"""), "{0,3}" is a Python tuple: the pattern holds
    # "(0, 3)", a group that matches those characters, and the repeat is gone. Such a table writes "{{0,3}}".
    assert not re.search(r"\(\d+,\s*\d*\)", PHRASE_TABLES[name].pattern)
