"""The email parser's fast paths against the routes they stand for: the same InboundMessage, defects included.

Each fast path in ``triage.parsing.email`` takes only input it fully understands and must return exactly what the
full route returns; ``full_route()`` swaps every one of them for that route. The same mail is parsed both ways:
the sample events, the nasty-mail corpus with its generated giants, the fuzzers' hostile mail, and thousands of
generated address and Content-Type headers (odd quoting, comments, groups, encoded-words, IDN, commas, bare
angle brackets, trailing junk, CR/LF injection). The helpers are also compared one by one, exhaustively where
the alphabet is small. A fast path that gives anything else, for any of these inputs, fails here.
"""

from __future__ import annotations

import inspect
import itertools
import random
import re
import string
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_string, policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from functools import partial
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import email_bytes, fuzz
from test_nasty_mail import GENERATED, big_mail

from triage.message import InboundMessage
from triage.parsing import email as parsing
from triage.service import read_email
from triage.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [
        *(REPO / "events" / "email").glob("*.eml"),
        *(REPO / "events" / "machine_mail").glob("*.eml"),
        *(REPO / "tests" / "fixtures" / "nasty").glob("*.eml"),
    ]
)
STRICT = "strict" in inspect.signature(getaddresses).parameters  # CPython with the CVE-2023-27043 fix


# --- the full routes --------------------------------------------------------------------------------------------


def _regex_header_end(raw: bytes) -> int | None:
    match = re.search(rb"\r?\n\r?\n", raw)
    return match.start() if match else None


def _regex_unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _no_simple_addresses(raw_values: list[str]) -> None:
    return None


def _maybe_names_a_file(part: Message) -> bool:
    return False


def _stdlib_parsed(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)


FULL_ROUTE = {
    "_header_end": _regex_header_end,
    "_unfold": _regex_unfold,
    "_decode_raw": parsing._decode_words,
    "_clean_line": parsing._clean_any_line,
    "_simple_addresses": _no_simple_addresses,
    "_names_no_file": _maybe_names_a_file,
    "_content_charset": Message.get_content_charset,
    "_parsed": _stdlib_parsed,
}


@contextmanager
def full_route() -> Iterator[None]:
    """Every fast path of the parser replaced by the route it stands for."""
    with mock.patch.multiple(parsing, **FULL_ROUTE):
        yield


def outcome(read: Callable[[], object]) -> object:
    """What ``read()`` returns, a model as a dict; or the type of what it raises (the stdlib's parameter readers
    raise on a few broken RFC 2231 parameter lists: then both routes must raise alike)."""
    try:
        found = read()
    except Exception as error:
        return type(error)
    return found.model_dump() if isinstance(found, InboundMessage) else found


def assert_same(raw: bytes, settings: Settings) -> None:
    fast = outcome(lambda: read_email(raw, settings))
    with full_route():
        full = outcome(lambda: read_email(raw, settings))
    assert fast == full


def test_the_full_route_replaces_every_fast_path() -> None:
    assert set(FULL_ROUTE) <= set(vars(parsing))
    with full_route():
        assert all(getattr(parsing, name) is route for name, route in FULL_ROUTE.items())


def test_the_fast_paths_read_the_sample_mail() -> None:
    """They exist for the common case: nearly all sample address headers (not the "addr (Comment)" of an MTA's
    bounce) and a plain text part's charset take them."""
    simple = parsing._simple_addresses
    taken: list[bool] = []

    def spy(raw_values: list[str]) -> list[tuple[str, str]] | None:
        pairs = simple(raw_values)
        taken.append(pairs is not None)
        return pairs

    with mock.patch.object(parsing, "_simple_addresses", spy):
        for path in sorted((REPO / "events" / "email").glob("*.eml")):
            parsing.parse_email(path.read_bytes())
    assert len(taken) > 30
    assert sum(taken) >= 0.9 * len(taken)
    plain = message_from_string('Content-Type: text/plain; charset="UTF-8"\n\nhi\n', policy=policy.compat32)
    with mock.patch.object(Message, "get_content_charset", side_effect=AssertionError("stdlib route taken")):
        assert parsing._content_charset(plain) == "utf-8"
        assert parsing._names_no_file(plain)


def _tree(msg: Message) -> dict[str, object]:
    """Everything the parser stored on a message and its parts (defects by type and text)."""
    found = dict(vars(msg))
    if msg.is_multipart():
        found["_payload"] = [_tree(part) for part in msg.get_payload()]
    found["defects"] = [(type(defect).__name__, str(defect)) for defect in msg.defects]
    return found


def assert_same_message(raw: bytes) -> None:
    fast, full = (outcome(lambda read=read: _tree(read(raw))) for read in (parsing._parsed, _stdlib_parsed))
    assert fast == full


