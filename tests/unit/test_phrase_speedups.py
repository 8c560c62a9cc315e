"""triage.cues.compile_skipping: the phrase tables, told which characters a match can start with and compiled for
whole matches, find exactly what the plain ``re.compile`` of the same pattern finds (same matches, spans, named
groups and order) on every text.

The texts: the sample mails, data-set rows, awkward hand-written ones, and for each table an example of every
alternative it has (read off its parse tree), so a set that misses a character some alternative starts with fails.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest

import triage.cues as cues
import triage.entities as entities
import triage.regex_code as regex_code
import triage.topics as topics
import triage.urgency as urgency
from conftest import EMAIL_CASES, PHRASE_TABLES, SHARED_DATA
from triage.cues import Phrases, _compiler, _parser, compile_skipping
from triage.policy import classification_text
from triage.service import read_email
from triage.settings import Settings


@pytest.fixture(autouse=True)
def _compile_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pattern compiled in this process (some tests change the compiler), not read from the code a local
    build saved (``triage.regex_code``)."""
    monkeypatch.setattr(regex_code, "_entries", {})


DATA_SETS = (  # file, rows taken (spread over the file)
    ("bitext_customer_support/bitext_27k_v11_instruction_intent.csv", 2000),
    ("goemotions/original/train.tsv", 3000),
    ("banking77/test.csv", 1000),
)

AWKWARD_TEXTS = [
    "",
    " ",
    "a",
    "\n",
    "!!",
    "?!",
    "WHY IS NOBODY ANSWERING",
    "talk to a human",  # a match from the first character to the last
    "xtalk to a human, human please",  # no match may begin inside a word
    "third time, 3 times, 12 times, \u0663 times and \uff11\uff12 times",  # Arabic-Indic and full-width digits
    "by the 3rd, by 2024-05-03, 2024-05-03, by friday, by the 3 may, deadline: 4 jun, on june 5th",
    "by \u0661\u0662 may, the \u0663rd of march, \u0662\u0660\u0662\u0664-\u0660\u0665-\u0660\u0663",
    "échte menschen, echte menschen, véritable conseiller, à bientôt, déçu, brûlure, außer haus, électrocuté",
    "ſue you, perſon, ıt is urgent, i̇stanbul",  # what lower-casing keeps apart from a caseless match
    "İch möchte mit einem Menschen sprechen".lower(),
    "mañana, la mañana, por mañana, guten morgen, am morgen, heute morgen, morgen",
    "fire tv, firestick, fire, on fire, fire hd, smoke",
    "we're not urgent, not urgent at all, no rush, it's urgent!!, urgent",
    "doesn't make sense, doesn’t make any sense, what’s wrong with you, wasn't what i expected",
    "make $500 a day, earn 1,000 per week, 2.5 million dollars, click here, you have won",
    "apply for the senior support position, dear hiring team, my résumé",
    "out of the office, auto-reply, autoreply, automatic reply, en congés, absente du bureau",
    "charge-back, chargebacks, charge back, rip-off, ripoff, god damn, goddamned, damn",
    "please answer by",
    "deadline: ",
    "\x00\ud800\U0001f600 talk to a human \U0001f600",  # NUL, a lone surrogate, an emoji
    "x" * 300 + " lawyer",
    "ist es dringend? sofort! so schnell wie möglich. d'urgence. dès que possible",
]


TABLES = PHRASE_TABLES
# Every pattern compiled with compile_skipping: the phrase tables' lower-case form, and the cue patterns.
SKIPPING: dict[str, re.Pattern[str]] = {
    **{name: table.lower for name, table in TABLES.items()},
    "triage.cues._EXCLAMATIONS": cues._EXCLAMATIONS,
    "triage.cues._SHOUTED_WORD": cues._SHOUTED_WORD,
}

# Characters of each category the tables use (\d, \s, \w), ASCII and not.
_CATEGORY_EXAMPLES = {
    _parser.CATEGORY_DIGIT: ["7", "\u0663", "\uff11"],
    _parser.CATEGORY_SPACE: [" ", "\n", "\u00a0"],
    _parser.CATEGORY_WORD: ["a", "é", "_", "7"],
}
_CATEGORIES = {
    _parser.CATEGORY_DIGIT: re.compile(r"\d"),
    _parser.CATEGORY_SPACE: re.compile(r"\s"),
    _parser.CATEGORY_WORD: re.compile(r"\w"),
}


