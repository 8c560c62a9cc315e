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
from functools import cached_property
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict

from triage import regex_code
from triage.entities import order_numbers
from triage.message import Address, InboundMessage, without_reply_prefixes
from triage.parsing.machine_mail import LOOP_HEADER, REPLY_MESSAGE_ID_PREFIX

FOOTER = "_footer"
MAX_REFERENCES = 20
# Thread headers stay on one line (RFC 5322 allows 998): some clients thread badly on folded In-Reply-To.
_POLICY = SMTP.clone(max_line_length=998)

_LINE_BREAKS = regex_code.compile(r"[\r\n\x00-\x1f\x7f]+")
# A title (then the name is a surname), or a team, role or company word: the display name holds no first name.
_NOT_A_FIRST_NAME_TEXT = (
    "mr mrs ms miss mx dr prof sir madam madame herr frau mme mlle sr sra srta don dona doña the team accounts "
    "accounting payable receivable customer customers service services support sales billing info admin office "
    "department dept finance purchasing procurement reception family"
)
_NOT_A_FIRST_NAME = frozenset(_NOT_A_FIRST_NAME_TEXT.split())
_NAME = regex_code.compile(r"^[^\W\d_][^\W\d_'’-]{1,30}$")


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


class TemplateError(ValueError):
    """A reply template that could produce a broken reply (an unknown placeholder, no footer)."""


# What a template may use. ``order_number`` is required: without one in the message the template is not sent
# (its ``<intent>.ask.txt`` sibling asks for the number, or a person takes over).
OPTIONAL_FIELDS = frozenset({"order_clause", "help_url", "signature"})
REQUIRED_FIELDS = frozenset({"order_number"})
ASK_SUFFIX = ".ask"


class Rendered(BaseModel):
    """A filled template, or the fields the message lacked for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str | None = None
    missing: tuple[str, ...] = ()
    asks_for_missing: bool = False


class ReplyTemplates:
    """Per-intent reply templates from one folder (``infra/templates``; the config layer in Lambda).

    Every template is read and checked once, at start-up: a placeholder we cannot fill stops the function there,
    never in a customer's inbox.
    """

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise TemplateError(f"{directory}: reply template folder not found")
        self._templates: dict[str, Template] = {}
        self._required: dict[str, frozenset[str]] = {}  # the REQUIRED_FIELDS each template names
        for path in sorted(directory.glob("*.txt")):
            template = Template(path.read_text(encoding="utf-8"))
            if not template.is_valid():
                raise TemplateError(
                    f"{path}: malformed placeholder (a lone '$'? write '$$' for a dollar sign)"
                )
            names = frozenset(template.get_identifiers())
            unknown = names - OPTIONAL_FIELDS - REQUIRED_FIELDS
            if unknown:
                raise TemplateError(f"{path}: unknown placeholder(s) {', '.join(sorted(unknown))}")
            self._templates[path.stem] = template
            self._required[path.stem] = names & REQUIRED_FIELDS
        if FOOTER not in self._templates:
            raise TemplateError(f"{directory}: {FOOTER}.txt (the footer every reply ends with) is missing")

    @cached_property  # the templates are read once, at start-up
    def intents(self) -> frozenset[str]:
        return frozenset(
            name for name in self._templates if not name.startswith("_") and ASK_SUFFIX not in name
        )

    def render_answer(self, answer: str, message: InboundMessage, style: ReplyStyle) -> Rendered:
        """An approved FAQ answer (issue 7) in the same frame as every reply: greeting, answer, footer."""
        values = {
            "order_clause": "",
            "order_number": "",
            "help_url": style.help_url.rstrip("/"),
            "signature": style.signature,
        }
        name = first_name(message.customer)
        greeting = f"Hi {name}," if name else "Hello,"
        footer = self._templates[FOOTER].substitute(values)
        return Rendered(body=f"{greeting}\n\n{answer.strip()}\n{footer}")

    def render(self, intent: str, message: InboundMessage, style: ReplyStyle) -> Rendered:
        template = self._templates.get(intent)
        if template is None:
            return Rendered()
        orders = order_numbers(f"{message.subject}\n{message.text}")
        values = {
            "order_clause": f" (order {orders[0]})" if orders else "",
            "order_number": orders[0] if orders else "",
            "help_url": style.help_url.rstrip("/"),
            "signature": style.signature,
        }
        missing = tuple(sorted(name for name in self._required[intent] if not values[name]))
        asks = False
        if missing:
            ask = self._templates.get(intent + ASK_SUFFIX)
            if ask is None or self._required[intent + ASK_SUFFIX]:
                return Rendered(missing=missing)
            template, asks = ask, True
        name = first_name(message.customer)
        greeting = f"Hi {name}," if name else "Hello,"
        footer = self._templates[FOOTER].substitute(values)
        body = f"{greeting}\n\n{template.substitute(values).strip()}\n{footer}"
        return Rendered(body=body, missing=missing, asks_for_missing=asks)


def first_name(sender: Address) -> str:
    """A first name only when the display name clearly holds one ("Jane Doe", "Doe, Jane")."""
    name = sender.name.strip().strip('"')
    if "," in name:
        name = name.split(",", 1)[1]
    words = name.split()
    candidate = words[0] if words else ""
    if not _NAME.match(candidate) or candidate.isupper() or "@" in name:
        return ""
    if {word.strip(".").lower() for word in words} & _NOT_A_FIRST_NAME:
        return ""  # "Mr Smith", "Herr Weber", "Accounts Payable", "The Smiths": "Hello," rather than "Hi Mr,"
    return candidate[:1].upper() + candidate[1:]


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, on one line: CR/LF from encoded-words never reach a header (REFERENCE §4.1)."""
    clean = " ".join(_LINE_BREAKS.sub(" ", subject).split())
    clean, _ = without_reply_prefixes(clean)
    return f"Re: {clean[:200]}" if clean else "Re: your message"


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


# The footer ends below a signature separator ("--" alone on a line; RFC 3676 writes "-- ") with a notice that the
# answer is automatic: true of what we send, false of the same words sent by a person.
_SIGNATURE_SEPARATOR = regex_code.compile(r"^--[ \t]?$", re.MULTILINE)
_AUTOMATIC = regex_code.compile(r"\bautomat(ic|ed|ically)\b", re.IGNORECASE)


def without_automatic_notice(body: str) -> str:
    """A rendered reply as a person would send it: the block below the last ``--`` line is cut when it says the
    answer is automatic (our footer's notice); the greeting, the answer and the signature stay."""
    separators = list(_SIGNATURE_SEPARATOR.finditer(body))
    if separators and _AUTOMATIC.search(body[separators[-1].end() :]):
        body = body[: separators[-1].start()]
    return body.rstrip()
