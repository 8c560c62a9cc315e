"""Phrases that decide on their own: a request for a person, and language that shows anger or distress.

These are deliberately explicit tables (English, Spanish, German, French): a customer who asks for a person gets
one even when the model reads the message as something else, and visible anger never gets a robot's answer.
"""

from __future__ import annotations

import re
import re._compiler as _compiler
import re._parser as _parser
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, lru_cache
from typing import Any, ClassVar

from triage import regex_code

# Characters that re.IGNORECASE matches to a Latin letter although str.lower() keeps them apart (Python's sre
# equivalences: dotless i, long s and the ligatures below); a text holding one takes the slow, caseless path.
_CASE_TRAPS = regex_code.compile("[\u0131\u017f\u1e9b\ufb05\ufb06]")


def exact_lower(text: str) -> str | None:
    """``text.lower()`` when searching it case-sensitively with an all-lower-case pattern finds exactly what the
    caseless pattern finds in ``text`` (same positions), else None.

    re.IGNORECASE compares characters by their simple lower-case mapping, which is what str.lower() does except
    for the few length-changing mappings (Turkish dotted İ) and the equivalences in ``_CASE_TRAPS``. Case-sensitive
    matching is 2–4× faster than caseless matching in Python's re.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or (not text.isascii() and _CASE_TRAPS.search(text)):
        return None
    return lowered


_ESCAPE_OR_GROUP_NAME = regex_code.compile(r"\\.|\(\?P<\w+>")
_COMMENT = regex_code.compile(r"#[^\n]*")


def _checked_lower(pattern: str, flags: int) -> str:
    """``pattern`` if its letters are lower case (outside escapes, group names and comments), else ValueError: an
    upper-case letter could never match lower-cased text."""
    source = _ESCAPE_OR_GROUP_NAME.sub("", pattern)
    if flags & re.VERBOSE:
        source = _COMMENT.sub("", source)
    if source != source.lower():
        raise ValueError(f"pattern has upper-case letters: {pattern[:60]!r}")
    return pattern


def distinct_phrases(matches: Iterable[re.Match[str]]) -> list[str]:
    """The distinct phrases matched, in order, lower-cased, their white space folded."""
    return list(dict.fromkeys(" ".join(match.group(0).lower().split()) for match in matches))


# Parse-tree nodes that match no character: skipped when looking for the first character of a match.
_ZERO_WIDTH = (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT)
_REPEATS = (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT)


class _Unknown(Exception):
    """A node whose first character ``_first_chars`` does not work out (``.``, ``[^…]``, a back-reference …)."""


def _first_chars(pattern: Any) -> tuple[list[tuple[Any, Any]], bool]:
    """The set items (literals, ranges, categories) covering every character a match of ``pattern`` (a parse tree,
    ``re._parser.SubPattern``) can start with, and whether it can match the empty string. Raises _Unknown for a node
    it cannot read."""
    items: list[tuple[Any, Any]] = []
    for op, av in pattern.data:
        if op in _ZERO_WIDTH:
            continue
        if op is _parser.LITERAL:
            return [*items, (op, av)], False
        if op is _parser.IN and all(item_op is not _parser.NEGATE for item_op, _ in av):
            return [*items, *av], False
        if op is _parser.SUBPATTERN and not av[1] and not av[2]:  # a group without inline flags
            found, empty = _first_chars(av[3])
        elif op is _parser.ATOMIC_GROUP:
            found, empty = _first_chars(av)
        elif op is _parser.BRANCH:
            found, empty = [], False
            for branch in av[1]:
                part, part_empty = _first_chars(branch)
                found += part
                empty = empty or part_empty
        elif op in _REPEATS:
            found, empty = _first_chars(av[2])
            empty = empty or av[0] == 0
        else:
            raise _Unknown(op)
        items += found
        if not empty:
            return items, False
    return items, True


def _first_char_set(tree: Any, flags: int) -> list[Any]:
    """The characters a match of ``tree`` can start with, as compiled set code; empty when that is unknown or a
    match can be empty."""
    try:
        items, empty = _first_chars(tree)
    except _Unknown:
        return []
    charset: list[Any] = []
    if not empty:
        _compiler._compile_charset(_compiler._optimize_charset(items)[0], flags, charset)
    return charset


# A pattern is merged by first letters only while that makes at most this many alternatives in all. The guards'
# union (topics._ANY_GUARD) has ~8,400 since the phrases from held-out rounds 20 and 21 (~7,000 after round 19,
# ~5,340 after rounds 8 to 11); unmerged, its search costs 13 times more (0.33 ms instead of 0.026 ms on a routine
# mail). Merged, it compiles in ~0.14 s (the build's work: the worker reads the saved code, ``triage.regex_code``) to
# ~1.1 MB. test_phrase_speedups holds every table within it.
_MAX_ALTERNATIVES = 10000


class _TooMany(Exception):
    """Merging would make more than ``_MAX_ALTERNATIVES`` alternatives."""


# What a plain group's "(" can hide in: an escape, a character class ("[^" and a "]" right after the opening are part
# of it), a comment (verbose patterns only). Matched, these stay as written; a "(" not followed by "?" becomes "(?:".
_KEPT = r"\\[\s\S]|\[\^?\]?(?:\\[\s\S]|[^\]\\])*\]"
_PLAIN_GROUP = (
    regex_code.compile(rf"({_KEPT})|\((?!\?)"),
    regex_code.compile(rf"({_KEPT}|#[^\n]*)|\((?!\?)"),
)


def _without_groups(pattern: str, verbose: bool) -> str:
    """``pattern`` with every plain group ``(`` made non-capturing ``(?:``; escapes, character classes, comments
    and every ``(?…`` construct (named groups included) are left as written."""
    return _PLAIN_GROUP[verbose].sub(lambda match: match.group(1) or "(?:", pattern)


def _alternatives(sequence: list[Any], budget: list[int]) -> list[list[Any]]:
    """``sequence`` (parse-tree nodes) as the alternatives it tries, in the order it tries them, none starting with a
    branch: ``(a|b)c`` is ``ac|bc``, ``x?y`` is ``xy|y`` (greedy, and only where ``x`` cannot match empty). Each
    alternative is taken from ``budget[0]``; raises _TooMany when that runs out."""
    if sequence:
        op, av = sequence[0]
        if op is _parser.BRANCH:
            rest = sequence[1:]
            return [found for branch in av[1] for found in _alternatives([*branch.data, *rest], budget)]
        if op is _parser.SUBPATTERN and av[0] is None and not av[1] and not av[2]:  # (?:…) without flags
            return _alternatives([*av[3].data, *sequence[1:]], budget)
        if op is _parser.MAX_REPEAT and av[:2] == (0, 1) and av[2].getwidth()[0] > 0:
            return _alternatives([*av[2].data, *sequence[1:]], budget) + _alternatives(sequence[1:], budget)
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooMany
    return [sequence]


def _any_character(_char: str) -> bool:
    return True


# What \d, \s and \w match in a str pattern (a superset of their re.ASCII forms); any other category: anything.
_CATEGORY_TESTS: dict[Any, Callable[[str], bool]] = {
    _parser.CATEGORY_DIGIT: str.isdecimal,
    _parser.CATEGORY_SPACE: str.isspace,
    _parser.CATEGORY_WORD: lambda char: char.isalnum() or char == "_",
}


def _may_start_with(alternative: list[Any], char: int) -> bool:
    """Whether a match of ``alternative`` (parse-tree nodes) could start with the character ``char``; True where
    that is not known (a negated set, an alternative that can match empty …)."""
    try:
        items, empty = _first_chars(_parser.SubPattern(None, alternative))
    except _Unknown:
        return True
    if empty:
        return True
    for op, av in items:
        if op is _parser.LITERAL:
            found = av == char
        elif op is _parser.RANGE:
            found = av[0] <= char <= av[1]
        elif op is _parser.CATEGORY:
            found = _CATEGORY_TESTS.get(av, _any_character)(chr(char))
        else:
            found = True
        if found:
            return True
    return False


def _by_first_letter(state: Any, alternatives: list[list[Any]], budget: list[int]) -> list[Any]:
    """One sequence trying ``alternatives`` as written, with those that start with the same literal merged:
    ``ab|ac|d`` becomes ``a(?:b|c)|d``.

    At any position only the alternatives that can start with that position's character can match, so an
    alternative may move ahead of any that cannot start with its first character: the ones that can match are
    still tried in their order. An alternative starting with the literal ``c`` joins the latest group for ``c``
    unless an alternative in between (a set, a repeat, a look-behind …) could also start with ``c``. re then
    rejects a whole group with one comparison, where it entered every alternative that started with a group or a
    branch.
    """
    if len(alternatives) == 1:
        return alternatives[0]
    # In order: (first literal, the rests of the alternatives starting with it), or (None, [an alternative as is]).
    slots: list[tuple[int | None, list[list[Any]]]] = []
    latest: dict[int, int] = {}  # a first literal's latest group, by slot index
    for alternative in alternatives:
        if not alternative or alternative[0][0] is not _parser.LITERAL:
            slots.append((None, [alternative]))
            continue
        char = alternative[0][1]
        group = latest.get(char)
        if group is None or any(
            first is None and _may_start_with(kept[0], char) for first, kept in slots[group + 1 :]
        ):
            latest[char] = group = len(slots)
            slots.append((char, []))
        slots[group][1].append(alternative[1:])
    merged = [
        kept[0]
        if first is None
        else [(_parser.LITERAL, first), *_by_first_letter(state, _each_alternative(kept, budget), budget)]
        for first, kept in slots
    ]
    if len(merged) == 1:
        return merged[0]
    return [(_parser.BRANCH, (None, [_parser.SubPattern(state, alternative) for alternative in merged]))]


def _each_alternative(sequences: list[list[Any]], budget: list[int]) -> list[list[Any]]:
    return [alternative for sequence in sequences for alternative in _alternatives(sequence, budget)]


def _merged(tree: Any) -> Any:
    """``tree`` (a pattern without groups) with its alternatives merged by first letters after any leading
    ``\\b``; as it is when that would make too many alternatives."""
    sequence = tree.data
    start = 0
    while start < len(sequence) and sequence[start][0] is _parser.AT:
        start += 1
    budget = [_MAX_ALTERNATIVES]
    try:
        merged = _by_first_letter(tree.state, _alternatives(sequence[start:], budget), budget)
    except _TooMany:
        return tree
    return _parser.SubPattern(tree.state, [*sequence[:start], *merged])


def compile_skipping(pattern: str, flags: int = 0, *, whole_matches: bool = False) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, told which characters a match can start with, so that a search skips in C
    to the next such character instead of trying every alternative at every word start.

    Python's re finds that set itself only when a pattern starts with a literal or a character class; ``\\b(`` in
    front of a phrase table hides it, and a search then costs about twice as much. This is re's own compile
    (``re._compiler.compile``: one parse, one code generation) with the set that ``_first_chars`` reads off the
    parse tree put in the info block, where re puts the set it finds itself. It only narrows where a match is tried,
    so the matches are the same, and the pattern has the same ``pattern``, ``flags`` and groups. Case-sensitive
    patterns only: re checks the set against the text as written. A caseless pattern, one whose first character is
    not known (``.``, ``[^…]``), or a Python whose private re modules differ get what ``re.compile`` makes.

    ``whole_matches``: the caller reads only whole matches (span and text). A pattern without named groups is then
    compiled without its groups, and its alternatives merged by first letters (``_by_first_letter``): the same
    matches, a third to two thirds quicker for a phrase table. A pattern with named groups keeps them all.
    """
    flags = int(flags)  # as re.compile does: a RegexFlag would make every flag test in the compiler slow
    key = (pattern, flags, "whole" if whole_matches else "skipping")
    if (saved := regex_code.compiled(key)) is not None:  # the code the build saved for this interpreter
        return saved
    try:
        tree = None
        if whole_matches:
            tree = _parser.parse(_without_groups(pattern, bool(flags & re.VERBOSE)), flags)
            tree = _merged(tree) if tree.state.groups == 1 else None  # named groups: compiled as written
        tree = tree or _parser.parse(pattern, flags)
        flags |= tree.state.flags  # and the pattern's own, such as a leading (?i)
        code = _compiler._code(tree, flags)
        # An info block without a literal prefix or a set of re's own reads: INFO, skip, 0, min width, max width.
        caseless = flags & (re.IGNORECASE | re.LOCALE)
        if not caseless and code[:3] == [_parser.INFO, 4, 0] and (charset := _first_char_set(tree, flags)):
            code[:3] = [_parser.INFO, 4 + len(charset), _parser.SRE_INFO_CHARSET]
            code[5:5] = charset
        return regex_code.from_code(key, flags, tree, code)
    except Exception:  # re's private modules changed (another Python): the plain compile is always right
        return re.compile(pattern, flags)


class Phrases:
    """A phrase table: a regular expression written in lower case that matches regardless of case.

    It is searched case-sensitively in lower-cased text wherever that finds exactly the same (``exact_lower``), which
    is 2–4× faster than re.IGNORECASE, and ``compile_skipping`` halves that again. The caseless compile is paid on
    first need (only the rare text where lower-casing is not exact needs it), and so is a ``lazy`` table's
    lower-case one: a table behind a ``union`` serves only the texts that the union matches.

    Callers read whole matches (a phrase, its span) and named groups: the lower-case form of a table without named
    groups keeps no groups (``compile_skipping``'s ``whole_matches``).
    """

    _made: ClassVar[
        list[Phrases]
    ] = []  # every table, kept only while the build records them (``regex_code``)

    def __init__(self, pattern: str, flags: int = 0, *, lazy: bool = False) -> None:
        self.pattern, self.flags = _checked_lower(pattern, flags), flags & ~re.IGNORECASE
        if regex_code.recording():
            Phrases._made.append(self)
        if not lazy:  # compiled with the module (a Lambda's init), not by the first message
            _ = self.lower

    @classmethod
    def union(cls, tables: Iterable[Phrases], *, lazy: bool = False) -> Phrases:
        """One table that matches wherever any of ``tables`` (same flags) matches: where it finds nothing, none of
        them does. One search of it (its alternatives merged by first letter) answers for all of them on the many
        texts that hold none of their phrases."""
        tables = list(tables)
        flags = {table.flags for table in tables}
        if len(flags) != 1:
            raise ValueError("a union needs tables with the same flags")
        end = "\n" if tables[0].flags & re.VERBOSE else ""  # a verbose table may end in a comment
        return cls("|".join(f"(?:{table.pattern}{end})" for table in tables), flags.pop(), lazy=lazy)

    @classmethod
    def made(cls) -> list[Phrases]:
        """The tables made while the build recorded (``regex_code.record_package``)."""
        return list(cls._made)

    @cached_property
    def lower(self) -> re.Pattern[str]:
        return compile_skipping(self.pattern, self.flags, whole_matches=True)

    @cached_property
    def caseless(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags | re.IGNORECASE)

    def compiled(self, lower: bool) -> re.Pattern[str]:
        """The form to search: ``lower`` for text that ``exact_lower`` lower-cased, else the caseless one."""
        return self.lower if lower else self.caseless

    def finditer(self, text: str, lowered: str | None) -> Iterator[re.Match[str]]:
        """Matches in ``lowered`` (``exact_lower(text)``) when there is one, else caseless matches in ``text``."""
        return self.compiled(lowered is not None).finditer(text if lowered is None else lowered)

    def search(self, text: str, lowered: str | None) -> re.Match[str] | None:
        """The first match, as ``finditer`` reads (None when there is none)."""
        return self.compiled(lowered is not None).search(text if lowered is None else lowered)

    def found(self, text: str, lowered: str | None) -> list[str]:
        return distinct_phrases(self.finditer(text, lowered))


HUMAN_REQUEST = Phrases(
    r"""
    \b(real|actual|live)\s+(person|human|agent|people)\b
    | \bhuman\s+(being|agent|support|staff|employee|worker|operator|assistant)\b
    | \b(speak|talk|chat)\s+(to|with)\s+(a|an|some|your|one\s+of\s+your)?\s*(human|person|agent|representative|rep|operator
        |manager|supervisor|someone|somebody|staff|customer\s+(service|support|care)|member\s+of\s+(staff|your\s+team))\b
    | \b(connect|transfer|put)\s+me\s+(with|to|through\s+to)\s+(a|an|some|your)?\s*(real\s+|live\s+)?(human|person|agent
        |representative|someone|somebody|operator)\b
    | \bis\s+there\s+(a|an)\s+(real\s+)?(human|person)\b
    | \b(let\s+|can\s+|could\s+|would\s+)?(a|an)\s+(real\s+|actual\s+)?(human|person)\s+(help|look|reply|answer|check|read|call|contact)\b
    | \b(have|get|let)\s+(a|an)\s+(real\s+)?(human|person|agent)\s+(to\s+)?(help|look|reply|answer|check|read|call|contact)\b
    | \b(have|get)\s+some(one|body)\s+(to\s+)?(call|contact|phone|ring)\s+me\b
    | \b(some(one|body)|a\s+member\s+of\s+(your\s+)?(staff|team))\s+(from\s+\w+(\s+\w+)?\s+)?(please\s+)?(call|contact|phone|ring)\s+me\b
    | \b(call|ring|phone)\s+me(\s+back)?\s+(on|at|please|today|tomorrow|asap)\b | \bgive\s+me\s+a\s+(call|ring)\b
    | \bescalate\s+(this|it|my\s+(case|issue|ticket|complaint|request))\b
    | \bescalate\s+(the\s+matter\s+)?to\s+(your|a|the)\s+(account\s+manager|manager|supervisor|management)\b | \bpass\s+(this|it)\s+(on\s+)?to\s+(one\s+of\s+your|a|your)\b
    | \bnot\s+(a|another|your)\s+(bot|robot|machine|automated)\b
    | \b(stop|no\s+more)\s+(the\s+)?(bots?|automated\s+(replies|answers|messages))\b
    | \b(want|need|get\s+me|give\s+me)\s+(a|an)\s+(human|person|real\s+person|agent|representative)\b
    | \b(a\s+)?human,?\s+please\b
    # A call back, a named person to write back, a reader at all
    | \b(could|can|would|will)\s+(you|someone|somebody|one\s+of\s+you|your\s+team)\s+(please\s+)?(call|ring|phone)\s+me\b
    | \bplease\s+(call|ring|phone)\s+me\b | \b(call|ring|phone)\s+me\s+back\b | \b(call|ring|phone)\s+me(?![\w\s]|\s+\w)
    | \b(a|an)\s+call[\s-]?back\b | \bcall[\s-]?back\s+(please|request)\b
    | \b(have|get|arrange|book|schedule|request)\s+a\s+(phone\s+)?call\s+(about|regarding|to\s+discuss|from\s+(you|someone|somebody))\b
    | \bwho\s+(can|could|should|do|may|might)\s+(i|we)\s+(speak|talk|discuss|negotiate|arrange|agree)\s+([\w'’]+\s+){0,3}(to|with)\b
    | \bwho\s+(i|we)\s+(can|could|should|may)\s+(speak|talk)\s+(to|with)\b
    # Someone senior to take the case: "if a team lead could look into my case personally"
    | \b(team\s+lead(er)?|supervisor|manager|someone\s+senior|senior\s+(member\s+of\s+staff|colleague))\s+(could|can|would|will|to|should
        |might)\s+(please\s+|personally\s+)?(look|check|review|deal|handle|call|contact|reply|get\s+back|take\s+over|investigate)\b
    | \blook(s|ing)?\s+into\s+(my|this|the)\s+(case|matter|issue|complaint)\s+personally\b
    | \b(this|it)\s+(be\s+)?passed\s+(on\s+)?to\s+(a|an|your|the|one\s+of\s+your)\s+(manager|supervisor|person|human|colleague
        |team\s+lead(er)?|senior)\b
    | \bnot\s+(be\s+)?(answered|handled|dealt\s+with|replied\s+to)\s+(from|by|with)\s+(a|an)\s+(template|bot|robot|machine|script)\b
    # Help by telephone: "could someone walk me through it over the phone", "can we sort this out on the phone"
    | \b(help|talk|walk|guide|take)\s+(me|us)\s+([\w'’]+\s+){0,5}(over|on|by)\s+the\s+(tele)?phone\b
    | \b(do|sort|settle|go\s+through|discuss)\s+(it|this|that)\s+(out\s+)?(together\s+)?(over|on|by)\s+the\s+(tele)?phone\b
    | \b(manager|supervisor|colleague|team\s+leader|someone\s+senior|senior\s+member\s+of\s+staff)\s+to\s+(contact|e-?mail|call|ring
        |phone|get\s+in\s+touch\s+with|reply\s+to|write\s+to)\s+me\b
    | \b(is|are)\s+(there\s+)?(any(one|body)|some(one|body))\s+(actually\s+|even\s+|still\s+|ever\s+)?(reading|listening)\b
    | \b(does|do)\s+(any(one|body)|some(one|body))\s+(actually\s+|even\s+|ever\s+)?read\s+(these|this|my|the)\b
    | \b(is\s+)?(any(one|body)|some(one|body))\s+(out\s+)?there(?![\w\s]|\s+\w)
    | \b(is|are)\s+(there\s+)?(any(one|body)|some(one|body))\s+(alive|awake|real|human|home)\b | \bwith\s+a\s+(pulse|brain)\b
    | \b(a|an)\s+(living|breathing|live)\s+(person|human|being|soul)\b
    | \b(let|have|get|need)\s+some(one|body)\s+(competent|qualified|senior|knowledgeable|experienced|real|human)\b
    | \b(let|have|get)\s+some(one|body)\s+(\w+\s+)?(to\s+)?(look\s+(at|into|over)|check|review)\s+(my|this|it|the)\b
    | \b(deal|dealing|talk|talking|speak|speaking|chat|chatting)\s+(with|to)\s+(a|the|your|another|some)\s+(bot|robot|chatbot|machine
        |computer)\b
    | \bstop\s+(sending\s+(me\s+)?)?(these\s+|your\s+|the\s+)?(automated|automatic|canned|templated?|generic|copy[\s-]?paste[d]?
        |robotic)\s+(replies|answers|responses|messages|e-?mails)\b
    | \bnot\s+(with\s+)?(a|an|another|your)\s+(templates?|canned\s+(reply|response|answer)|standard\s+(reply|response|answer)
        |form\s+(letter|reply))\b
    | \bcomplaints?\s+(department|dept|team|manager)\b
    | \b(pass|put|transfer|forward|refer)\s+me\s+(on\s+)?(to|through\s+to)\s+(your|the|a)\s+(customer\s+(service|support|care)
        |support|complaints?|human|real)\b
    | \b(reply|respond|answer|write\s+back)\s+(to\s+me\s+)?(personally|yourself|in\s+person)\b
    | \b(a|one)\s+proper\s+(person|human)\b
    # "I'd rather deal with a human", "don't send me the standard reply", "can human eyes look at it"
    | \b(rather|prefer\s+to)\s+(deal|speak|talk)\s+(with|to)\s+(a|an)\s+(real\s+)?(human|person)\b | \bhuman\s+eyes\b
    | \b(don['’]?t|do\s+not)\s+(send|give)\s+me\s+(the|a|another|your)\s+(same\s+)?(standard|generic|automated|automatic|canned|template[d]?
        |copy[\s-]?paste[d]?|same)\s+(reply|answer|response|e-?mail|message|paragraph)\b
    | \b(don['’]?t|do\s+not)\s+want\s+(a|an|another)\s+(bot|robot|automated|automatic|canned|template[d]?)\b
    | \bread\s+my\s+(e-?mail|message|question)\s+(properly|carefully|again|this\s+time)\b
    | \b(a\s+)?(quick\s+)?word\s+with\s+(whoever|someone|somebody|the\s+person|a\s+person|your\s+manager|a\s+manager)\b
    # Anyone at all, or someone who can decide: "forward this to anybody", "passed to someone with the authority",
    # "talk it over with one of your team", "if this is going to a bot again"
    | \b(pass|forward|refer)\w*\s+(it|this|me)\s+(on\s+)?to\s+(literally\s+)?(any|some)(one|body)\b
    | \b(passed|referred|escalated)\s+(on\s+)?to\s+some(one|body)\s+(who\s+(has|can)|with)\b
    | \b(talk|speak|chat|go)\s+(this|it|things|everything)\s+(through|over)\s+with\s+(one\s+of\s+your|some(one|body)|a\s+(person|human)
        |your)\b
    | \bgoing\s+to\s+a\s+(robot|bot|machine|computer)\b
    | \b(get|have|put)\s+(me\s+)?a\s+(human|person|real\s+one)\s+on\s+(this|it)\b
    | \bwho\s+(do|should|can|could)\s+i\s+(write|complain|e-?mail)\s+to\b
    | \b(don['’]?t|do\s+not)\s+(send|give)\s+me\s+(the|a|another|your)\s+(bot|robot|ai)['’]?s?\s+(reply|answer|response)\b
    # Spanish
    | \b(hablar|comunicarme)\s+con\s+(una\s+persona|un\s+(ser\s+)?humano|alguien|un\s+agente|un\s+asesor|un\s+operador
        |un\s+representante|atención\s+al\s+cliente)\b
    | \bpersona\s+real\b | \bun\s+(ser\s+)?humano\b
    # German
    | \b(mit\s+)?(einem|einer|einen)\s+(menschen|mitarbeiter(in)?|person|berater(in)?|ansprechpartner(in)?)\s+(zu\s+)?(sprechen|reden)\b
    | \bmit\s+jemandem\s+(zu\s+)?(sprechen|reden)\b | \becht(en|er|e)\s+(menschen|person|mitarbeiter)\b
    # French
    | \bparler\s+(à|a|avec)\s+(un\s+(être\s+)?humain|une\s+(vraie\s+)?personne|quelqu['’]un|un\s+conseiller|un\s+agent
        |un\s+opérateur)\b
    | \b(vrai|véritable)\s+(humain|conseiller)\b | \bvraie\s+personne\b
    """,
    re.VERBOSE,
    lazy=True,  # a routine message reaches it only through topics' guard union
)

# "The weather here has been awful": look-behinds that hold the word itself, so they are read only where the word
# matched (written before the word, they ran at every word of every message).
_WEATHER_LEADS = (
    r"weather\s",
    r"weather\sis\s",
    r"weather\swas\s",
    r"weather\sis\sso\s",
    r"weather\swas\sso\s",
    r"weather\shas\sbeen\s",
    r"weather\shere\sis\s",
    r"weather\shere\shas\sbeen\s",
    r"weather['’]s\s",
    r"weather\sbeen\s",
)
_NOT_AFTER_WEATHER = "".join(
    f"(?<!{lead}{word})" for lead in _WEATHER_LEADS for word in ("horrible", "terrible", "awful")
)
_NEGATIVE_PHRASES = Phrases(
    r"""
    \b(ridiculous|unacceptable|outrageous|disgusting|disgusted|furious|livid|appalled|appalling|angry|pathetic
      |useless|incompetent|worst
      # "terrible" and co. about the weather or one's own skills ("I'm terrible with technology") are no complaint
      |(horrible|terrible|awful)"""
    + _NOT_AFTER_WEATHER
    + r"""(?!\s+(weather|rain|traffic|storms?|snow|winds?|heat|cold|flu|colds?|headache|hangover)\b)
       (?!\s+(with|at)\s+(technology|tech|computers?|phones?|passwords?|names|remembering|these\s+things|this\s+(sort|kind)\s+of
       |maths?|spelling|english|directions|admin|paperwork|online|the\s+internet)\b)
      |scam|scammers?|fraud|fraudulent|rip-?off|shameful
      |fed[\s-]+up|sick\s+of|had\s+enough|enough\s+is\s+enough|i\s+give\s+up|words\s+fail\s+me|(end\s+of\s+my|at\s+my\s+wits['’]?)\s+tether|last\s+straw|never\s+again|last\s+time\s+i|i\s+am\s+done|so\s+disappointed|very\s+disappointed
      |extremely\s+disappointed|(very|really|so|deeply|extremely|most|quite|thoroughly)\s+unhappy|sour\s+taste
      |(won['’]?t|will\s+not|not\s+going\s+to)\s+make\s+a\s+(fuss|scene)
      |(not\s+sure|doubt|wonder\s+(whether|if))\s+(i['’]ll|i\s+will|i['’]d|we['’]ll|we\s+will)\s+(be\s+)?(order(ing)?|shop(ping)?|buy(ing)?
        |com(e|ing)\s+back)\s+(again|from\s+you|with\s+you|here)
      # A public review held over us: "a review everywhere I can", "I have quite a few followers"
      |reviews?\s+everywhere|(bad|negative|poor|one[\s-]star|1[\s-]star|scathing)\s+reviews?
      |(my|i\s+have\s+(quite\s+)?(a\s+few|many|lots\s+of|plenty\s+of|thousands\s+of|[\d,.]+k?))\s+followers
      |lawyers?|attorney|legal\s+action|sue\s+you|small\s+claims|chargeback|charge\s+back
      |dispute\s+the\s+charge|report\s+you|consumer\s+protection|trading\s+standards
      |frustrat(ed|ing)|infuriat(e|ed|ing|es)|so\s+annoy(ed|ing)|(really|very|getting)\s+annoy(ed|ing)|annoyed
      |(complete|total|utter)\s+waste|waste\s+of\s+(my\s+)?time|god\s?damn(ed)?
      |damn(?!\s+(good|fine|great|nice|tasty|delicious|well|lovely|brilliant|amazing|quick|fast|happy|glad|proud|best)\b)|lost\s+(all\s+)?hope
      |(doesn['’]?t|does\s+not)\s+(even\s+)?make\s+(any\s+)?sense|what['’]?s\s+wrong\s+with\s+(you|this|your)
      |still\s+not\s+(fixed|solved|resolved)|(wasn['’]?t|isn['’]?t|not)\s+what\s+i\s+(was\s+)?expect(ed|ing)?
      |last\s+(order|purchase|thing)\s+i\s+(will\s+|['’]ll\s+)?ever|gutted|(lost|losing)\s+(a|another|my)\s+(loyal\s+|long[-\s]time\s+)?(customer|custom)
      |take\s+my\s+(business|custom|money)\s+elsewhere|(shop|shopping|order|ordering|buy|buying)\s+elsewhere
      |love\s+that\s+for\s+me|slow\s+clap|so{3,}\s+helpful|(truly|what)\s+a\s+(joke|farce)|logistics\s+miracle
      |(amazing|great|fantastic|wonderful|brilliant|stellar|excellent|superb|outstanding)\s+(customer\s+)?service\s+(as\s+(usual|always)|again)
      |this\s+is\s+how\s+(you\s+treat|i\s+get\s+treated|i['’]?m\s+treated|you\s+repay)|(go(ing)?|went|sent\s+me)\s+round\s+in\s+circles
      |(switch|switching|moving|move|go|going)\s+to\s+(one\s+of\s+)?(your\s+)?competitors?|(this|that)\s+(will\s+be|is)\s+(my|our)\s+(very\s+)?last\s+(order|purchase)
      |never\s+(order|shop|buy)(ing)?\s+(from|with|here)|without\s+(telling|informing|notifying|warning)\s+(me|us)|how\s+(exactly\s+|on\s+earth\s+)?am\s+i\s+supposed\s+to
      |(came|arrived|turned\s+up|was\s+delivered|were\s+delivered)\s+(a\s+(day|week|month)|(two|three|four|five|\d+)\s+(days|weeks))\s+late
      |so[-\s]called\s+(help|service|support|customer\s+(service|support|care)|assistance)
      |(third|fourth|fifth|\d+(rd|th))\s+time\s+(asking|i['’]ve\s+asked|i\s+have\s+asked|writing|i['’]ve\s+written|emailing|chasing)
      # Distress: a customer in tears over an order is a person's to answer, however routine the question.
      |wits['’]?\s+end|(i['’]?ve|i\s+have|i)\s+(cried|been\s+crying)|in\s+tears|crying|beside\s+myself|losing\s+my\s+mind
      |(so|really|very|extremely|completely)\s+(stressed|distressed|anxious|upset)|worried\s+sick|(can['’]?t|cannot)\s+cope
      |panicking|desperate)\b
    # Scare quotes round what we gave ("thanks for all your 'help'"), not a label of our site ("your 'help' page")
    | \b(your|the|all\s+the)\s+['‘"“](help|service|support|assistance|customer\s+(service|support|care))['’"”](?!\s*(page|section|button
      |centre|center|menu|tab|link|desk|icon|area|pages)\b)
    # Spanish / German / French
    | \b(inaceptable|vergonzoso|estafa|furioso|furiosa|harto|harta|abogado|denuncia)\b
    | \b(unverschämt|inakzeptabel|betrug|wütend|frechheit|anwalt|enttäuscht)\b
    | \b(inadmissible|inacceptable|arnaque|furieux|furieuse|scandaleux|honteux|avocat|déçu|déçue)\b
    """,
    re.VERBOSE,
)
_EXCLAMATIONS = compile_skipping(r"!{2,}|\?+!|!\?+")
# "Thanks in advance!!", "Thank you so much!!": a run of marks after thanks is warmth, not anger (in GoEmotions'
# training split 34 of the 35 texts whose only runs follow thanks are labelled gratitude). "Thanks a lot!!" and
# "thanks for nothing!!" are not among these forms.
_THANKS_BEFORE = regex_code.compile(
    r"\b(thanks|thank\s+you|thx|cheers|many\s+thanks|much\s+appreciated|in\s+advance)(\s+(so|very)\s+much)?\s*$",
    re.IGNORECASE,
)
_THANKS_SPAN = 40  # characters before a run that may hold its thanks
_SHOUTED_WORD = compile_skipping(r"\b[A-Z]{3,}\b")
_WORD = regex_code.compile(r"\b[^\W\d_]{3,}\b")
# Upper-case words that are names, not shouting: currencies, carriers, company forms, tax and bank terms, a
# disclaimer's "IMPORTANT:".
_COMMON_ACRONYMS_TEXT = (
    "USA FAQ PDF SMS USD EUR GBP ASAP UPS DHL TNT FEDEX USPS VAT GST HST LTD LLP PLC LLC INC GMBH HMRC IRS IBAN BIC "
    "SWIFT SKU EORI RMA ETA CEO CFO CTO COO NHS API URL FYI TBC TBD EMEA APAC IMPORTANT NOTE CONFIDENTIAL DISCLAIMER"
)
_COMMON_ACRONYMS = frozenset(_COMMON_ACRONYMS_TEXT.split())
SHOUTING_MIN_WORDS = 3
SHOUTING_MIN_SHARE = 0.25


def _spans(phrases: Phrases, text: str) -> list[str]:
    """The matches of ``phrases`` in ``text``, as written there (lower-casing keeps positions where it is exact)."""
    return [text[match.start() : match.end()] for match in phrases.finditer(text, exact_lower(text))]


def asks_for_human(text: str) -> list[str]:
    """The phrases in ``text`` that ask for a person (empty when none)."""
    return list(dict.fromkeys(" ".join(phrase.split()) for phrase in _spans(HUMAN_REQUEST, text)))


def negative_cues(text: str) -> list[str]:
    """Phrases that show anger, strong disappointment or threats, plus shouting and !!! runs."""
    return list(_negative_cues(text))


def forget_texts() -> None:
    """Drop the per-text cache (the benchmark does, so a repeated message is measured as a new one)."""
    _negative_cues.cache_clear()


@lru_cache(maxsize=16)
def _negative_cues(text: str) -> tuple[str, ...]:
    # Cached: the emotion reading, the policy and the summary all ask about the same message.
    cues = [" ".join(phrase.split()) for phrase in _spans(_NEGATIVE_PHRASES, text)]
    if any(
        not _THANKS_BEFORE.search(text, max(0, run.start() - _THANKS_SPAN), run.start())
        for run in _EXCLAMATIONS.finditer(text)
    ):
        cues.append("!!")
    shouted = [word for word in _SHOUTED_WORD.findall(text) if word not in _COMMON_ACRONYMS]
    if len(shouted) >= SHOUTING_MIN_WORDS:  # only then is the share of shouted words worth counting
        words = _WORD.findall(text)
        if len(shouted) >= SHOUTING_MIN_SHARE * max(len(words), 1):
            cues.append("SHOUTING")
        else:
            cues.extend(shouted[:3])
    return tuple(dict.fromkeys(cues))
