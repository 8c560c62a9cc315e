"""The one normalised shape every inbound support message takes, whatever door it came through."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from triage import regex_code
from triage.parsing.machine_mail import RELAYED_SENDER

# "Re:", "AW:", "SV:", "VS:", "Odp:", "Antwort:", "RES:", "回复：", "Fwd:" …, any number, a counter ("Re[2]:"), a
# full-width colon: what mail clients in many languages put before a subject they answer or forward.
_REPLY_PREFIX = regex_code.compile(
    r"^\s*((re|aw|sv|vs|antw|antwort|r|rv|res|ref|odp|ynt|fw|fwd|wg|tr|enc|doorst|vb|vl|pd|回复|回覆|答复|转发|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)


# The prefixes among those that mark a forward (Fwd:, FW:, WG:, TR:, ENC:, RV:, Doorst:, VB:, VL:, PD:, 转发: …).
# "VS:" is a Danish or Norwegian forward and a Finnish reply: read as a forward (what it decides is who reads it).
_FORWARD_PREFIX = regex_code.compile(
    r"(?:^|[\s:：\]])(fw|fwd|wg|tr|enc|rv|doorst|vb|vl|vs|pd|转发|轉寄)\s*(\[\d+\])?\s*[:：]", re.IGNORECASE
)


def subject_forwards(subject: str) -> bool:
    """The subject starts with a forward's prefix, alone or among reply prefixes ("Fwd:", "Re: FW:")."""
    match = _REPLY_PREFIX.match(subject)
    return match is not None and _FORWARD_PREFIX.search(match.group(0)) is not None


def without_reply_prefixes(subject: str) -> tuple[str, bool]:
    """The subject without the prefixes of replies and forwards, and whether it had one."""
    match = _REPLY_PREFIX.match(subject)
    return (subject[match.end() :].strip(), True) if match else (subject.strip(), False)


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    address: str = ""


class Attachment(BaseModel):
    """Metadata only: attachment content never travels on a queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str = ""
    content_type: str = "application/octet-stream"
    size: int = 0


class RawPointer(BaseModel):
    """Where the original bytes live (claim check), so a human can always open the real thing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str
    key: str
    size: int = 0


class InboundMessage(BaseModel):
    id: str = Field(
        description="Stable id of this delivery (SES message id / S3 object name); the idempotency key."
    )
    dedupe_key: str = Field(
        "",
        description="Same message, same key, however often it is delivered (RFC Message-ID + our recipients).",
    )
    channel: Channel = Channel.EMAIL
    provider: str = "ses"
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    from_: Address = Field(default_factory=Address, alias="from")
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    text: str = Field(
        "", description="What the customer wrote this time: quoted history and signature removed."
    )
    full_text: str = Field("", description="The whole readable body, quotes and signature included.")
    language: str | None = None
    attachments: tuple[Attachment, ...] = ()
    ticket_id: str = Field(
        "", description="The helpdesk's ticket or conversation id (replies go back there)."
    )
    account: str = Field("", description="The helpdesk account, subdomain or inbox the webhook came from.")
    tags: tuple[str, ...] = Field((), description="Helpdesk ticket tags (segment routing).")
    brand: str = Field("", description="Helpdesk brand or inbox (segment routing).")
    auto_signals: tuple[str, ...] = Field((), description="Machine-mail signals found (REFERENCE §1.3).")
    defects: tuple[str, ...] = Field((), description="What went wrong while reading the message.")
    raw: RawPointer | None = None

    # A validation error's text names each field and the problem, never the value: it reaches logs and traces (a
    # poison message on a queue), and the value would be the customer's address or words.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, hide_input_in_errors=True)

    @property
    def identity(self) -> str:
        """Who this message is for exactly-once purposes: its dedupe key, else its delivery id."""
        return self.dedupe_key or self.id

    @property
    def customer(self) -> Address:
        """Who wrote: the From address, or, when a form or relay sent the message on a person's behalf
        (``relayed_sender``), the Reply-To address that person gave."""
        if self.reply_to and RELAYED_SENDER in self.auto_signals:
            return self.reply_to[0]
        return self.from_

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every id that ties this message to a conversation, oldest first."""
        ids = [*self.references]
        if self.in_reply_to and self.in_reply_to not in ids:
            ids.append(self.in_reply_to)
        return tuple(ids)

    def flat(self) -> dict[str, object]:
        """The CLI's flat view (``from_address`` / ``from_name`` beside the nested model)."""
        data = self.model_dump(mode="json", by_alias=True)
        data["from_address"] = self.from_.address
        data["from_name"] = self.from_.name
        return data


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 time as stored in records (``Z`` allowed, naive read as UTC); None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
