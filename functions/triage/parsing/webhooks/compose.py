"""CustomerMessage → InboundMessage: text from HTML, the reply without quotes, language, ids, our-own-post checks."""

from __future__ import annotations

import re
from typing import Final

from triage.language import detect_language
from triage.message import Address, Channel, InboundMessage
from triage.parsing.email import MAX_FULL_TEXT_CHARS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS, html_to_text
from triage.parsing.machine_mail import LOOP_HEADER
from triage.parsing.quoting import extract_reply
from triage.parsing.webhooks.model import CustomerMessage, Ignore

#: A tag or author name that marks something we wrote: a ticket we created, a post our sender made.
OUR_TAG: Final = "triage-bot"
NO_TEXT: Final = "no_text"  # the customer sent no words (an attachment, a photo): a person reads it
#: A loop marker (the loop header's name, e.g. a last line "x-support-triage-loop: <token>") that a custom
#: integration or a trigger template may put into what it posts for us. Found in the unquoted lines of a body, it
#: means "our post". Our own sender does not write it (customers would read it): its posts are known by the
#: vendor's author role (agent, admin) or the API user's name ``triage-bot``, and a ticket gets one automatic reply
#: in any case (its thread key), so an echo that slips through is handed to a person, not answered.
LOOP_MARKER: Final = LOOP_HEADER

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ID_PART: Final = 96
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ADDRESS = re.compile(r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,255}")
_HTML_HINT = re.compile(r"<(?:p|div|br|span|b|i|a|ul|ol|li|table|blockquote|html|body)\b", re.IGNORECASE)


def person(name: str, address: str) -> Address:
    """An author with control characters removed; an address that is not ``local@domain`` is dropped."""
    clean_name = " ".join(_CONTROL.sub(" ", name).split())[:200]
    clean_address = address.strip()
    if not _ADDRESS.fullmatch(clean_address):
        clean_address = ""
    return Address(name=clean_name, address=clean_address)


def safe_id(value: str) -> str:
    """An id made of ``[A-Za-z0-9._-]`` only (other runs become '-'), at most 96 characters."""
    return _UNSAFE_ID.sub("-", value).strip("-")[:_MAX_ID_PART] or "none"


def body_text(text: str, html: str) -> str:
    """The readable body: the vendor's plain text if it gave one, else the HTML as text."""
    if text and not _HTML_HINT.search(text):
        plain = text
    elif html or text:
        plain = html_to_text(html or text)
    else:
        plain = ""
    plain = _CONTROL.sub("", plain.replace("\r\n", "\n").replace("\r", "\n"))
    return plain.strip()[:MAX_FULL_TEXT_CHARS]


def is_our_author(author: Address) -> bool:
    local = author.address.split("@", 1)[0].lower()
    return OUR_TAG in (author.name.strip().lower(), local)


def carries_loop_marker(full_text: str) -> bool:
    marker = LOOP_MARKER.lower()
    return any(marker in line.lower() for line in full_text.splitlines() if not line.lstrip().startswith(">"))


def own_post(found: CustomerMessage, full_text: str) -> bool:
    """Ours: the loop marker in the body, our author name, or a new ticket carrying our tag.

    A customer's *reply* on a ticket we tagged (an escalation adds the tag) is still the customer's message.
    """
    if carries_loop_marker(full_text) or is_our_author(found.author):
        return True
    return found.creates_ticket and OUR_TAG in {tag.lower() for tag in found.tags}


def to_message(provider: str, delivery_id: str, found: CustomerMessage) -> InboundMessage | Ignore:
    full_text = body_text(found.text, found.html)
    if own_post(found, full_text):
        return Ignore("own_post")
    text = extract_reply(full_text)[:MAX_TEXT_CHARS] if full_text else ""
    account, ticket, key = (
        safe_id(part) for part in (found.account or "-", found.ticket_id, found.message_key)
    )
    subject = " ".join(_CONTROL.sub(" ", found.subject).split())[:MAX_SUBJECT_CHARS]
    return InboundMessage(
        id=f"{provider}-{safe_id(delivery_id)}",
        dedupe_key=f"{provider}:{account}:{ticket}:{key}",
        channel=Channel.WEBHOOK,
        provider=provider,
        message_id=f"<{provider}.{account}.{ticket}.{key}@webhook.invalid>",
        from_=found.author,
        subject=subject,
        text=text,
        full_text=full_text,
        language=detect_language(text or full_text),
        ticket_id=found.ticket_id,
        account=found.account,
        tags=found.tags,
        brand=found.brand,
        # A photo or a file with no words (the vendor sends an empty body): nothing to read, so a person looks.
        defects=() if full_text.strip() else (NO_TEXT,),
    )
