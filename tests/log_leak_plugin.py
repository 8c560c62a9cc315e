"""Session-wide log leak check: no e-mail address, subject or body text may reach a log line (issue 8, point 4).

Registered from ``tests/conftest.py`` (``pytest_plugins = ["log_leak_plugin"]``). For the whole session it sees

* every ``LogRecord`` any logger hands to its handlers (``logging.Logger.callHandlers``): the message, its
  arguments, every ``extra=`` field and the formatted exception, whether or not a handler prints it;
* every line any handler formats (``logging.Handler.format``): the Powertools ``triage`` logger writes JSON to stdout
  through its own ``StreamHandler`` with ``propagate`` on, so this is the exact text CloudWatch would store,
  including appended keys and the ``exception`` field.

At the end of the session it looks in them for

* an e-mail address (any ``local@domain.tld``), except our own configured addresses (``Settings``:
  ``reply_from_address`` and ``support_addresses``): those are configuration, not a customer's data, and appear in
  log lines only as the value we send from or receive at. Every other address is flagged, even ``example.*`` ones,
  since the fixtures use those for customers;
* a subject or a body sentence (12 characters or more) of the fixtures: ``events/email/*.eml``,
  ``events/machine_mail/*.eml`` and the text fields of ``events/webhooks/**/*.json``.

A leak fails the session (exit status 1, even when every test passed) with a report naming each leak, the test that
logged it and the log line. Only this process is watched: CLI tests that spawn a subprocess are not.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from session_watch import session_hooks

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "events"
MIN_NEEDLE = 12
# The local parts real addresses use (the RFC allows more, but ' and = would swallow the quote of a repr).
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Webhook payload fields that carry what a customer (or agent) wrote.
_TEXT_KEYS = re.compile(
    r"subject|title|text|body|html|description|comment|content|message|preview|blurb|snippet"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|<[^>]+>")
# Keys of a Powertools line that say when and where, never what: left out so identical lines collapse.
_VOLATILE = frozenset({"timestamp", "xray_trace_id", "sampling_rate", "location"})
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _sentences(text: str) -> Iterator[str]:
    for piece in _SENTENCE_END.split(text):
        piece = _squash(piece.lstrip("> \t"))
        if len(piece) >= MIN_NEEDLE:
            yield piece


def _json_texts(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _json_texts(inner, str(name))
    elif isinstance(value, list):
        for inner in value:
            yield from _json_texts(inner, key)
    elif isinstance(value, str) and " " in value.strip() and _TEXT_KEYS.search(key.lower()):
        yield value


def fixture_needles() -> dict[str, str]:
    """Subject and body sentences of the fixtures (squashed, case-folded) → the file they come from."""
    from triage.parsing.email import parse_email

    needles: dict[str, str] = {}
    for path in sorted([*(EVENTS / "email").glob("*.eml"), *(EVENTS / "machine_mail").glob("*.eml")]):
        message = parse_email(path.read_bytes())
        for text in (message.subject, message.full_text):
            for sentence in _sentences(text):
                needles.setdefault(sentence, path.relative_to(REPO).as_posix())
    for path in sorted((EVENTS / "webhooks").glob("*/*.json")):
        if path.name.endswith((".expected.json", ".headers.json")):
            continue
        for text in _json_texts(json.loads(path.read_text(encoding="utf-8"))):
            for sentence in _sentences(text):
                needles.setdefault(sentence, path.relative_to(REPO).as_posix())
    return needles


def own_addresses() -> frozenset[str]:
    from triage.service import own_addresses as configured
    from triage.settings import Settings

    return frozenset(address.lower() for address in configured(Settings.from_env()))


def _record_text(record: logging.LogRecord) -> str:
    try:
        parts = [record.getMessage()]
    except Exception:  # a broken %-format is still a record: look at its parts
        parts = [str(record.msg), repr(record.args)]
    parts += [f"{name}={value!r}" for name, value in vars(record).items() if name not in _STANDARD]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
    if record.exc_text:
        parts.append(record.exc_text)
    return "\n".join(parts)


def _line_text(line: str) -> str:
    try:
        document = json.loads(line)
    except ValueError:
        return line
    if not isinstance(document, dict):
        return line
    kept = {key: value for key, value in document.items() if key not in _VOLATILE}
    # Decoded, so a \\u-escaped or JSON-escaped sentence is still found.
    return json.dumps(kept, ensure_ascii=False, default=str) + "\n" + "\n".join(_flat(kept))


def _flat(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _flat(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _flat(inner)
    else:
        yield str(value)


@dataclass
class LeakWatch:
    current: str = "(collection)"
    title: str = "log leaks: addresses, subjects or bodies in log lines"
    label: str = "LEAK"
    seen: dict[str, str] = field(default_factory=dict)  # distinct logged text → first test that logged it
    leaks: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text and text not in self.seen:
            self.seen[text] = self.current

    def install(self) -> None:
        watch = self
        original_call = logging.Logger.callHandlers
        original_format = logging.Handler.format

        def call_handlers(logger: logging.Logger, record: logging.LogRecord) -> None:
            watch.note(_record_text(record))
            original_call(logger, record)

        def format_line(handler: logging.Handler, record: logging.LogRecord) -> str:
            line = original_format(handler, record)
            watch.note(_line_text(line))
            return line

        self._restore = (original_call, original_format)
        logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
        logging.Handler.format = format_line  # type: ignore[method-assign]

    def uninstall(self) -> None:
        restore = getattr(self, "_restore", None)
        if restore:
            logging.Logger.callHandlers, logging.Handler.format = restore  # type: ignore[method-assign]

    def check(self) -> list[str]:
        needles = fixture_needles()
        ours = own_addresses()
        leaks: list[str] = []
        reported: set[tuple[str, str]] = set()  # one report per leak and test (a record is seen 2-3 ways)
        for text, test in self.seen.items():
            squashed = _squash(text)
            found = sorted({a for a in ADDRESS.findall(text) if a.lower() not in ours})
            found += [f"{needle!r} (from {where})" for needle, where in needles.items() if needle in squashed]
            for what in found:
                if (what, test) in reported:
                    continue
                reported.add((what, test))
                excerpt = text if len(text) <= 400 else text[:400] + "…"
                leaks.append(f"{what}\n    logged by: {test}\n    line: {excerpt!r}")
        self.leaks = leaks
        return leaks

    @property
    def findings(self) -> list[str]:
        return self.leaks

    def summary(self) -> str:
        if self.leaks:
            return f"log leak check FAILED: {len(self.leaks)} leak(s) in {len(self.seen)} distinct log lines"
        return f"log leak check: {len(self.seen)} distinct log lines, no address, subject or body"


_WATCH = LeakWatch()


globals().update(session_hooks(_WATCH))
