"""Routing: which team's queue an escalation lands in, and whether it is urgent.

Queue design
------------
One **standard** SQS queue per team and priority — ``<prefix><team>-urgent`` and ``<prefix><team>-normal``, e.g.
``triage-esc-billing-urgent`` — each with its own dead-letter queue (``…-dlq``, after 5 receives). An agent
pulls from their team's urgent queue first and takes normal work only when it is empty; a pulled message is claimed
by its visibility timeout (15 minutes by default, extended while the agent works), released by setting it to 0, and
deleted when resolved. An escalation that keeps failing to be handled reaches the DLQ and its alarm, not a loop.

Why not FIFO with message groups? FIFO's de-duplication lasts only 5 minutes (and content-based dedup hashes only
the body), so it could never give exactly-once escalation anyway: that comes from the worker's idempotency record,
keyed on the message's identity, before anything is sent. A FIFO message group delivers its messages in order, so
while an agent holds the head message of a group, everything behind it in that group waits (head-of-line blocking) —
with one group per team or priority, one slow case stalls the team. And per-group ordering is not what agents need:
they need "urgent first", which two queues give directly and cheaply, without blocking and without the FIFO
throughput limits. Standard queues may deliver a message twice (at-least-once); the agent CLI claims before it
shows, and a second copy is recognised by its message key in the feedback record.

Which team: the customer's segment first (the VIP desk takes every VIP escalation); otherwise the first override
whose conditions all hold (reason, sensitive topic, emotion, the team routing would pick); otherwise the team that
owns the model's intent; otherwise the default team. Urgent when any configured condition holds: urgency level,
an emotion at or above its confidence, an escalation reason, a segment. Everything lives in ``infra/routing.json``,
validated at start-up; a bad field stops the function with a message that names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from triage import regex_code
from triage.policy import Reason

if TYPE_CHECKING:
    from triage.escalation import Escalation

Priority = Literal["urgent", "normal"]
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
PRIORITIES: tuple[Priority, ...] = ("urgent", "normal")  # the order agents pull in
DEFAULT_QUEUE_PREFIX = "triage-esc-"
MAX_QUEUE_NAME = 80
_QUEUE_NAME = regex_code.compile(r"^[A-Za-z0-9_-]+$")
_TEAM_NAME = regex_code.compile(r"^[A-Za-z0-9_-]{1,40}$")


class RoutingError(ValueError):
    """The routing file, or a queue name built from it, cannot be used as it is."""


class Route(NamedTuple):
    team: str
    priority: Priority


def _topics(escalation: Escalation) -> frozenset[str]:
    """The sensitive topics of the message, whatever reason fired first (``Escalation.topics``); an escalation
    written before that field existed has them in its detail only when the reason was the sensitive topic."""
    found = escalation.topics
    if escalation.reason is Reason.SENSITIVE_TOPIC:
        found += escalation.reason_detail
    return frozenset(item.partition(":")[0] for item in found if ":" in item)


def _emotion_at_least(escalation: Escalation, thresholds: dict[str, float]) -> bool:
    emotion = escalation.emotion
    return (
        emotion is not None
        and emotion.label in thresholds
        and emotion.confidence >= thresholds[emotion.label]
    )


class SegmentRouting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    teams: dict[str, str] = Field(default_factory=dict, description="segment -> team")


class IntentRouting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    teams: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="team -> intents it owns")


class Override(BaseModel):
    """Sends an escalation to ``team`` when every condition given holds (at least one must be given)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    team: str
    reasons: frozenset[Reason] = frozenset()
    topics: frozenset[str] = Field(
        frozenset(),
        description=(
            "Sensitive topics found on the message, whatever reason fired first (the part before ':' of "
            "Escalation.topics, e.g. legal, chargeback)."
        ),
    )
    emotions: dict[str, Confidence] = Field(
        default_factory=dict, description="emotion label -> minimum confidence"
    )
    from_teams: frozenset[str] = Field(
        frozenset(), description="Only when intent routing (or the default) would pick one of these teams."
    )

    @model_validator(mode="after")
    def _has_a_condition(self) -> Override:
        if not (self.reasons or self.topics or self.emotions or self.from_teams):
            raise ValueError("an override needs at least one of reasons, topics, emotions, from_teams")
        return self

    def matches(self, escalation: Escalation, team_so_far: str) -> bool:
        if self.reasons and escalation.reason not in self.reasons:
            return False
        if self.topics and not self.topics & _topics(escalation):
            return False
        if self.emotions and not _emotion_at_least(escalation, self.emotions):
            return False
        return not (self.from_teams and team_so_far not in self.from_teams)


class UrgentRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    urgency_levels: frozenset[Literal["low", "normal", "high"]] = frozenset({"high"})
    emotions: dict[str, Confidence] = Field(default_factory=lambda: {"anger": 0.6})
    reasons: frozenset[Reason] = frozenset(
        {Reason.HUMAN_REQUESTED, Reason.NEGATIVE_EMOTION, Reason.SENSITIVE_TOPIC, Reason.REPEAT_CONTACT}
    )
    segments: frozenset[str] = frozenset({"vip"})

    def urgent(self, escalation: Escalation, segment: str | None) -> bool:
        return bool(
            (escalation.urgency is not None and escalation.urgency.level in self.urgency_levels)
            or _emotion_at_least(escalation, self.emotions)
            or escalation.reason in self.reasons
            or (segment is not None and segment in self.segments)
        )


class RoutingConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    teams: dict[str, str] = Field(description="team -> what it handles")
    default_team: str
    segments: SegmentRouting = SegmentRouting()
    intents: IntentRouting = IntentRouting()
    overrides: tuple[Override, ...] = ()
    urgent: UrgentRules = UrgentRules()

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingConfig:
        if not self.teams:
            raise ValueError("teams: at least one team is needed")
        for team in self.teams:
            if not _TEAM_NAME.match(team):
                raise ValueError(
                    f"teams.{team}: a team name is 1-40 letters, digits, '-' or '_' (it becomes a queue name)"
                )
        known = ", ".join(sorted(self.teams))

        def check(where: str, team: str) -> None:
            if team not in self.teams:
                raise ValueError(f"{where}: unknown team {team!r} (teams: {known})")

        check("default_team", self.default_team)
        for segment, team in self.segments.teams.items():
            check(f"segments.teams.{segment}", team)
        owner: dict[str, str] = {}
        for team, intents in self.intents.teams.items():
            check(f"intents.teams.{team}", team)
            for intent in intents:
                if intent in owner and owner[intent] != team:
                    raise ValueError(
                        f"intents.teams.{team}: intent {intent!r} already belongs to {owner[intent]!r}"
                    )
                owner[intent] = team
        for index, override in enumerate(self.overrides):
            check(f"overrides.{index}.team", override.team)
            for team in sorted(override.from_teams):
                check(f"overrides.{index}.from_teams", team)
        return self

    @property
    def team_names(self) -> tuple[str, ...]:
        return tuple(self.teams)

    def intent_team(self, intent: str | None) -> str | None:
        if intent is None:
            return None
        for team, intents in self.intents.teams.items():
            if intent in intents:
                return team
        return None


def route(escalation: Escalation, segment: str | None, config: RoutingConfig) -> Route:
    """The team and priority of one escalation (see the module docstring for the order of the rules)."""
    team = config.intent_team(escalation.intent) or config.default_team
    for override in config.overrides:
        if override.matches(escalation, team):
            team = override.team
            break
    if segment is not None and segment in config.segments.teams:
        team = config.segments.teams[segment]
    return Route(team, "urgent" if config.urgent.urgent(escalation, segment) else "normal")


def queue_name(prefix: str, team: str, priority: str) -> str:
    """``f"{prefix}{team}-{priority}"``, checked against SQS's rules (letters, digits, '-', '_'; at most 80)."""
    if priority not in PRIORITIES:
        raise RoutingError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    return _checked_name(f"{prefix}{team}-{priority}")


def dead_letter_queue_name(prefix: str, team: str, priority: str) -> str:
    return _checked_name(f"{queue_name(prefix, team, priority)}-dlq")


def _checked_name(name: str) -> str:
    if not _QUEUE_NAME.match(name):
        raise RoutingError(f"queue name {name!r} may hold only letters, digits, '-' and '_'")
    if len(name) > MAX_QUEUE_NAME:
        raise RoutingError(f"queue name {name!r} is longer than {MAX_QUEUE_NAME} characters")
    return name


def parse_routing(text: str | bytes, source: str = "routing") -> RoutingConfig:
    try:
        return RoutingConfig.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(_problem(item) for item in error.errors())
        raise RoutingError(f"{source}: invalid routing: {problems}") from None


def _problem(item: ErrorDetails) -> str:
    where = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    value = item.get("input")
    shown = (
        f" (got {json.dumps(value)[:60]})" if isinstance(value, str | int | float | bool) and where else ""
    )
    return f"{where}: {message}{shown}" if where else message


def load_routing(path: Path) -> RoutingConfig:
    try:
        text = path.read_bytes()
    except OSError as error:
        raise RoutingError(f"{path}: cannot read the routing file ({error.strerror or error})") from None
    return parse_routing(text, str(path))
