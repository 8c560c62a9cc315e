"""Policy profiles: how much is automated, per customer segment, and how a message finds its segment.

One JSON file (``infra/policy.json``, shipped in the config layer) holds every profile, the routing rules and the
rate caps. It is validated once at start-up: a bad field, an unknown segment or a ratio above 100% stops the function
from starting, with a message that names the field, rather than half-working.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage.message import InboundMessage
from triage.observability import logger

UrgencyLevel = Literal["low", "normal", "high"]
NEGATIVE_EMOTIONS = frozenset({"anger", "annoyance", "disappointment", "sadness", "fear"})
# Intents whose answer depends on a judgement about money, a failure or the customer's data.
SENSITIVE_INTENTS = frozenset({"complaint", "get_refund", "payment_issue", "delete_account"})


class PolicyError(ValueError):
    """The policy file, or a request for a profile, cannot be used as it is."""


class Mode(StrEnum):
    LIVE = "live"  # send what the policy decides
    SHADOW = "shadow"  # decide and record; people answer everything, with the would-be reply as a draft
    OFF = "off"  # no automatic answers at all; people answer everything


class Profile(BaseModel):
    """The AI/human balance for one segment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    mode: Mode = Mode.LIVE
    auto_reply_intents: frozenset[str] = Field(
        frozenset(), description="Intents that may be answered automatically; empty = none."
    )
    min_confidence: float = Field(
        0.8, ge=0.0, le=1.0, description="Calibrated confidence below which a person reads it."
    )
    intent_min_confidence: dict[str, float] = Field(
        default_factory=dict, description="Stricter (or looser) minimum confidence for some intents."
    )
    use_model_thresholds: bool = Field(
        True, description="Also require the model card's per-label threshold (its target precision)."
    )
    min_margin: float = Field(
        0.25, ge=0.0, le=1.0, description="Top-1 minus top-2 below this = too close to call."
    )
    escalate_emotions: frozenset[str] = NEGATIVE_EMOTIONS
    emotion_min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    escalate_urgency: UrgencyLevel | None = Field(
        "high",
        description="Urgency at or above this level goes to a person; null = urgency never forces one.",
    )
    sensitive_intents: frozenset[str] = SENSITIVE_INTENTS
    max_auto_share: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Most automated replies as a share of the segment's messages (per day).",
    )
    reply_languages: frozenset[str] = frozenset({"en"})
    max_request_sentences: int | None = Field(
        None,
        ge=1,
        description=(
            "More sentences than this in what the customer wrote this time (greeting and sign-off aside) go to a "
            "person: a longer mail tells more than one template answers. null = no limit."
        ),
    )
    max_person_risk: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "The risk head's probability that a person should answer (a story, a problem or a feeling beside a "
            "routine question) at or above which one does. null = the head is not asked."
        ),
    )
    answer_faq: bool = Field(
        True,
        description="Answer with an approved FAQ entry (issue 7) when a message matches one closely enough.",
    )

    @model_validator(mode="after")
    def _overrides_are_automated(self) -> Profile:
        stray = sorted(set(self.intent_min_confidence) - self.auto_reply_intents)
        if stray:
            raise ValueError(
                f"intent_min_confidence names intents not in auto_reply_intents: {', '.join(stray)}"
            )
        bad = {
            intent: value for intent, value in self.intent_min_confidence.items() if not 0.0 <= value <= 1.0
        }
        if bad:
            raise ValueError(f"intent_min_confidence must be within [0, 1]: {bad}")
        return self

    def min_confidence_for(self, intent: str) -> float:
        return self.intent_min_confidence.get(intent, self.min_confidence)


