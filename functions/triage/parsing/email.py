"""Raw MIME bytes → InboundMessage, without ever losing a message to one broken header.

CPython's ``email`` package is the parser, with ``policy.compat32`` and targeted decoding: only the headers we use
are decoded (encoded-words with ``email.header``, addresses with ``getaddresses(strict=True)``). The modern
``policy.default`` header registry was both the cost (~1.3 ms of a ~1.5 ms parse) and the trap: its accessors raise
on real mail (Outlook ``<[x]@[y]>`` Message-IDs, ``To: (c):``, ``name*`` parameters; REFERENCE §4.1). Every other
accessor that can fail is wrapped: on failure it falls back to the raw value and records a defect code. Size caps run
before the parser sees the bytes. Nothing here raises on content.

The forms most mail has (a header block of plain fields on a single-part mail, plain mailboxes, a plain
Content-Type, headers without encoded-words or controls) are read by fast paths that return exactly what the
stdlib route returns, and hand everything else to it; tests/unit/test_parse_fast_paths.py compares the two.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import TYPE_CHECKING

from triage import regex_code
from triage.language import detect_language
from triage.message import Address, Attachment, Channel, InboundMessage, RawPointer
from triage.parsing import machine_mail
from triage.parsing.quoting import extract_reply

if TYPE_CHECKING:
    from bs4 import Tag

MAX_HEADER_LINE_BYTES = 64 * 1024  # one (unfolded) header field
MAX_HEADER_BLOCK_BYTES = 512 * 1024
MAX_PARTS = 200
MAX_DEPTH = 20
MAX_FULL_TEXT_CHARS = 32_000  # what travels on the queue; the raw mail stays in S3
MAX_TEXT_CHARS = 8_000
MAX_SUBJECT_CHARS = 998  # RFC 5322 line limit

_BLANK_LINE = re.compile(rb"\n\r?\n")
# The content types whose body the stdlib's parser splits into parts.
_PARTED = frozenset({"multipart", "message"})

_CONTROL = regex_code.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Bidi embeddings/overrides/isolates (a subject "Invoice <RLO>fdp.exe" reads as "exe.pdf") and invisible
# zero-width characters that split words past phrase matching. ZWJ/ZWNJ stay: emoji sequences and scripts need them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff" + "".join(_BIDI)))
# Charsets whose label mail clients use for windows-1252 text (as the WHATWG encoding standard reads them).
_CP1252_LABELS = frozenset({"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1"})
_BLANK_RUN = regex_code.compile(r"\n{3,}")
_ANGLE_ID = regex_code.compile(r"<[^<>\s]+>")
_HTML_DROP = ("script", "style", "head", "title", "meta", "noscript", "template")
_HTML_BLOCKS = (
    "p",
    "div",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "blockquote",
    "pre",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
)
# Quoted history in HTML, for the quote cutter (parsing/quoting.py), which reads text: a blockquote's lines get the
# ">" of a plain-text quote (with the Gmail/Thunderbird attribution just above it); Outlook's reply header
# (OWA's #appendonsend, #divRplyFwdMsg) starts the history, marked as Outlook's plain text marks it.
_QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001"  # private-use characters, removed from the HTML first
_QUOTE_ATTRIBUTION_CLASSES = frozenset({"gmail_attr", "moz-cite-prefix"})
_REPLY_HEADER_IDS = ("appendonsend", "divRplyFwdMsg")
HTML_HISTORY_MARKER = "-----Original Message-----"


@dataclass
class _Reader:
    """Collects defects while reading one message."""

    defects: list[str] = field(default_factory=list)

    def defect(self, code: str) -> None:
        if code not in self.defects:
            self.defects.append(code)


def parse_email(
    raw: bytes,
    *,
    pointer: RawPointer | None = None,
    own_addresses: tuple[str, ...] = (),
    own_domain: str = "",
    relay_lists: frozenset[str] = frozenset(),
) -> InboundMessage:
    """Read one raw email. Never raises on content: whatever is wrong ends up in ``defects``.

    ``relay_lists``: the List-Ids of our own groups that pass customers' mail on to us
    (``machine_mail.relayed_by_own_group``)."""
    reader = _Reader()
    if not raw.strip():
        reader.defect("empty_message")
    raw = _cap_header_block(raw, reader)
    try:
        msg = _parsed(raw)
    except Exception:  # the stdlib parser's own failures on hostile parameters, never ours
        # E.g. a multipart boundary split into RFC 2231 sections two ways ("boundary*0=a; boundary*=b") makes
        # email.utils.decode_params raise TypeError. The headers still read; the body is not (the raw mail stays
        # in S3 for the agent), and the defect sends the message to a person.
        reader.defect("unparsable_content_type")
        msg = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    for defect in getattr(msg, "defects", []):
        reader.defect(_defect_code(defect))

    block = _read_headers(msg, reader)
    headers, first = block.decoded, block.first
    if "from" not in block.raw and raw.strip():
        reader.defect("missing_from")
    for name in ("from", "subject"):
        if len(block.raw.get(name, [])) > 1:
            reader.defect(f"duplicate_header:{name}")
    if not all(_BIDI.isdisjoint(value) for value in (first.get("subject", ""), *block.raw.get("from", []))):
        reader.defect("bidi_control")
    subject = _clean_line(first.get("subject", ""))[:MAX_SUBJECT_CHARS]
    message_id, *_ = _message_ids(first.get("message-id", "")) or ("",)
    in_reply_to, *_ = _message_ids(first.get("in-reply-to", "")) or ("",)
    references = _message_ids(first.get("references", ""))

    from_, to, cc, reply_to, sender = (
        _addresses(block.raw.get(name, []), name, reader) for name in _ADDRESS_HEADERS
    )

    full_text, attachments, part_types = _body(msg, reader)
    full_text = full_text.translate(_INVISIBLE)
    if not full_text.strip() and raw.strip():
        reader.defect("no_readable_text")
    if len(full_text) > MAX_FULL_TEXT_CHARS:
        reader.defect("text_truncated")
        full_text = full_text[:MAX_FULL_TEXT_CHARS]
    text = extract_reply(full_text)[:MAX_TEXT_CHARS] if full_text.strip() else ""

    if any(kind in part_types for kind in ("message/delivery-status", "message/disposition-notification")):
        headers.append(("content-type", "multipart/report"))
    if machine_mail.CALENDAR_REPLY_TYPE in part_types:
        headers.append(("content-type", machine_mail.CALENDAR_REPLY_TYPE))
    own_group = machine_mail.relayed_by_own_group(block.raw.get("list-id", ()), relay_lists)
    signals = machine_mail.header_signals(headers, own_group=own_group)
    # The envelope sender too (SES writes it as Return-Path): a bounces+… VERP address there is a machine. Not when
    # our own group passed the mail on: the envelope and Sender are then the group's.
    envelope = _clean_line(first.get("return-path", "")).strip("<> ")
    senders = [a.address for a in from_]
    if not own_group:
        senders += [a.address for a in sender] + ([envelope] if "@" in envelope else [])
    signals += machine_mail.address_signals(
        senders=senders,
        recipients=[a.address for a in (*to, *cc)],
        own_addresses=own_addresses,
        own_domain=own_domain,
        reply_to=[a.address for a in reply_to],
        authors=[a.address for a in from_],
        own_group=own_group,
    )
    signals += machine_mail.message_id_signals(message_id, own_domain)
    lowered = text.lower() if text and own_addresses else ""
    if lowered and any(address and address.lower() in lowered for address in own_addresses):
        # Our own address in the new words: a system writing to us as its customer ("a password reset was asked for
        # your account (support@…)"), or a person naming where they wrote. Either way a person looks.
        signals.append(machine_mail.OWN_ADDRESS_IN_TEXT)

    # The text first: Outlook stamps Content-Language from the editor's setting (en-US on a Spanish mail), so the
    # header is only a fallback when the text says nothing clear.
    language = detect_language(f"{subject}\n{text}")
    language = language or first.get("content-language", "").split(",")[0].strip().lower()[:2] or None

    return InboundMessage(
        id=_message_key(pointer, raw),
        channel=Channel.EMAIL,
        provider="ses",
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        **{"from": from_[0] if from_ else Address()},
        to=tuple(to),
        cc=tuple(cc),
        reply_to=tuple(reply_to),
        subject=subject,
        text=text,
        full_text=full_text,
        language=language,
        attachments=tuple(attachments),
        auto_signals=tuple(dict.fromkeys(signals)),
        defects=tuple(reader.defects),
        raw=pointer,
    )


def _parsed(raw: bytes) -> Message:
    """``BytesParser(policy=policy.compat32).parsebytes(raw)``; a single-part mail with a plain header block read
    here, in half the time.

    The stdlib reads every header line through its feed parser: ~40 µs for the ~30 lines SES and the sender's
    servers put on a mail. A header block of plain fields (``_fields``) ended by a blank line, on a mail that is not
    multipart, is read here and stored as the stdlib stores it, with the rest of the text as the payload. Anything
    else is the stdlib's: parts, a bare CR, a "From " line, a line that is no field, no blank line.
    """
    blank = _BLANK_LINE.search(raw)  # the last header line's end and the blank line after it
    text = raw.decode("ascii", "surrogateescape")  # as BytesParser reads bytes: the same offsets
    fields = _fields(text[: blank.start() + 1]) if blank else None
    if blank and fields is not None:
        msg = Message()
        for name, value in fields:
            msg.set_raw(name, value)
        if msg.get_content_maintype() not in _PARTED:
            msg.set_payload(text[blank.end() :])
            return msg
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def _fields(head: str) -> list[tuple[str, str]] | None:
    """A header block's fields (``head``: its lines, each ended by \\n or \\r\\n), as policy.compat32 stores
    them; None unless every line is a field of a plain name (printable ASCII but space and ":", what the stdlib's
    headerRE takes, less its odd forms) or the continuation of one."""
    if head.count("\r") != head.count("\r\n"):
        return None  # a bare CR ends a line for the stdlib
    fields: list[tuple[str, str]] = []
    name, lines = "", []
    for line in head[:-1].split("\n"):
        if line[:1] in (" ", "\t"):
            if not name:
                return None  # a continuation first: a defect the stdlib records
            lines.append(line)
            continue
        if name:
            fields.append((name, "\n".join(lines)))
        name, colon, rest = line.partition(":")
        if not (colon and name.isascii() and name.isprintable()) or " " in name or not name:
            return None
        lines = [rest]
    fields.append((name, "\n".join(lines)))
    # compat32's header_source_parse: the value from its first line on, less leading blanks and the last line end.
    return [(name, value.lstrip(" \t").rstrip("\r\n")) for name, value in fields]


def _message_key(pointer: RawPointer | None, raw: bytes) -> str:
    if pointer is not None:
        return pointer.key.rsplit("/", 1)[-1] or pointer.key
    return "sha256-" + hashlib.sha256(raw).hexdigest()[:32]


def _header_end(raw: bytes) -> int | None:
    """Where the first ``\\r?\\n\\r?\\n`` (the blank line after the header block) starts, or None.

    Searched as ``\\n\\r?\\n`` and then one CR back: re scans for a pattern's literal first byte ~20x faster than
    it tries an optional one at every offset (24 µs on a 4 kB SES header block). The leftmost match of the long
    form starts at the leftmost ``\\n\\r?\\n`` or at the CR just before it, never elsewhere.
    """
    match = _BLANK_LINE.search(raw)
    if match is None:
        return None
    start = match.start()
    return start - 1 if start and raw[start - 1] == 0x0D else start


def _cap_header_block(raw: bytes, reader: _Reader) -> bytes:
    """Drop header fields over the cap before the parser sees them (a 5 MB header costs seconds, not value)."""
    split = _header_end(raw)
    head, body = (raw[:split], raw[split:]) if split is not None else (raw, b"")
    if len(head) <= MAX_HEADER_LINE_BYTES and len(raw) > 0 and b"\x00" not in head:
        return raw
    kept: list[bytes] = []
    current: list[bytes] = []
    total = 0

    def flush() -> None:
        nonlocal total
        if not current:
            return
        size = sum(len(line) for line in current)
        if size > MAX_HEADER_LINE_BYTES or total + size > MAX_HEADER_BLOCK_BYTES:
            reader.defect("header_too_long")
        else:
            kept.extend(current)
            total += size
        current.clear()

    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        flush()
        current.append(line.replace(b"\x00", b""))
    flush()
    if b"\x00" in head:
        reader.defect("nul_in_headers")
    return b"".join(kept) + body


def _defect_code(defect: object) -> str:
    name = type(defect).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Defect")).lower() or "defect"


def _text_codec(charset: str) -> bool:
    """A real text encoding (not a bytes-to-bytes or special codec Python also knows by name)."""
    try:
        info = codecs.lookup(charset)
    except LookupError:
        return True  # unknown names are handled (and recorded) where they are decoded
    return bool(getattr(info, "_is_text_encoding", True)) and info.name not in {
        "undefined",
        "punycode",
        "idna",
    }


def _decode_raw(value: str, reader: _Reader | None = None) -> str:
    """Encoded-words decoded; on an unknown charset or broken encoding, the raw text and a defect."""
    if "=?" not in value:
        # Every encoded-word starts with "=?": decode_header returns the text as one plain chunk, which
        # make_header and str() give back unchanged (~2 µs saved per display name and per part's filename).
        return value
    return _decode_words(value, reader)


def _decode_words(value: str, reader: _Reader | None = None) -> str:
    try:
        return str(make_header(decode_header(value)))
    except LookupError:
        if reader is not None:
            reader.defect("unknown_charset")
        return value
    except Exception:
        if reader is not None:
            reader.defect("undecodable_header")
        return value


# Headers whose encoded-words we decode; every other header is only unfolded (and read lower-cased by the
# machine-mail checks). Decoding all of them through the modern header registry cost ~1.3 ms per message.
_DECODED = frozenset({"subject", "content-language", "x-autoreply-from"})
_ADDRESS_HEADERS = ("from", "to", "cc", "reply-to", "sender")
_ADDR_SPEC = regex_code.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ANGLE_ADDR = regex_code.compile(r"<\s*([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)\s*>")
# The mailbox forms nearly all mail uses, for _simple_addresses: "a@b.c", "<a@b.c>", "Ana Lima <a@b.c>" and
# '"Lima, Ana" <a@b.c>', comma-separated. ASCII addr-specs only (dot-atoms, no IDN, no domain literal); a phrase
# of atoms (non-ASCII letters and encoded-words allowed) or one quoted string without escapes or controls; no
# comment, group, backslash or control character anywhere. Commas only separate mailboxes or sit in quotes.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_SIMPLE_SPEC = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
# A phrase character: atext, "." or any non-ASCII character, written as the ASCII it leaves out. Written as the
# characters it takes, it needs a range up to U+10FFFF, which cost re ~2.5 ms to compile (twice per cold start).
_PHRASE_CHAR = r"""[^\x00-\x20"(),:;<>@\[\\\]\x7f]"""
_PHRASE_ATOM = rf"{_PHRASE_CHAR}+"
_SIMPLE_MAILBOX = regex_code.compile(
    rf"[ \t]*(?:(?P<spec>{_SIMPLE_SPEC})"
    rf'|(?:"(?P<quoted>[^"\\\x00-\x1f\x7f]*)"|(?P<phrase>{_PHRASE_ATOM}(?:[ \t]+{_PHRASE_ATOM})*))?'
    rf"[ \t]*<(?P<angle>{_SIMPLE_SPEC})>)"
    r"[ \t]*(?:(?P<comma>,)|\Z)"
)
_BLANKS = regex_code.compile(r"[ \t]+")


@dataclass(frozen=True)
class _Headers:
    decoded: list[tuple[str, str]]  # (name, text) with encoded-words decoded where it matters
    raw: dict[str, list[str]]  # lower-cased name → raw texts, for address parsing
    first: dict[str, str]  # lower-cased name → its first decoded text (one scan, not one per header read)


def _header_text(value: str, reader: _Reader) -> str:
    """The stored value as text; 8-bit bytes (surrogate-escaped by the parser) are read as UTF-8, else cp1252."""
    if not value.isascii():
        data = value.encode("ascii", "surrogateescape") if _has_surrogates(value) else value.encode("utf-8")
        reader.defect("8bit_header")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", "replace")
    return _unfold(value) if "\n" in value else value


def _unfold(value: str) -> str:
    """``value`` without the line breaks of its folds: every ``\\r?\\n`` followed by a space or a tab is removed.

    One pass over the lines, as ``re.sub(r"\\r?\\n(?=[ \\t])", "", value)`` would remove them, at less than half
    its cost: re tries the optional CR at every offset of the long DKIM and Received values.
    """
    lines = value.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if out[-1].endswith("\r"):  # the CR of this fold's CRLF, never one already removed
                out[-1] = out[-1][:-1]
        else:
            out.append("\n")
        out.append(line)
    return "".join(out)


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in value)