def _set_examples(items: Iterable[tuple[Any, Any]]) -> list[str]:
    """A character for each set item: the literal, both ends of a range, a few of a category."""
    found: list[str] = []
    for op, av in items:
        if op is _parser.LITERAL:
            found.append(chr(av))
        elif op is _parser.RANGE:
            found += [chr(av[0]), chr(av[1])]
        else:
            found += _CATEGORY_EXAMPLES[av]
    return found


def _in_set(char: str, items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op is _parser.LITERAL and ord(char) == av:
            return True
        if op is _parser.RANGE and av[0] <= ord(char) <= av[1]:
            return True
        if op is _parser.CATEGORY and _CATEGORIES[av].match(char):
            return True
    return False


def _examples(nodes: Iterable[tuple[Any, Any]]) -> list[str]:
    """Strings that match ``nodes`` (a parse tree; look-arounds and ``\\b`` aside): every alternative and every
    set item turns up in one of them."""
    found = [""]
    for op, av in nodes:
        if op is _parser.LITERAL:
            options = [chr(av)]
        elif op is _parser.IN:
            options = _set_examples(av)
        elif op is _parser.SUBPATTERN:
            options = _examples(av[3])
        elif op is _parser.BRANCH:
            options = [example for branch in av[1] for example in _examples(branch)]
        elif op is _parser.MAX_REPEAT:
            options = [example * max(av[0], 1) for example in _examples(av[2])] + ([""] if av[0] == 0 else [])
        else:
            assert op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT), op
            continue
        # Each option of each node in at least one example (not every combination).
        count = max(len(found), len(options))
        found = [found[i % len(found)] + options[i % len(options)] for i in range(count)]
    return found


def _example_texts(compiled: re.Pattern[str]) -> list[str]:
    examples = _examples(_parser.parse(compiled.pattern, compiled.flags))
    return [text for example in examples for text in (example, f"to {example}.", f"x{example} {example}")]


