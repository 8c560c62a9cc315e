"""Automatic replies: per-intent templates in our own words, sent in thread with every RFC 3834 marker.

Every reply says it is automatic, carries ``Auto-Submitted: auto-replied`` (so other robots stay silent),
``X-Auto-Response-Suppress: All`` (so Exchange sends no out-of-office back), our loop header, and a Message-ID with
a prefix we recognise when a customer answers it.
"""

from __future__ import annotations

import re
import uuid
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict

from triage.entities import extract_entities
from triage.message import Address, InboundMessage
from triage.parsing.machine_mail import LOOP_HEADER, REPLY_MESSAGE_ID_PREFIX

TEMPLATE_DIR = Path(__file__).with_name("templates")
FOOTER = "_footer"
MAX_REFERENCES = 20
# Thread headers stay on one line (RFC 5322 allows 998): some clients thread badly on folded In-Reply-To.
_POLICY = SMTP.clone(max_line_length=998)

_SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|r|rv|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]{1,30}$")


class ReplyContent(BaseModel):
    """What to send, before it becomes MIME (also what `triage decide` prints)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: tuple[str, ...]
    subject: str
    body: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


class ReplyStyle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    help_url: str
    signature: str


@lru_cache(maxsize=64)
def _template(name: str) -> Template | None:
    path = TEMPLATE_DIR / f"{name}.txt"
    return Template(path.read_text(encoding="utf-8")) if path.is_file() else None


@lru_cache(maxsize=1)
def templated_intents() -> frozenset[str]:
    return frozenset(path.stem for path in TEMPLATE_DIR.glob("*.txt") if not path.stem.startswith("_"))


def first_name(sender: Address) -> str:
    """A first name only when the display name clearly holds one ("Jane Doe", "Doe, Jane")."""
    name = sender.name.strip().strip('"')
    if "," in name:
        name = name.split(",", 1)[1]
    candidate = name.split()[0] if name.split() else ""
    if not _NAME.match(candidate) or candidate.isupper() or "@" in name:
        return ""
    return candidate[:1].upper() + candidate[1:]


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, on one line: CR/LF from encoded-words never reach a header (REFERENCE §4.1)."""
    clean = " ".join(_LINE_BREAKS.sub(" ", subject).split())
    clean = _SUBJECT_PREFIX.sub("", clean).strip()
    return f"Re: {clean[:200]}" if clean else "Re: your message"


def reply_body(intent: str, message: InboundMessage, style: ReplyStyle) -> str | None:
    """The filled template for ``intent``, or None when we have no template for it."""
    template = _template(intent)
    footer = _template(FOOTER)
    if template is None or footer is None:
        return None
    orders = extract_entities(f"{message.subject}\n{message.text}").order_numbers
    values = {
        "order_clause": f" (order {orders[0]})" if orders else "",
        "help_url": style.help_url.rstrip("/"),
        "signature": style.signature,
    }
    name = first_name(message.from_)
    greeting = f"Hi {name}," if name else "Hello,"
    return f"{greeting}\n\n{template.safe_substitute(values).strip()}\n{footer.safe_substitute(values)}"


def reply_content(message: InboundMessage, body: str) -> ReplyContent:
    recipients = message.reply_to or (message.from_,)
    references = tuple(ref for ref in (*message.references, message.message_id) if ref)[-MAX_REFERENCES:]
    return ReplyContent(
        to=tuple(address.address for address in recipients if address.address),
        subject=reply_subject(message.subject),
        body=body,
        in_reply_to=message.message_id,
        references=references,
    )


def _message_id_token(value: str) -> str:
    value = _LINE_BREAKS.sub("", value).strip().strip("<>").strip()
    return f"<{value}>" if value else ""


def compose_mime(
    content: ReplyContent, *, from_address: str, from_name: str, loop_token: str
) -> EmailMessage:
    """The RFC 5322 reply, ready for SES ``SendRawEmail``."""
    mime = EmailMessage(policy=_POLICY)
    local, _, domain = from_address.partition("@")
    mime["From"] = HeaderAddress(display_name=from_name, username=local, domain=domain)
    mime["To"] = ", ".join(content.to)
    mime["Subject"] = content.subject
    mime["Message-ID"] = f"<{REPLY_MESSAGE_ID_PREFIX}{uuid.uuid4().hex}@{domain}>"
    in_reply_to = _message_id_token(content.in_reply_to)
    if in_reply_to:
        mime["In-Reply-To"] = in_reply_to
    references = " ".join(filter(None, (_message_id_token(ref) for ref in content.references)))
    if references:
        mime["References"] = references
    mime["Auto-Submitted"] = "auto-replied"
    mime["X-Auto-Response-Suppress"] = "All"
    mime["Precedence"] = "auto_reply"
    mime[LOOP_HEADER] = loop_token
    mime.set_content(content.body, charset="utf-8")
    return mime