def _read_headers(msg: Message, reader: _Reader) -> _Headers:
    decoded: list[tuple[str, str]] = []
    raw: dict[str, list[str]] = {}
    first: dict[str, str] = {}
    for name, stored in msg.raw_items():
        text = _header_text(str(stored), reader)
        key = name.lower()
        raw.setdefault(key, []).append(text)
        value = _decode_raw(text, reader) if key in _DECODED and "=?" in text else text
        decoded.append((name, value))
        first.setdefault(key, value)
    return _Headers(decoded=decoded, raw=raw, first=first)


def _clean_line(value: str) -> str:
    """One line of text: CR/LF and control characters (header injection) become spaces."""
    if value.isascii() and value.isprintable():
        return " ".join(value.split())  # no CR, LF, control or invisible character to replace (most headers)
    return _clean_any_line(value)


def _clean_any_line(value: str) -> str:
    return " ".join(
        _CONTROL.sub(" ", value.replace("\r", " ").replace("\n", " ")).translate(_INVISIBLE).split()
    )


def _addresses(raw_values: list[str], name: str, reader: _Reader) -> list[Address]:
    """Addresses of one header (all its repeats). Display names are decoded after splitting, so an encoded
    comma cannot split an address; a header the parser cannot read still yields its addr-specs."""
    if not raw_values:
        return []
    pairs = _simple_addresses(raw_values)
    if pairs is None:
        try:
            pairs = getaddresses(raw_values, strict=True)
        except TypeError:  # Python builds without the CVE-2023-27043 ``strict`` flag
            pairs = getaddresses(raw_values)
        except Exception:
            pairs = []
    found = [
        Address(name=_clean_line(_decode_raw(display, reader))[:200], address=_clean_line(addr).lower()[:320])
        for display, addr in pairs
        if _ADDR_SPEC.fullmatch(addr.strip())
    ]
    if len(found) < sum("@" in addr for _, addr in pairs):
        reader.defect(f"unparsable_address:{name}")
    if not found and any("@" in value for value in raw_values):
        # E.g. an encoded display name hiding ":" (group syntax) makes the parser return "evil@x?=": the
        # angle-bracketed addresses are what a mail client shows, else every addr-spec in the text.
        reader.defect(f"unparsable_address:{name}")
        joined = " ".join(raw_values)
        specs = _ANGLE_ADDR.findall(joined) or _ADDR_SPEC.findall(joined)
        found = [Address(address=addr.lower()[:320]) for addr in specs[:50]]
    return found[:100]