def _corpus() -> list[str]:
    """The sample mails (as the policy reads them, and raw) and the awkward texts, each also lower-cased as the
    tables' fast path reads it, and data-set rows (lower-cased)."""
    settings = Settings.from_env()
    texts = list(AWKWARD_TEXTS)
    for path in EMAIL_CASES:
        raw = path.read_bytes()
        texts += [classification_text(read_email(raw, settings)), raw.decode("utf-8", errors="replace")]
    texts += [text.lower() for text in texts]
    for name, rows in DATA_SETS:
        path = SHARED_DATA / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").lower().splitlines()[1:]
            texts += lines[:: max(len(lines) // rows, 1)][:rows]
    return texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _corpus()


def _found(pattern: re.Pattern[str], text: str, groups: bool = True) -> list[tuple[Any, ...]]:
    """Each match's span, named groups and (with ``groups``) all groups, and what a search finds in every eighth
    prefix of a short text (urgency searches the text before a date for "by", "until" …)."""
    found: list[tuple[Any, ...]] = [
        (match.span(), match.groupdict(), match.groups() if groups else ())
        for match in pattern.finditer(text)
    ]
    if len(text) <= 500:
        found += [
            (end, m.span() if (m := pattern.search(text, 0, end)) else None) for end in range(0, len(text), 8)
        ]
    return found


def _differences(compiled: re.Pattern[str], texts: list[str]) -> list[int]:
    """Indexes of the texts where ``compiled`` finds something else than the plain compile of its pattern (its
    groups too, unless it was compiled for whole matches without them)."""
    plain = re.compile(compiled.pattern, compiled.flags)
    groups = compiled.groups == plain.groups
    return [
        index
        for index, text in enumerate(texts)
        if _found(compiled, text, groups) != _found(plain, text, groups)
    ]


def test_every_phrase_table_is_checked() -> None:
    # 26 in cues and topics, 11 in urgency, their 6 unions, the order numbers
    assert len(TABLES) == 44
    assert "triage.topics.SENSITIVE[legal]" in TABLES
    assert "triage.urgency._DATE" in TABLES


@pytest.mark.parametrize("name", sorted(SKIPPING))
def test_the_skipping_pattern_finds_what_the_plain_compile_finds(name: str, corpus: list[str]) -> None:
    compiled = SKIPPING[name]
    plain = re.compile(compiled.pattern, compiled.flags)
    # It was given a first-character set (re's Pattern equality compares the compiled code) …
    assert compiled != plain
    assert (compiled.pattern, compiled.flags, compiled.groupindex) == (
        plain.pattern,
        plain.flags,
        plain.groupindex,
    )
    # … a phrase table without named groups keeps none (it is read as whole matches), any other keeps them all …
    whole = name in TABLES and not plain.groupindex
    assert compiled.groups == (0 if whole else plain.groups)
    # … and finds the same in every text, and in examples of every alternative, most of which it matches.
    examples = _example_texts(compiled)
    assert sum(1 for text in examples if plain.search(text)) > 0.5 * len(examples)
    assert _differences(compiled, corpus + examples) == []


def _without(victim: tuple[Any, Any]) -> Callable[[Any], tuple[list[Any], bool]]:
    """``_first_chars`` that leaves ``victim`` out of every set."""
    real = cues._first_chars

    def first_chars(nodes: Any) -> tuple[list[Any], bool]:
        items, empty = real(nodes)
        return [item for item in items if item != victim], empty

    return first_chars


@pytest.mark.parametrize("name", sorted(SKIPPING))
def test_a_set_missing_any_one_character_is_caught(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The check can fail: leave any one item (a letter, a range, the digits) out of the set and the examples
    # (with the awkward texts) find a difference.
    compiled = SKIPPING[name]
    texts = _example_texts(compiled) + AWKWARD_TEXTS
    items, _ = cues._first_chars(_parser.parse(compiled.pattern, compiled.flags))
    for victim in dict.fromkeys(items):
        rest = [item for item in items if item != victim]
        if all(_in_set(char, rest) for char in _set_examples([victim])):
            continue  # another item has its characters ("[3-9]" beside "\d")
        with monkeypatch.context() as patched:
            patched.setattr(cues, "_first_chars", _without(victim))
            recompiled = compile_skipping(compiled.pattern, compiled.flags, whole_matches=name in TABLES)
            assert _differences(recompiled, texts), victim


def test_the_set_reads_digits_as_the_pattern_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # \d in a str pattern is any Unicode decimal digit: the set must be compiled with the pattern's own flags.
    real = cues._first_char_set
    monkeypatch.setattr(cues, "_first_char_set", lambda tree, flags: real(tree, flags & ~re.UNICODE))
    table = TABLES["triage.urgency._MANY_REPEATS"]
    assert _differences(compile_skipping(table.pattern, table.flags), AWKWARD_TEXTS)


@pytest.mark.parametrize(
    "pattern",
    [
        r"where\b",  # re has the literal prefix itself
        r"[abc]x",  # … or the set
        r".x",  # any character can start a match
        r"\b[^\W\d_]{3,}\b",
        r"(a)?\1b",
        r"\b(x)?",  # the empty string matches
        r"(?i:ab)c",  # inline flags
        r"(?i)\bab",  # a caseless pattern: re would check the set against the text as written
    ],
)
def test_patterns_without_a_known_set_compile_as_re_compiles_them(pattern: str) -> None:
    assert compile_skipping(pattern) == re.compile(pattern)
    assert compile_skipping(pattern, re.IGNORECASE) == re.compile(pattern, re.IGNORECASE)


# The order-number pattern as it was, caseless on the text as written.
_CASELESS_ORDER = re.compile(
    r"""
    (?:\b(?:order|pedido|bestellung|commande|ordine|encomenda|invoice|factura|rechnung|facture|ticket|case)
        (?:\s*(?:number|num|no|nr|n°|nº|id|\#|:|-)\.?)*\s*\#?\s*
       (?P<labelled>[A-Z0-9][A-Z0-9-]{3,19}))
    | (?:\#\s?(?P<hashed>[A-Z0-9][A-Z0-9-]{3,19}))
    """,
    re.IGNORECASE | re.VERBOSE,
)
ORDER_TEXTS = [
    "ORDER #AB-12345 and Order No. 55120, invoice: INV-20931, #A-66310",
    "Bestellung Nr. 4711-XY, commande n° 88123, pedido nº 77a1b, ticket-9981",
    "İnvoice 12345 or ORDER ſ1234 and order K1234 (Kelvin sign), ticket #١٢٣٤",
    "#1234567890123456789012345 order 12 #ab #abcd",
]


def test_order_numbers_from_the_lower_case_table_are_the_caseless_patterns(corpus: list[str]) -> None:
    def caseless(text: str) -> tuple[str, ...]:
        found = [m.group("labelled") or m.group("hashed") for m in _CASELESS_ORDER.finditer(text)]
        return entities._unique([number for number in found if any(char.isdigit() for char in number)])

    texts = ORDER_TEXTS + corpus + [text.upper() for text in corpus[:200]]
    assert sum(1 for text in texts if caseless(text)) > 20
    assert [text for text in texts if entities.order_numbers(text) != caseless(text)] == []


def test_a_python_whose_private_re_differs_gets_the_plain_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    class ChangedSre:
        @staticmethod
        def compile(*_args: object) -> None:
            raise TypeError("compile() takes 7 arguments")

    monkeypatch.setattr(regex_code, "_sre", ChangedSre)  # where compile_skipping makes its pattern
    assert compile_skipping(r"\b(real|live)\s+person\b") == re.compile(r"\b(real|live)\s+person\b")


# Patterns the whole-match compile merges, splits or leaves, each against every short text over their letters.
_MERGED_PATTERNS = [
    r"\b(ab|ac|(ad|b)e?)\b",
    r"\b(a|ab)(c|bcd)(d*)",  # the first alternative that lets the rest match wins, not the longest
    r"x?(a|ab)c|xa",
    r"(ab)?a(b|)c?",  # an optional group, an empty alternative
    r"\b(a\s+)?(b|c)\s+(d|e)\b|\bb\b",
    r"(?<!a )b(c|d)|a b",  # a look-behind first: not merged at that level
    "(a|b|c|d)" * 6,  # 4**6 alternatives, too many: left unmerged
    r"\b(ab|\d+x|ac|[a-c]y|ad|b?z|ae|\wq|af)",  # sets, repeats, categories between alternatives with one letter
    r"(?<!a)ab|(?<=c)ac|ad|bc",  # look-behinds first
    r"(ab||ac|b)",  # an empty alternative: nothing moves past it
    r"(ab|\w+|ac)",  # "ac" may not move ahead of "\w+", which matches more of "acx"
    r"(ab|[a-c]+|ac|d)",
    r"\b(ab|[^b]c|ad)",  # a negated set could start with anything
    r"[(]a\(b\)|(c)[^)(](?#(d)e",  # brackets in classes, escaped and in a comment stay as written
]


def _short_texts(letters: str, longest: int = 6) -> list[str]:
    texts = [""]
    for length in range(1, longest + 1):
        texts += ["".join(chars) for chars in itertools.product(letters, repeat=length)]
    return texts


@pytest.mark.parametrize("pattern", _MERGED_PATTERNS)
def test_whole_matches_are_the_plain_compiles_matches(pattern: str) -> None:
    compiled = compile_skipping(pattern, whole_matches=True)
    assert compiled.groups == 0
    assert compiled.pattern == pattern
    digit = {"1"} if "\\d" in pattern or "\\w" in pattern else set()
    letters = "".join(
        sorted({char for char in pattern if char.isalpha() and char.islower()} | {" ", "("} | digit)
    )
    texts = _short_texts(letters[:8], 5 if len(letters) > 6 else 6)
    assert sum(1 for text in texts if re.search(pattern, text)) > 10
    assert _differences(compiled, texts) == []


def _merged_code(pattern: str) -> list[int]:
    """The code re runs for ``pattern`` compiled for whole matches."""
    return _compiler._code(cues._merged(_parser.parse(cues._without_groups(pattern, False))), 0)


def _code(pattern: str) -> list[int]:
    return _compiler._code(_parser.parse(pattern), 0)


def test_whole_matches_merge_alternatives_by_first_letter() -> None:
    # re enters no alternative whose first letter is not the text's: abx|acy|ady is a(?:bx|cy|dy), and what
    # follows the alternatives goes into each …
    assert _merged_code(r"\b(abx|acy|ady|bz)\b") == _code(r"\b(?:a(?:bx\b|cy\b|dy\b)|bz\b)")
    assert _merged_code(r"\b(abx|acy|ady|bz)\b") != _code(r"\b(?:abx|acy|ady|bz)\b")
    # … (x|y)z is xz|yz, and a greedy optional part is tried first
    assert _merged_code(r"(ab|cd)e") == _code(r"abe|cde")
    assert _merged_code(r"(ab)?cd") == _code(r"abcd|cd")
    # … unless that makes more than _MAX_ALTERNATIVES alternatives: then only its groups go
    assert _merged_code("(a|b|c|d)" * 6) == _code("(?:a|b|c|d)" * 6)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_phrase_table_is_merged_by_first_letter(name: str) -> None:
    """No table, union included, outgrows the merge budget: a union that did fell back to trying its alternatives at
    every position, 15 times slower (the guards' union after a round of new phrases, 0.016 → 0.24 ms a mail)."""
    table = TABLES[name]
    tree = _parser.parse(cues._without_groups(table.pattern, bool(table.flags & re.VERBOSE)), table.flags)
    sequence = tree.data
    start = next((i for i, (op, _) in enumerate(sequence) if op is not _parser.AT), len(sequence))
    budget = [cues._MAX_ALTERNATIVES]
    cues._by_first_letter(tree.state, cues._alternatives(sequence[start:], budget), budget)  # raises _TooMany


def test_whole_matches_keep_named_groups() -> None:
    pattern = r"\b(?P<day>\d\d?)(st|th)?\s+(may|june)"
    compiled = compile_skipping(pattern, whole_matches=True)
    assert compiled.groups == re.compile(pattern).groups
    assert compiled.groupindex == {"day": 1}
    assert compiled.search("by 3rd or 4th june").groupdict() == {"day": "4"}


def test_only_plain_groups_lose_their_capture() -> None:
    verbose = "(a)[(](?:b)(?P<n>c)\\(d[]()] # (e) in a comment\n(f)[^(]"
    assert (
        cues._without_groups(verbose, True) == "(?:a)[(](?:b)(?P<n>c)\\(d[]()] # (e) in a comment\n(?:f)[^(]"
    )
    assert cues._without_groups("#(a)", False) == "#(?:a)"  # not a comment without re.VERBOSE


@pytest.mark.parametrize(
    ("union", "tables"),
    [
        (topics._ANY_SENSITIVE, topics.SENSITIVE),
        (topics._ANY_OUT_OF_SCOPE, topics.OUT_OF_SCOPE),
        (urgency._ANY_URGENT, dict(enumerate(urgency._URGENT))),
        (
            topics._ANY_GUARD,
            {"human": cues.HUMAN_REQUEST, "spam": topics._SPAM, **topics.SENSITIVE, **topics.OUT_OF_SCOPE},
        ),
    ],
)
def test_a_union_finds_nothing_exactly_where_its_tables_find_nothing(
    union: Phrases, tables: dict[Any, Phrases], corpus: list[str]
) -> None:
    examples = [text for table in tables.values() for text in _example_texts(table.lower)]
    texts = corpus + examples + [text.upper() for text in examples]  # the caseless path too
    quiet = [union.search(text, cues.exact_lower(text)) is None for text in texts]
    assert quiet.count(False) > len(examples)  # it matches every example, and some corpus texts
    found_none = [
        all(next(table.finditer(text, cues.exact_lower(text)), None) is None for table in tables.values())
        for text in texts
    ]
    assert quiet == found_none


def test_a_union_needs_tables_with_the_same_flags() -> None:
    with pytest.raises(ValueError, match="same flags"):
        Phrases.union([Phrases("a"), Phrases("b", re.VERBOSE)])