class SegmentRule(BaseModel):
    """Messages that match any listed value belong to ``segment``; rules are tried in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    segment: str
    recipients: frozenset[str] = Field(frozenset(), description="Our receiving addresses (To/Cc).")
    sender_domains: frozenset[str] = frozenset()
    senders: frozenset[str] = frozenset()
    tags: frozenset[str] = Field(frozenset(), description="Helpdesk ticket tags.")
    brands: frozenset[str] = Field(frozenset(), description="Helpdesk brand or inbox names.")

    @field_validator("recipients", "sender_domains", "senders", "tags", "brands")
    @classmethod
    def _caseless(cls, values: frozenset[str]) -> frozenset[str]:
        """Matching ignores case: the values are lower-cased once, here, not for every message."""
        return frozenset(value.lower() for value in values)

    def matches(self, message: InboundMessage) -> bool:
        sender = message.customer.address.lower()
        return bool(
            (
                self.recipients
                and any(a.address.lower() in self.recipients for a in (*message.to, *message.cc))
            )
            or (self.senders and sender in self.senders)
            or (self.sender_domains and sender.rpartition("@")[2] in self.sender_domains)
            or (self.tags and any(tag.lower() in self.tags for tag in message.tags))
            or (self.brands and message.brand.lower() in self.brands)
        )


class Window(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seconds: int = Field(gt=0)
    max_replies: int = Field(ge=0)


class Caps(BaseModel):
    """Automatic replies per sender and per thread (REFERENCE §1.3 items 16-17), kept in DynamoDB with a TTL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_thread: int = Field(1, ge=0, le=1, description="At most one automatic reply per thread (0 = none).")
    per_sender: tuple[Window, ...] = (
        Window(seconds=600, max_replies=3),
        Window(seconds=10800, max_replies=10),
    )
    repeat_contact_days: int = Field(
        7, ge=0, description="Writing again about one thread within this = a person."
    )

    @property
    def longest_window(self) -> int:
        return max((window.seconds for window in self.per_sender), default=0)


class PolicyConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_segment: str
    profiles: dict[str, Profile]
    routing: tuple[SegmentRule, ...] = ()
    caps: Caps = Caps()

    @model_validator(mode="after")
    def _segments_exist(self) -> PolicyConfig:
        if not self.profiles:
            raise ValueError("profiles: at least one profile is needed")
        known = ", ".join(sorted(self.profiles))
        if self.default_segment not in self.profiles:
            raise ValueError(f"default_segment {self.default_segment!r} is not a profile (known: {known})")
        for index, rule in enumerate(self.routing):
            if rule.segment not in self.profiles:
                raise ValueError(
                    f"routing[{index}].segment {rule.segment!r} is not a profile (known: {known})"
                )
        return self

    def profile(self, segment: str) -> Profile:
        try:
            return self.profiles[segment]
        except KeyError:
            raise PolicyError(
                f"unknown segment {segment!r}; the policy defines: {', '.join(sorted(self.profiles))}"
            ) from None

    def segment_for(self, message: InboundMessage, customer_segment: str | None = None) -> str:
        """The customer table's word first (any case, spaces around ignored: "VIP " is ``vip``), then the first
        routing rule that matches, else the default. A word the policy does not know is logged."""
        if customer_segment:
            wanted = customer_segment.strip().lower()
            known = next((name for name in self.profiles if name.lower() == wanted), None)
            if known is not None:
                return known
            logger.warning(
                "customer segment not in the policy; routing rules and the default apply",
                extra={"customer_segment": customer_segment[:64], "known": sorted(self.profiles)},
            )
        for rule in self.routing:
            if rule.matches(message):
                return rule.segment
        return self.default_segment


def parse_policy(text: str | bytes, source: str = "policy") -> PolicyConfig:
    try:
        return PolicyConfig.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top level)'}: {item['msg']}"
            + (f" (got {json.dumps(item['input'])[:60]})" if _scalar(item.get("input")) else "")
            for item in error.errors()
        )
        raise PolicyError(f"{source}: invalid policy: {problems}") from None


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def load_policy(path: Path) -> PolicyConfig:
    try:
        text = path.read_bytes()
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the policy file ({error.strerror or error})") from None
    return parse_policy(text, str(path))