def _simple_addresses(raw_values: list[str]) -> list[tuple[str, str]] | None:
    """What ``getaddresses(raw_values)``, strict or not, returns, when every value is a list of the simple
    mailboxes ``_SIMPLE_MAILBOX`` reads; None for anything else, which goes to the full parser.

    The full parser costs ~8 µs per header and most mail has only these forms. On them both parsers agree: no
    parenthesis, bracket or backslash for the strict checks to refuse, and one comma outside quotes per
    further mailbox, which is the count the strict parser expects. The phrase comes back with its blank runs
    as single spaces, as the parser joins a phrase's words; a bare addr-spec has no name.
    """
    pairs: list[tuple[str, str]] = []
    for value in raw_values:
        pos = 0
        while True:
            match = _SIMPLE_MAILBOX.match(value, pos)
            if match is None:
                return None  # includes a trailing comma and an empty value: the parsers differ there
            spec, quoted, phrase, angle, comma = match.group("spec", "quoted", "phrase", "angle", "comma")
            if spec is not None:
                pairs.append(("", spec))
            else:
                phrase = _BLANKS.sub(" ", phrase) if phrase is not None else ""
                pairs.append((quoted if quoted is not None else phrase, angle))
            if comma is None:
                break
            pos = match.end()
    return pairs


