"""Reply extraction: our rules against the fixtures, their edge cases, and the comparison with two libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.parsing import quoting
from triage.parsing.quoting import extract_reply
from triage.parsing.quoting_bench import EXPECTED_SUFFIX, INPUT_SUFFIX, OURS, compare

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quoting"
CASES = sorted(
    path.name.removesuffix(INPUT_SUFFIX)
    for path in FIXTURES.glob(f"*{INPUT_SUFFIX}")
    if not path.name.endswith(EXPECTED_SUFFIX)
)
MIN_CASES = 24


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as received: "\r\n" stays "\r\n"


def test_fixture_set_is_complete() -> None:
    assert len(CASES) >= MIN_CASES
    missing = [case for case in CASES if not (FIXTURES / f"{case}{EXPECTED_SUFFIX}").is_file()]
    assert missing == []


@pytest.mark.parametrize("case", CASES)
def test_extract_reply_matches_fixture(case: str) -> None:
    text = _read(FIXTURES / f"{case}{INPUT_SUFFIX}")
    expected = _read(FIXTURES / f"{case}{EXPECTED_SUFFIX}")

    assert extract_reply(text).strip() == expected.strip()


@pytest.mark.parametrize("case", CASES)
def test_extract_reply_is_idempotent(case: str) -> None:
    once = extract_reply(_read(FIXTURES / f"{case}{INPUT_SUFFIX}"))

    assert extract_reply(once) == once


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\n \t \n"])
def test_blank_input_gives_empty_string(text: str) -> None:
    assert extract_reply(text) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Only a signature: keep the de-quoted text rather than nothing.
        ("Sent from my iPhone", "Sent from my iPhone"),
        ("--\nBob Smith", "--\nBob Smith"),
        # Only quoted history: the original, trimmed.
        ("> Did the restart help?\n> Acme Support\n", "> Did the restart help?\n> Acme Support"),
        # A lone thanks is the message; the name below it is not.
        ("Thanks!\nAnna", "Thanks!"),
        # A cut that would leave only a greeting is undone.
        ("Hi,\n\nSent from my iPhone", "Hi,\n\nSent from my iPhone"),
        (
            "Hi,\nThis email is intended to report a bug in the export.\nThanks,\nBob",
            "Hi,\nThis email is intended to report a bug in the export.\nThanks,\nBob",
        ),
    ],
)
def test_never_empty_for_text(text: str, expected: str) -> None:
    assert extract_reply(text) == expected


def test_output_uses_newlines_and_no_trailing_spaces() -> None:
    text = "Hello,  \r\n\r\n\r\n\r\nthe export fails.   \r\n\r\nKind regards,\r\nAda\r\n"

    assert extract_reply(text) == "Hello,\n\nthe export fails."


def test_language_hint_does_not_narrow_the_rules() -> None:
    text = (
        "La exportación falla.\n\nAm Mo., 3. März 2025 um 10:00 Uhr schrieb Acme <a@acme.example>:\n> Hallo"
    )

    assert extract_reply(text, language_hint="es") == extract_reply(text) == "La exportación falla."


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but the restart did not help.",
        "Regards the invoice: it lists 14 seats.",
        "On Monday the job failed again and wrote nothing to the log:",
        "Sent from my desk, which is easier than from my phone.",
        "Merci pour votre aide, le problème persiste.",
    ],
)
def test_ordinary_sentences_are_kept(text: str) -> None:
    assert (
        extract_reply(f"Hello,\n\n{text}\n\nIt started yesterday.")
        == f"Hello,\n\n{text}\n\nIt started yesterday."
    )


def test_our_rules_measure_at_least_as_well_as_each_library() -> None:
    """The evidence for keeping our rules rather than a library: token F1 on the same fixtures."""
    pytest.importorskip("email_reply_parser")
    pytest.importorskip("mailparser_reply")

    results = compare(FIXTURES)

    ours = results[OURS]
    assert ours["cases"] == len(CASES)
    libraries = {name: scores for name, scores in results.items() if name != OURS}
    assert libraries, "no library was measured"
    for name, scores in libraries.items():
        assert ours["token_f1"] >= scores["token_f1"], f"{name} measures better: {scores['token_f1']:.3f}"
        assert ours["exact_match"] >= scores["exact_match"], name
    assert ours["quoted_leaks"] == 0
    assert ours["text_lost"] == 0


@pytest.mark.parametrize(
    "line",
    [
        "",
        "  plain text  ",
        "\ttabbed\tline\t",
        "a\u00a0b",
        "zero\u200bwidth",
        "\ufeffBOM",
        "caf\u00e9\t",
        "x\u2007\u202fy",
    ],
)
def test_an_ascii_line_is_cleaned_as_the_patterns_clean_it(line: str) -> None:
    full = quoting._ODD_SPACES.sub(" ", quoting._INVISIBLE.sub("", line)).strip()
    assert quoting._clean(line) == full


@pytest.mark.parametrize(
    "postscript",
    ["PS: let me speak to a person", "P.S. please cancel it instead", "PPS - my lawyer has a copy"],
)
def test_a_postscript_below_the_sign_off_is_the_customer_s_text(postscript: str) -> None:
    """A short postscript under "Thanks, Bob" is the customer writing again, not a line of their signature."""
    text = f"Where is my order 12345?\n\nThanks,\nBob\n\n{postscript}"
    assert extract_reply(text).endswith(postscript)


def test_a_company_called_ps_is_still_a_signature_line() -> None:
    text = "Where is my order?\n\nBest regards,\nBob Smith\nPS Systems Ltd\n+44 20 1234 5678"
    assert extract_reply(text) == "Where is my order?"


HISTORY = (
    "\n\nOn Mon, 2 Nov 2026, {header} wrote:\n> The heater sparked.\n>\n> Ana\n> Sent from my phone\n"
    "\nOn Sun, 1 Nov 2026, Shop Example <news@shop.example.com> wrote:\n>> Our autumn sale ends soon.\n"
)
THEIRS = "The heater sparked.\n\nAna"  # the sign-off stays; "Sent from my phone" is cut


@pytest.mark.parametrize(
    ("header", "theirs"),
    [
        ("Ana <ana.lima@example.org>", THEIRS),  # by name (a word of the header) or address
        ("ana.lima@example.org", THEIRS),
        ("Ana Lima", THEIRS),
        ("Ananya Rao <ananya@example.net>", ""),  # a name inside another is not theirs
        ("Shop Example <news@shop.example.com>", ""),
    ],
)
def test_earlier_words_are_those_whose_header_names_the_writer(header: str, theirs: str) -> None:
    writer = ("ana.lima@example.org", "Dr Ana Lima", "Ana")
    assert quoting.earlier_words_of(HISTORY.format(header=header), writer) == theirs
