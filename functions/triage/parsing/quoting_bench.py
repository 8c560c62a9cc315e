"""Measure reply extraction on the quoting fixtures: our rules against two maintained libraries.

Usage: ``python -m triage.parsing.quoting_bench [FIXTURES_DIR]`` (default: the repository's
``tests/fixtures/quoting``). A fixture is ``<case>.txt`` (the plain-text body as received) next to
``<case>.expected.txt`` (what a careful reader keeps: the customer's new text, no quotes, no signature).

Strategies:

* ``ours``: :func:`triage.parsing.quoting.extract_reply`.
* ``email_reply_parser``: ``email_reply_parser.EmailReplyParser.parse_reply`` (the port of GitHub's parser).
* ``mail_parser_reply``: ``mailparser_reply.EmailReplyParser(languages=...).parse_reply``. Note that this returns
  the latest reply *with* its signature (``EmailReply.content``), by the library's design.
* ``mail_parser_reply_body``: the same library's ``read(text).replies[0].body``, which also drops the signature
  and disclaimers it recognises; measured so the library is not judged only by the call that keeps signatures.

The libraries are development dependencies: they are imported inside :func:`compare`, never at Lambda runtime.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from triage.parsing.quoting import extract_reply

Strategy = Callable[[str], str]

OURS = "ours"
EMAIL_REPLY_PARSER = "email_reply_parser"
MAIL_PARSER_REPLY = "mail_parser_reply"
MAIL_PARSER_REPLY_BODY = "mail_parser_reply_body"

#: The fixture languages that mail-parser-reply knows (it has no Portuguese; English is always added).
MAIL_PARSER_REPLY_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "nl", "it")

INPUT_SUFFIX = ".txt"
EXPECTED_SUFFIX = ".expected.txt"
CASE_KEY_PREFIX = "f1:"  # per-case token F1 in a strategy's results: "f1:<case>"
SUMMARY_KEYS: tuple[str, ...] = ("cases", "exact_match", "token_f1", "quoted_leaks", "text_lost", "errors")
DEFAULT_FIXTURES_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "quoting"

_TOKEN = re.compile(r"\w+")
_QUOTE_MARKS = re.compile(r"^[\s>]+")
_SPACES = re.compile(r"\s+")
#: Where the history of an input starts, for telling a leak of quoted text from a kept signature. Loose on
#: purpose and independent of the rules under test: it only classifies lines already known to be wrong (absent
#: from the expected text), it never decides what is right.
_HISTORY_START = re.compile(
    r"^(?:>"
    r"|-{2,}\s*\S.*\S\s*-{2,}$"
    r"|_{10,}$"
    r"|begin forwarded message"
    r"|\*?(?:from|von|de|van|da)\s?:.*[@<]"
    r"|.{0,300}\b(?:wrote|schrieb|écrit|escribió|schreef|geschreven|scritto|escreveu)\s*:$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Fixture:
    case: str
    text: str
    expected: str


@dataclass(frozen=True)
class CaseResult:
    strategy: str
    case: str
    output: str
    exact: bool
    token_f1: float
    quoted_leak: bool  # the output holds a line of the quoted history that the expected text does not
    text_lost: bool  # a token of the expected text is missing from the output
    error: str = ""


def load_fixtures(fixtures_dir: Path) -> list[Fixture]:
    """Every ``<case>.txt`` with its ``<case>.expected.txt``, sorted by case; raises if an expectation is missing."""
    fixtures: list[Fixture] = []
    for path in sorted(fixtures_dir.glob(f"*{INPUT_SUFFIX}")):
        if path.name.endswith(EXPECTED_SUFFIX):
            continue
        case = path.name.removesuffix(INPUT_SUFFIX)
        expected = fixtures_dir / f"{case}{EXPECTED_SUFFIX}"
        if not expected.is_file():
            raise FileNotFoundError(f"fixture {case!r} has no {expected.name}")
        fixtures.append(Fixture(case, _read(path), _read(expected)))
    return fixtures


def compare(fixtures_dir: Path) -> dict[str, dict[str, float]]:
    """Score every strategy on every fixture.

    Returns, per strategy: ``cases``, ``exact_match`` (rate, after whitespace normalisation), ``token_f1`` (mean
    token-level F1 against the expected text), ``quoted_leaks`` and ``text_lost`` (numbers of cases), ``errors``
    (cases where the strategy raised), and the per-case token F1 under ``"f1:<case>"``.
    """
    return summarise(evaluate(fixtures_dir))


def evaluate(fixtures_dir: Path, strategies: Mapping[str, Strategy] | None = None) -> list[CaseResult]:
    """The per-case details behind :func:`compare`, outputs included."""
    fixtures = load_fixtures(fixtures_dir)
    if not fixtures:
        raise FileNotFoundError(f"no fixtures in {fixtures_dir}")
    strategies = strategies if strategies is not None else default_strategies()
    results: list[CaseResult] = []
    for name, strategy in strategies.items():
        for fixture in fixtures:
            try:
                output, error = strategy(fixture.text), ""
            except Exception as exc:  # a library failing on a fixture is a result, not a crash
                output, error = "", f"{type(exc).__name__}: {exc}"
            results.append(score(name, fixture, output, error))
    return results


def default_strategies() -> dict[str, Strategy]:
    """Our rules and the two libraries (imported here: they are development dependencies only)."""
    from email_reply_parser import EmailReplyParser as GithubPortParser
    from mailparser_reply import EmailReplyParser as MailParserReply

    mail_parser_reply = MailParserReply(languages=list(MAIL_PARSER_REPLY_LANGUAGES))

    def github_port(text: str) -> str:
        return str(GithubPortParser.parse_reply(text) or "")

    def latest_reply(text: str) -> str:
        return str(mail_parser_reply.parse_reply(text) or "")

    def latest_reply_body(text: str) -> str:
        replies = mail_parser_reply.read(text).replies
        return str(replies[0].body) if replies else ""

    return {
        OURS: extract_reply,
        EMAIL_REPLY_PARSER: github_port,
        MAIL_PARSER_REPLY: latest_reply,
        MAIL_PARSER_REPLY_BODY: latest_reply_body,
    }


def score(strategy: str, fixture: Fixture, output: str, error: str = "") -> CaseResult:
    expected_tokens = _tokens(fixture.expected)
    output_tokens = _tokens(output)
    return CaseResult(
        strategy=strategy,
        case=fixture.case,
        output=output,
        exact=_squash(output) == _squash(fixture.expected),
        token_f1=token_f1(output_tokens, expected_tokens),
        quoted_leak=bool(leaked_lines(fixture, output)),
        text_lost=bool(expected_tokens - output_tokens),
        error=error,
    )


def summarise(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    summary: dict[str, dict[str, float]] = {}
    for strategy in dict.fromkeys(result.strategy for result in results):
        mine = [result for result in results if result.strategy == strategy]
        scores: dict[str, float] = {
            "cases": float(len(mine)),
            "exact_match": sum(result.exact for result in mine) / len(mine),
            "token_f1": sum(result.token_f1 for result in mine) / len(mine),
            "quoted_leaks": float(sum(result.quoted_leak for result in mine)),
            "text_lost": float(sum(result.text_lost for result in mine)),
            "errors": float(sum(bool(result.error) for result in mine)),
        }
        scores.update({f"{CASE_KEY_PREFIX}{result.case}": result.token_f1 for result in mine})
        summary[strategy] = scores
    return summary


def token_f1(output: Counter[str], expected: Counter[str]) -> float:
    """Token-level F1 of two bags of words; 1.0 when both are empty."""
    if not output and not expected:
        return 1.0
    overlap = sum((output & expected).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(output.values())
    recall = overlap / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def leaked_lines(fixture: Fixture, output: str) -> list[str]:
    """Output lines that occur in the input's history only and are not part of the expected text.

    History: ``>``-quoted lines, the attribution heading them, and everything below the first unquoted history
    marker. Customer lines between or below ``>`` blocks, and signature lines above the history, are not history
    (a kept signature costs F1 only).
    """
    raws = [raw.strip() for raw in fixture.text.splitlines()]
    new: set[str] = set()
    history: set[str] = set()
    in_history = False
    for index, raw in enumerate(raws):
        quoted = raw.startswith(">")
        marker = not quoted and bool(_HISTORY_START.match(raw))
        if marker and not _introduces_quote(raws, index):
            in_history = True  # unquoted history below: everything from here on
        line = _normalise_line(raw)
        if line:
            (history if in_history or quoted or marker else new).add(line)
    expected = {_normalise_line(line) for line in fixture.expected.splitlines()}
    leaks = []
    for raw in output.splitlines():
        line = _normalise_line(raw)
        if line and line in history and line not in new and line not in expected:
            leaks.append(raw)
    return leaks


def _introduces_quote(lines: Sequence[str], index: int) -> bool:
    """Whether the next non-blank line after ``index`` is ``>``-quoted (the marker heads a quoted block)."""
    following = next((line for line in lines[index + 1 :] if line), "")
    return following.startswith(">")


def format_table(summary: Mapping[str, Mapping[str, float]]) -> str:
    header = f"{'strategy':<24} {'exact match':>13} {'token F1':>9} {'quoted leaks':>13} {'text lost':>10} {'errors':>7}"
    rows = [header, "-" * len(header)]
    for strategy, scores in summary.items():
        cases = int(scores["cases"])
        exact = f"{round(scores['exact_match'] * cases)}/{cases} {scores['exact_match']:.0%}"
        rows.append(
            f"{strategy:<24} {exact:>13} {scores['token_f1']:>9.3f} "
            f"{int(scores['quoted_leaks']):>13} {int(scores['text_lost']):>10} {int(scores['errors']):>7}"
        )
    return "\n".join(rows)


def format_cases(summary: Mapping[str, Mapping[str, float]]) -> str:
    """Per-case token F1, only for the cases where some strategy is below 1."""
    strategies = list(summary)
    cases = [
        key.removeprefix(CASE_KEY_PREFIX)
        for key in next(iter(summary.values()))
        if key.startswith(CASE_KEY_PREFIX)
    ]
    width = max((len(case) for case in cases), default=4)
    rows = [f"{'case':<{width}} " + " ".join(f"{name[:22]:>22}" for name in strategies)]
    for case in cases:
        values = [summary[name][f"{CASE_KEY_PREFIX}{case}"] for name in strategies]
        if min(values) < 1.0:
            rows.append(f"{case:<{width}} " + " ".join(f"{value:>22.3f}" for value in values))
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fixtures_dir = Path(args[0]) if args else DEFAULT_FIXTURES_DIR
    summary = compare(fixtures_dir)
    print(f"Reply extraction on {fixtures_dir}\n")
    print(format_table(summary))
    print("\nToken F1 per case (cases where a strategy is below 1.000):\n")
    print(format_cases(summary))
    return 0


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as received: keeps "\r\n"


def _tokens(text: str) -> Counter[str]:
    return Counter(token.lower() for token in _TOKEN.findall(text))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _normalise_line(line: str) -> str:
    return _SPACES.sub(" ", _QUOTE_MARKS.sub("", line)).strip().lower()


if __name__ == "__main__":
    raise SystemExit(main())