def _message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References value: ids written with no space between
    them ("<a@x><b@y>") are two, a comment after one ("<a@x> (added by relay)") is not part of it. A value with no
    angle brackets at all is split on white space."""
    line = _clean_line(value)
    return tuple(_ANGLE_ID.findall(line)) or tuple(line.split())


def _walk(part: Message, reader: _Reader, depth: int = 0, seen: list[int] | None = None) -> Iterator[Message]:
    """Depth-first over the message's own MIME parts with caps on depth and part count.

    A ``message/*`` part is yielded but not entered: what a mail attached whole (a forward as attachment, a bounce's
    copy of the original) says is that mail's text, not the sender's. Read as the sender's, an attached
    out-of-office notice made a customer's request an absence notice and an attached phishing mail's wording was
    classified as the customer's.
    """
    seen = seen if seen is not None else [0]
    seen[0] += 1
    if seen[0] > MAX_PARTS:
        reader.defect("too_many_parts")
        return
    yield part
    if depth >= MAX_DEPTH:
        reader.defect("too_deep")
        return
    if part.is_multipart() and not _safe_content_type(part, reader).startswith("message/"):
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                yield from _walk(child, reader, depth + 1, seen)


def _safe_content_type(part: Message, reader: _Reader) -> str:
    try:
        return part.get_content_type()
    except Exception:
        reader.defect("unparsable_content_type")
        return "text/plain"


# A Content-Type whose parameters the stdlib reads as written, for _content_charset: "type/subtype" and plain
# "name=token" or 'name="text"' parameters. No RFC 2231 "name*", no escape, no ";" or control in quotes.
_MIME_ATOM = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_SIMPLE_MEDIA_TYPE = regex_code.compile(rf"[ \t\r\n]*{_MIME_ATOM}/{_MIME_ATOM}[ \t\r\n]*")
_SIMPLE_PARAM = regex_code.compile(
    rf'[ \t\r\n]*([A-Za-z0-9!#$%&\'+.^_`|~-]+)[ \t\r\n]*=[ \t\r\n]*(?:({_MIME_ATOM})|"([^"\\;\x00-\x1f\x7f]*)")[ \t\r\n]*'
)


def _names_no_file(part: Message) -> bool:
    """Whether ``get_filename`` and ``get_content_disposition`` have nothing to find (~9 µs of parameter parsing
    saved): no Content-Disposition and no "name" anywhere in an ASCII Content-Type. They return None then, or
    raise on a broken parameter list, which ``_is_attachment`` reads as no file as well."""
    if part.get("content-disposition") is not None:
        return False
    content_type = part.get("content-type")
    return content_type is None or (
        isinstance(content_type, str) and content_type.isascii() and "name" not in content_type.lower()
    )


def _content_charset(part: Message) -> str | None:
    """``part.get_content_charset()``, read directly from a Content-Type of the simple form most text parts have.

    There the stdlib splits at every ";", lower-cases and strips each name, unquotes each value and returns the
    first "charset" lower-cased, as this does in a third of the time. Anything else goes to the stdlib.
    """
    value = part.get("content-type")
    if value is None:
        return None
    if isinstance(value, str) and value.isascii():
        media_type, *params = value.split(";")
        matches = [_SIMPLE_PARAM.fullmatch(param) for param in params]
        simple = [match.groups() for match in matches if match is not None]
        if len(simple) == len(params) and _SIMPLE_MEDIA_TYPE.fullmatch(media_type):
            charsets = (
                (quoted if token is None else token).lower()
                for name, token, quoted in simple
                if name.lower() == "charset"
            )
            return next(charsets, None)
    return part.get_content_charset()


def _is_attachment(part: Message, content_type: str) -> tuple[bool, str]:
    try:
        if _names_no_file(part):
            filename, disposition = "", ""
        else:
            filename = part.get_filename() or ""
            disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        filename, disposition = "", ""
    filename = _clean_line(_decode_raw(filename))
    attached = (
        disposition == "attachment" or bool(filename) or not content_type.startswith(("text/", "multipart/"))
    )
    return attached and not content_type.startswith("multipart/"), filename


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "replace") if isinstance(payload, str) else b""


def _attachment_size(part: Message) -> int:
    """Decoded size; for base64 computed from the encoded length (decoding a 30 MB attachment only to count
    its bytes cost a second copy of it in memory and ~0.2 s)."""
    payload = part.get_payload()
    if (
        isinstance(payload, str)
        and str(part.get("content-transfer-encoding", "")).strip().lower() == "base64"
    ):
        encoded = len(payload) - sum(payload.count(char) for char in "\r\n \t")
        return max(0, encoded * 3 // 4 - payload.rstrip().count("="))
    return len(_payload_bytes(part))


def _attached_message_size(part: Message) -> int:
    """Bytes of a ``message/*`` part's content: the stdlib parsed it into message objects, so it is written out
    again (the attachment's real size, where ``_attachment_size`` read an empty payload)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _attachment_size(part)
    # A broken inner header the generator refuses: the size is metadata, never worth a crash.
    try:
        return sum(len(inner.as_bytes()) for inner in payload if isinstance(inner, Message))
    except Exception:
        return 0


def _part_text(part: Message, reader: _Reader) -> str:
    """Decoded text of a text/* part, surviving unknown charsets and undeclared 8-bit bytes."""
    data = _payload_bytes(part)
    try:
        charset = _content_charset(part)
    except Exception:
        charset = None
    if charset in _CP1252_LABELS:
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            charset = "cp1252"  # "latin-1" with curly quotes and the euro sign is windows-1252
    if charset and not _text_codec(charset):
        # "undefined", "punycode", "rot13", "base64_codec" ... name codecs that are not text encodings.
        reader.defect("unknown_charset")
        charset = ""
    if charset:
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            reader.defect("charset_mismatch")
            try:
                return data.decode(charset, "replace")
            except (UnicodeError, ValueError):
                pass
        except (LookupError, UnicodeError, ValueError):
            reader.defect("unknown_charset")
    elif any(byte > 0x7F for byte in data):
        reader.defect("8bit_without_charset")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def html_to_text(html: str) -> str:
    """Readable text from an HTML body (BeautifulSoup with the stdlib parser: no compiled dependency).

    A ``<br>`` is one line break (Outlook's "From:<br>Sent:<br>To:" reply header must stay one block for the quote
    cutter); quoted history is marked as plain text marks it (see ``_QUOTE_OPEN``), so the plain-text and HTML
    versions of one reply give the same new text.

    Imported here, not at module level: bs4 costs ~0.1 s of cold start and most mail has a plain-text part.
    """
    from bs4 import BeautifulSoup
    from bs4.element import CData, NavigableString, Tag

    soup = BeautifulSoup(html.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, ""), "html.parser")
    history = soup.find(id=_REPLY_HEADER_IDS)
    quoted: set[int] = set()
    for quote in soup.find_all("blockquote"):
        quoted.add(id(quote))
        attribution = _previous_tag(quote)
        if attribution is not None and _QUOTE_ATTRIBUTION_CLASSES & set(
            attribution.get_attribute_list("class")
        ):
            quoted.add(id(attribution))
    # One walk over the tree, writing a tag's line breaks as it is entered and left: editing the tree instead
    # (insert_before, replace_with) costs a scan of the siblings per tag, quadratic in a large flat body.
    parts: list[str] = []
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            parts.append(node)  # a closing mark pushed below
        elif isinstance(node, Tag):
            if node.name in _HTML_DROP:
                continue
            if node.name == "br":
                parts.append("\n")
                continue
            closing: list[str] = []
            if node is history:
                parts.append(f"\n{HTML_HISTORY_MARKER}\n")
            if node.name in _HTML_BLOCKS:
                parts.append("\n")
                closing.append("\n")
            if node.name in ("td", "th"):
                closing.insert(0, " ")
            if id(node) in quoted:
                parts.append(f"\n{_QUOTE_OPEN}\n")
                closing.insert(0, f"\n{_QUOTE_CLOSE}\n")
            stack.append("".join(closing))
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    return _BLANK_RUN.sub("\n\n", "\n".join(_quoted_lines("".join(parts)))).strip()


def _previous_tag(tag: Tag) -> Tag | None:
    """The element just before ``tag``, if only blank text (or a script or style, never read) lies between them."""
    from bs4 import Tag

    for sibling in tag.previous_siblings:
        if isinstance(sibling, Tag):
            if sibling.name in _HTML_DROP:
                continue
            return sibling
        if str(sibling).strip():
            return None
    return None


def _quoted_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, blanks collapsed, each between quote marks prefixed with one ">" per level."""
    depth = 0
    last = ""
    for raw_line in text.splitlines():
        line = " ".join(raw_line.split())
        if line in (_QUOTE_OPEN, _QUOTE_CLOSE):
            depth = depth + 1 if line == _QUOTE_OPEN else max(0, depth - 1)
            continue
        if depth:
            line = f"{'>' * depth} {line}".rstrip()
            if line == last and line.strip(">") == "":
                continue  # one quoted blank line, not a run
        last = line
        yield line


# Machine reports that travel as message/* parts (RFC 3464, 8098, 6533): read for their type, never a defect.
_REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/disposition-notification",
        "message/global-delivery-status",
        "message/global-disposition-notification",
    }
)


# Text styled so that the person reading the mail never sees it (display:none, hidden, 0–1 px, white): words meant
# for a machine that reads the HTML, such as instructions to an assistant. A customer's mail client writes none.
_HIDDEN_HTML_TEXT = regex_code.compile(
    r"""<(?:div|span|p|font|td|a|b|i|em|strong|small)\b[^>]*\bstyle\s*=\s*(["'])(?:(?!\1).)*?(?:display\s*:\s*none
    |visibility\s*:\s*hidden|font-size\s*:\s*0*[01](?:\.0+)?(?:px|pt)?\s*(?:;|["'])|(?<![-\w])color\s*:\s*(?:\#fff(?:fff)?|white)\b)
    [^>]*>\s*[^<\s&]""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# A calendar answer (Accepted:, Declined:): the client writes it when its owner clicks a button. Not text to read.
_CALENDAR_REPLY = regex_code.compile(r"^METHOD:REPLY\s*$", re.MULTILINE | re.IGNORECASE)


# Words of the HTML part that the plain part lacks, from this many on: the mail a person sees says more than the text
# we read ("the front brake failed and I broke my collarbone" only in the HTML). A client writes both parts from one
# draft, so they differ by a word or two at most (a link's text, an image's name).
HTML_EXTRA_WORDS = 6
_WORD = regex_code.compile(r"[^\W\d_]{3,}")


def _says_more(html: list[str], plain: str) -> bool:
    known = set(_WORD.findall(plain.casefold()))
    extra = set(_WORD.findall(html_to_text("\n".join(html)).casefold())) - known
    return len(extra) >= HTML_EXTRA_WORDS


def _body(msg: Message, reader: _Reader) -> tuple[str, list[Attachment], set[str]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    part_types: set[str] = set()
    walked: list[Message] = []
    for part in _walk(msg, reader):
        walked.append(part)
        content_type = _safe_content_type(part, reader)
        part_types.add(content_type)
        if content_type.startswith("multipart/"):
            continue
        attached, filename = _is_attachment(part, content_type)
        if content_type.startswith("message/"):
            # A mail the customer attached is not read as theirs: a person opens it (a report is a bounce's).
            if content_type not in _REPORT_PARTS:
                reader.defect("attached_message")
            size = _attached_message_size(part)
            attachments.append(Attachment(filename=filename[:255], content_type=content_type, size=size))
        elif attached:
            if content_type == "application/ms-tnef":
                reader.defect("tnef_attachment")
            attachments.append(
                Attachment(filename=filename[:255], content_type=content_type, size=_attachment_size(part))
            )
        elif content_type == "text/html":
            html.append(_part_text(part, reader))
        elif content_type == "text/calendar":
            # An invitation or an answer to one: a file for a person to open, not words the customer wrote.
            size = _attachment_size(part)
            attachments.append(
                Attachment(filename=filename[:255] or "invite.ics", content_type=content_type, size=size)
            )
            method = str(part.get_param("method", "", header="content-type") or "")
            if method.lower() == "reply" or (not method and _CALENDAR_REPLY.search(_part_text(part, reader))):
                part_types.add(machine_mail.CALENDAR_REPLY_TYPE)
        elif content_type.startswith("text/") and content_type != "text/rfc822-headers":
            plain.append(_part_text(part, reader))
    for part in walked:  # every part's defects, including those its payload decoding found (bad base64)
        for defect in getattr(part, "defects", []):
            reader.defect(_defect_code(defect))
    if any(_HIDDEN_HTML_TEXT.search(chunk) for chunk in html):
        reader.defect("hidden_html_text")
    if plain and any(chunk.strip() for chunk in plain):
        text = "\n\n".join(chunk.strip("\n") for chunk in plain)
        if html and _says_more(html, text):
            reader.defect("html_says_more")
    elif html:
        text = "\n\n".join(html_to_text(chunk) for chunk in html)
    else:
        text = ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip(), attachments, part_types
