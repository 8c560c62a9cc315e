"""Our replies and notes are plain text; some vendors take HTML. Escape, then keep the paragraphs and lines."""

from __future__ import annotations

import html
import re

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def to_html(text: str) -> str:
    """Plain text as safe HTML: every ``<``, ``&`` and quote escaped, blank lines as paragraphs, newlines as ``<br>``."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [part.strip("\n") for part in _BLANK_LINES.split(normalised) if part.strip()]
    return "".join(
        "<p>" + html.escape(part, quote=True).replace("\n", "<br>") + "</p>" for part in paragraphs
    )