def _line_ends(raw: bytes) -> list[bytes]:
    """``raw`` with its lines ended by \\n, \\r\\n or \\r only, and cut short."""
    lf = raw.replace(b"\r\n", b"\n")
    return [raw, lf, lf.replace(b"\n", b"\r\n"), lf.replace(b"\n", b"\r"), raw[:300], raw[: len(raw) // 2]]


def test_the_header_fast_path_reads_single_part_mail() -> None:
    with mock.patch.object(BytesParser, "parsebytes", side_effect=AssertionError("stdlib route taken")):
        msg = parsing._parsed((REPO / "events" / "email" / "routine_order_tracking.eml").read_bytes())
    assert msg["Subject"] == "Where is my order #A-48213?"
    assert str(msg.get_payload()).startswith("Hello,")


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_corpus_mail_is_stored_as_the_stdlib_stores_it(path: Path) -> None:
    for raw in _line_ends(path.read_bytes()):
        assert_same_message(raw)


@pytest.mark.parametrize(
    "head",
    [
        b"Subject: a\r\n b\r\n\t c \r\nTo:  x\r\n",  # continuations, blanks around values
        b"Subject:\r\n\r\n",  # an empty value
        b" Subject: a\n",  # a continuation first
        b"From sender Tue Nov  4 08:12:47 2026\nSubject: a\n",  # an envelope line
        b"Subject: a\nFrom x\n",
        b": no name\n",
        b"Sub ject: a\n",
        b"Subject: a\rTo: b\n",  # a bare CR
        b"Subj\xc3\xa9ct: a\n",  # a name beyond ASCII
        b"Subject: caf\xc3\xa9\n",  # a value beyond ASCII
        b"Subject: a\nnot a field\n",
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: message/rfc822\n",
        b"Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: text\n",  # no subtype: read as text/plain
    ],
)
def test_odd_header_blocks_are_stored_as_the_stdlib_stores_them(head: bytes) -> None:
    for raw in (head + b"\nbody\n--b\nx\n--b--\n", head + b"\r\n", head, b"\n" + head + b"\n"):
        assert_same_message(raw)


# --- whole messages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_corpus_mail_parses_the_same_both_ways(path: Path, settings: Settings) -> None:
    assert_same(path.read_bytes(), settings)


@pytest.mark.parametrize("name", sorted(set(GENERATED) - {"mail_40mb"}))
def test_the_generated_nasty_mail_parses_the_same_both_ways(name: str, settings: Settings) -> None:
    build, _defects = GENERATED[name]
    assert_same(build(), settings)


def test_a_big_mail_parses_the_same_both_ways(settings: Settings) -> None:
    """The 40 MB case in small: past the header-line cap, so the header block's end is searched."""
    assert_same(big_mail(2), settings)


@fuzz(150)
@given(raw=email_bytes())
def test_hostile_structured_mail_parses_the_same_both_ways(raw: bytes) -> None:
    assert_same(raw, Settings.from_env())
    for variant in _line_ends(raw):
        assert_same_message(variant)


@fuzz(200)
@given(raw=st.binary(max_size=3_000))
def test_arbitrary_bytes_parse_the_same_both_ways(raw: bytes) -> None:
    assert_same(raw, Settings.from_env())
    assert_same_message(raw)


@fuzz(80)
@given(raw=email_bytes(), cut=st.integers(0, 5_000), junk=st.binary(max_size=40))
def test_truncated_or_spliced_mail_parses_the_same_both_ways(raw: bytes, cut: int, junk: bytes) -> None:
    assert_same(raw[:cut] + junk + raw[cut:], Settings.from_env())


# --- address headers --------------------------------------------------------------------------------------------

NAMES = (
    "",
    "Ana",
    "Ana Lima",
    "Ana  Lima",
    "J. Smith",
    "Lima, Ana",
    "José Pérez",
    "=?utf-8?q?Jos=C3=A9?=",
    "=?utf-8?b?QW5h?= Lima",
    "=?utf-8?q?evil=0D=0ABcc:_x@y.z?=",
    "=?x-unknown?q?a?=",
    "Ana (Sales)",
    "O'Brien",
    "Ana\tLima",
    "a@b.c",
    "<x>",
    'Ana "AL" Lima',
    "\\",
    "Ana\\ Lima",
    "Ana;Lima",
    "Sales:",
    "\u00a0Ana",
    "Ana\u2028",
    "Ana\u202e",
    "日本語",
    ".",
    "Ana.",
    "[Ana]",
    "Ana\x01",
    "Ana\r\n Lima",
    "A,B",
    "=?",
    "()",
)
ADDRS = (
    "a@b.c",
    "ana.lima@example.org",
    "A+Tag@Sub.Example.co.uk",
    "a..b@c.d",
    ".a@b.c",
    "a.@b.c",
    "a@b",
    "a@[1.2.3.4]",
    "a@xn--bcher-kva.example",
    "ana@bücher.de",
    '"a b"@c.d',
    "a@b.c.",
    "a@-b.c",
    "a@b@c.d",
    "a b@c.d",
    "a@b .c",
    "a_b@c_d.e",
    "1@2.3",
    "a(c)@b.c",
    "a@b.c(c)",
    "a=?x?=@b.c",
    "a@b..c",
    "@b.c",
    "a@",
    "a",
    "x" * 330 + "@b.c",
)
FORMS = (
    "{a}",
    "<{a}>",
    "{n} <{a}>",
    '"{n}" <{a}>',
    "{n}<{a}>",
    "< {a} >",
    "{a} ({n})",
    "({n}) {a}",
    "{n}: {a};",
    "{n}: {a}, {a};",
    "{a} {n}",
    "{n} <{a}> {n}",
    "{n} <{a}>>",
    "{n} <<{a}>",
    "<{a}>,",
    "{a},",
    ",{a}",
    "{a}\r\nBcc: evil@x.y",
    "{a}\n",
    " {a} ",
    "\t{a}\t",
    '"{n}\\"" <{a}>',
    '"{n}" {n} <{a}>',
    "{n} <@r.s:{a}>",
    "<>",
    "{n} {a}",
)
SEPARATORS = (", ", ",", " , ", ";", " ", ",,", ", ,")


def address_header(rng: random.Random) -> str:
    """One to three mailboxes, simple ones most of the time, each part of them sometimes broken."""
    simple = rng.random() < 0.5
    forms = FORMS[:4] if simple else FORMS
    names = (
        [name for name in NAMES if name.isascii() and name.replace(" ", "").isalpha()] if simple else NAMES
    )
    addrs = ADDRS[:3] if simple else ADDRS
    mailboxes = [
        rng.choice(forms).format(n=rng.choice(names), a=rng.choice(addrs))
        for _ in range(rng.choice((1, 1, 2, 3)))
    ]
    value = mailboxes[0]
    for mailbox in mailboxes[1:]:
        value += (rng.choice(SEPARATORS) if rng.random() < 0.3 else ", ") + mailbox
    return value


def address_headers(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[address_header(rng) for _ in range(rng.choice((1, 1, 1, 2)))] for _ in range(count)]


def assert_simple_addresses_agree(raw_values: list[str]) -> bool:
    """The fast split is None or what getaddresses returns, strict or not; whether it took the values."""
    pairs = parsing._simple_addresses(raw_values)
    if pairs is None:
        return False
    if STRICT:
        assert pairs == getaddresses(raw_values, strict=True), raw_values  # type: ignore[call-arg]
        assert pairs == getaddresses(raw_values, strict=False), raw_values  # type: ignore[call-arg]
    else:
        assert pairs == getaddresses(raw_values), raw_values
    return True


def test_simple_addresses_are_what_getaddresses_returns() -> None:
    headers = address_headers(20_000, seed=1)
    taken = sum(assert_simple_addresses_agree(values) for values in headers)
    assert len(headers) // 5 < taken < len(headers) * 4 // 5  # both routes are exercised


@fuzz(300)
@given(
    pieces=st.lists(
        st.sampled_from(
            (
                *"ab.-@<>\",; \té()\\:;[]'\r\n\x00\u00a0",
                "=?",
                "?=",
                "\r\n",
                "x.y",
                "a@b.c",
                "<a@b.c>",
                "Ana Lima <x@y.z>",
            )
        ),
        min_size=1,
        max_size=12,
    ),
    repeat=st.booleans(),
)
def test_address_soup_splits_as_getaddresses_does(pieces: list[str], repeat: bool) -> None:
    value = "".join(pieces)
    assert_simple_addresses_agree([value, value] if repeat else [value])


def test_a_phrase_character_is_atext_a_dot_or_any_non_ascii_character() -> None:
    # The class is written as the ASCII it leaves out; it must take exactly these, over every code point.
    taken = set("!#$%&'*+/=?^_`{|}~-.") | set(string.ascii_letters + string.digits)
    phrase_char = re.compile(parsing._PHRASE_CHAR)
    every = "".join(map(chr, range(sys.maxunicode + 1)))  # lone surrogates included
    matched = "".join(phrase_char.findall(every))
    assert matched == "".join(c for c in every if c in taken or ord(c) > 0x7F)


def test_addresses_of_generated_headers_are_the_same_both_ways() -> None:
    for values in address_headers(3_000, seed=2):
        reader, full_reader = parsing._Reader(), parsing._Reader()
        fast = parsing._addresses(values, "to", reader)
        with full_route():
            full = parsing._addresses(values, "to", full_reader)
        assert (fast, reader.defects) == (full, full_reader.defects), values


def test_mail_with_generated_address_headers_parses_the_same_both_ways(settings: Settings) -> None:
    rng = random.Random(3)
    for values in address_headers(300, seed=3):
        head = "".join(
            f"{rng.choice(['From', 'To', 'Cc', 'Reply-To', 'Sender'])}: {value}\r\n" for value in values
        )
        raw = f"{head}From: Ana <ana@example.org>\r\nSubject: Hi\r\n\r\nWhere is my order?\r\n"
        assert_same(raw.encode("utf-8", "surrogateescape"), settings)


# --- Content-Type and Content-Disposition -----------------------------------------------------------------------

MEDIA_TYPES = ("text/plain", "TEXT/HTML", " text/plain ", "text/", "text", "charset", "multipart/mixed", "")
PARAMS = (
    "charset=utf-8",
    'charset="UTF-8"',
    " Charset = ISO-8859-1 ",
    'charset=""',
    'charset="a;b"',
    'charset="a\\"b"',
    "charset*=utf-8''%75tf-8",
    "charset*0=utf; charset*1=-8",
    "charset=<utf-8>",
    'charset="<utf-8>"',
    "charset=ütf-8",
    "charset=utf 8",
    "charset",
    "format=flowed",
    "delsp=yes",
    'name="scan.pdf"',
    "NAME=a.txt",
    "name*=utf-8''%E2%82%AC.pdf",
    'boundary="=_b1"',
    "",
    "\r\n charset=utf-8",
    'x="(c)"',
)
DISPOSITIONS = ("", "inline", "attachment", 'attachment; filename="a.pdf"', "inline; filename*=utf-8''x.txt")


def content_headers(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    headers = []
    for _ in range(count):
        content_type = rng.choice(MEDIA_TYPES) + "".join(
            ";" + rng.choice(PARAMS) for _ in range(rng.choice((0, 1, 1, 2, 3)))
        )
        disposition = rng.choice(DISPOSITIONS) if rng.random() < 0.3 else ""
        headers.append((content_type, disposition))
    return headers


def test_content_charset_is_what_the_stdlib_returns() -> None:
    for content_type, disposition in content_headers(5_000, seed=4):
        part = Message()  # not parsed: the stdlib parser raises on some multipart parameter lists
        part["Content-Type"] = content_type
        if disposition:
            part["Content-Disposition"] = disposition
        expected = outcome(part.get_content_charset)
        assert outcome(partial(parsing._content_charset, part)) == expected, (content_type, expected)
        if parsing._names_no_file(part):
            try:  # what _is_attachment reads on its stdlib route; a broken parameter list raises: no file either
                found = (part.get_filename() or "", part.get_content_disposition() or "")
            except Exception:
                found = ("", "")
            assert found == ("", ""), (content_type, disposition)
        media_type = parsing._safe_content_type(part, parsing._Reader())
        attachment = parsing._is_attachment(part, media_type)
        with full_route():
            assert parsing._is_attachment(part, media_type) == attachment, (content_type, disposition)


def test_mail_with_generated_content_headers_parses_the_same_both_ways(settings: Settings) -> None:
    for content_type, disposition in content_headers(300, seed=5):
        head = f"From: a@b.c\r\nContent-Type: {content_type}\r\n"
        if disposition:
            head += f"Content-Disposition: {disposition}\r\n"
        assert_same(f"{head}\r\nWhere is my order? \u20ac\r\n".encode(), settings)


# --- the helpers, one by one -------------------------------------------------------------------------------------


def test_header_end_is_where_the_regex_finds_the_blank_line() -> None:
    for size in range(10):
        for chars in itertools.product(b"\r\na", repeat=size):
            raw = bytes(chars)
            assert parsing._header_end(raw) == _regex_header_end(raw), raw


def test_unfold_removes_what_the_regex_removes() -> None:
    for size in range(8):
        for chars in itertools.product("\r\n \tx", repeat=size):
            value = "".join(chars)
            assert parsing._unfold(value) == _regex_unfold(value), value


_ODD = "\x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f \x7f\x85\xa0é\u200b\u200d\u2028\u202e\ufeff\udc80"


@fuzz(500)
@given(value=st.text(st.sampled_from(_ODD + "ab.<>=?") | st.characters(), max_size=30))
def test_clean_line_is_the_full_cleaning(value: str) -> None:
    assert parsing._clean_line(value) == parsing._clean_any_line(value)


@fuzz(500)
@given(value=st.text(st.sampled_from(_ODD + "ab=? \"'") | st.characters(), max_size=30))
def test_decode_raw_without_an_encoded_word_is_the_full_decoding(value: str) -> None:
    reader, full_reader = parsing._Reader(), parsing._Reader()
    assert parsing._decode_raw(value, reader) == parsing._decode_words(value, full_reader)
    assert reader.defects == full_reader.defects
