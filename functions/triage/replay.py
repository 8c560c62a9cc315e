"""Replay past messages through the policy: what automation would have done, and how often it would have been wrong.

Input: a CSV/JSONL of past messages (``text``, optional ``subject``, ``sender``, ``segment``, and the agents'
``intent`` and ``outcome``: ``routine`` = a template answer for that intent was right, ``human`` = it needed a person,
``no_reply`` = nothing to answer), or a folder of ``.eml`` files with ``<name>.expected.json`` (or ``.label.json``)
beside them. Every message runs through the same code as the worker (routing, guards, per-thread and per-sender caps,
the AI/human ratio) with an in-memory conversation store and a clock that moves ``spacing`` between messages. Shadow
profiles are replayed as if live (the point is to see what switching them on would do); ``off`` stays off.

An automatic reply is *correct* when the agents said ``routine`` and labelled the same intent; every other automatic
reply is a *wrong reply* (the figure that matters most: an answer someone should not have received).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from triage.classifier import Encoder, IntentModel, TextModel
from triage.conversation import MemoryConversationStore
from triage.language import detect_language
from triage.message import Address, InboundMessage
from triage.parsing.quoting import extract_reply
from triage.policy import Action, AutoReplyDecision, Reason
from triage.profiles import Mode
from triage.service import Policy, hand_over, read_email, triage_message
from triage.settings import Settings
from triage.training import TrainingError, read_rows, require_columns

OUTCOMES = ("routine", "human", "no_reply")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    message: InboundMessage
    intent: str | None
    outcome: str | None
    segment: str | None


def cases_from_table(path: Path) -> Iterator[Case]:
    rows, _ = read_rows(path)
    if not rows:
        raise TrainingError(f"{path}: no messages to replay (only a header, or empty)")
    require_columns(path, rows, "text")
    for number, row in enumerate(rows, 1):
        outcome = (row.get("outcome") or "").strip().lower() or None
        if outcome is not None and outcome not in OUTCOMES:
            raise TrainingError(
                f"{path}: row {number}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}"
            )
        text = extract_reply(str(row.get("text") or ""))
        subject = str(row.get("subject") or "")
        message_id = f"<replay-{row.get('id') or number}@history.invalid>"
        yield Case(
            message=InboundMessage(
                id=f"replay-{row.get('id') or number}",
                message_id=message_id,
                **{"from": Address(address=str(row.get("sender") or f"customer{number}@example.org"))},
                subject=subject,
                text=text,
                full_text=text,
                language=detect_language(f"{subject}\n{text}"),
            ),
            intent=(row.get("intent") or None),
            outcome=outcome,
            segment=(row.get("segment") or None),
        )


def cases_from_folder(folder: Path, settings: Settings) -> Iterator[Case]:
    files = sorted(folder.glob("*.eml"))
    if not files:
        raise TrainingError(f"{folder}: no .eml files")
    for path in files:
        label: dict[str, Any] = {}
        for suffix in (".label.json", ".expected.json"):
            sidecar = path.with_suffix(suffix)
            if sidecar.is_file():
                label = json.loads(sidecar.read_text(encoding="utf-8"))
                break
        outcome = label.get("outcome") or {
            "auto_reply": "routine",
            "escalate": "human",
            "no_reply": "no_reply",
        }.get(str(label.get("action")))
        yield Case(
            message=read_email(path.read_bytes(), settings).model_copy(update={"id": path.stem}),
            intent=label.get("intent"),
            outcome=outcome,
            segment=label.get("segment"),
        )


def load_cases(path: Path, settings: Settings) -> list[Case]:
    cases = list(cases_from_folder(path, settings) if path.is_dir() else cases_from_table(path))
    if not cases:
        raise TrainingError(f"{path}: no messages to replay")
    return cases


@dataclass
class _Tally:
    messages: int = 0
    automated: int = 0
    correct: int = 0
    wrong: int = 0
    labelled: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "auto_replied": self.automated,
            "automation_rate": _rate(self.automated, self.messages),
            "correct_replies": self.correct,
            "wrong_replies": self.wrong,
            "precision": _rate(self.correct, self.correct + self.wrong),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def replay(
    cases: Iterable[Case],
    policy: Policy,
    model: IntentModel | None,
    settings: Settings,
    *,
    profile: str | None = None,
    emotion_model: TextModel | None = None,
    encoder: Callable[[], Encoder | None] | None = None,
    spacing: timedelta = timedelta(minutes=20),
    risk_model: TextModel | None = None,
) -> dict[str, Any]:
    """The report (see the module docstring); ``profile`` forces one profile on every message."""
    if profile is not None:
        policy.config.profile(profile)  # an unknown name fails here, before any work
    live = Policy(
        policy.config.model_copy(
            update={
                "profiles": {
                    name: p.model_copy(update={"mode": Mode.LIVE}) if p.mode is Mode.SHADOW else p
                    for name, p in policy.config.profiles.items()
                }
            }
        ),
        policy.templates,
        policy.style,
        policy.summariser,
    )
    store = MemoryConversationStore()
    overall = _Tally()
    by_intent: defaultdict[str, _Tally] = defaultdict(_Tally)
    by_segment: defaultdict[str, _Tally] = defaultdict(_Tally)
    actions: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    agent_vs_policy: Counter[tuple[str, str]] = Counter()
    for index, case in enumerate(cases):
        now = START + index * spacing
        history = store.history(case.message, now)
        segment = profile or (case.segment if case.segment in live.config.profiles else None)
        outcome = triage_message(
            case.message,
            model,
            settings,
            encoder,
            emotion_model,
            policy=live,
            history=history,
            segment=segment,
            now=now,
            risk_model=risk_model,
        )
        if isinstance(outcome.decision, AutoReplyDecision):
            seg_profile = live.config.profile(outcome.segment)
            claim = store.claim_reply(
                case.message, outcome.segment, seg_profile.max_auto_share, live.config.caps, now
            )
            if not claim.granted and claim.denial is not None:
                outcome = hand_over(
                    outcome, case.message, Reason(claim.denial.value), claim.detail, live.summariser
                )
        decision = outcome.decision
        automated = decision.action is Action.AUTO_REPLY
        store.note(case.message, outcome.segment, automated, decision.reason.value == "closing_message", now)
        actions[decision.action.value] += 1
        reasons[decision.reason.value] += 1
        if case.outcome:
            agent_vs_policy[(case.outcome, decision.action.value)] += 1
        right = automated and case.outcome == "routine" and case.intent == decision.intent
        for tally in (overall, by_intent[case.intent or "(unlabelled)"], by_segment[outcome.segment]):
            tally.messages += 1
            tally.automated += int(automated)
            tally.labelled += int(case.outcome is not None)
            if automated and case.outcome is not None:
                tally.correct += int(right)
                tally.wrong += int(not right)
    routine = sum(count for (agent, _), count in agent_vs_policy.items() if agent == "routine")
    routine_auto = agent_vs_policy[("routine", "auto_reply")]
    return {
        "messages": overall.messages,
        "profile": profile,
        "actions": dict(actions),
        "automation_rate": _rate(overall.automated, overall.messages),
        "precision": _rate(overall.correct, overall.correct + overall.wrong),
        "wrong_replies": overall.wrong,
        "wrong_reply_rate": _rate(overall.wrong, overall.messages),
        "routine_coverage": _rate(routine_auto, routine),
        "human_cases_auto_replied": agent_vs_policy[("human", "auto_reply")],
        "no_reply_agreement": _rate(
            agent_vs_policy[("no_reply", "no_reply")],
            sum(count for (agent, _), count in agent_vs_policy.items() if agent == "no_reply"),
        ),
        "agent_vs_policy": {
            f"{agent}->{action}": count for (agent, action), count in sorted(agent_vs_policy.items())
        },
        "reasons": dict(reasons.most_common()),
        "per_segment": {
            name: tally.as_dict()
            | {
                "target_max_auto_share": live.config.profile(name).max_auto_share,
                "configured_mode": policy.config.profile(name).mode.value,
            }
            for name, tally in sorted(by_segment.items())
        },
        "per_intent": {name: tally.as_dict() for name, tally in sorted(by_intent.items())},
    }


def format_report(report: dict[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "  n/a" if value is None else f"{value:6.1%}"

    lines = [
        f"{report['messages']} messages replayed"
        + (f" with profile {report['profile']}" if report["profile"] else " (segment per message)"),
        f"automation {pct(report['automation_rate'])}   precision {pct(report['precision'])}   "
        f"wrong replies {report['wrong_replies']} ({pct(report['wrong_reply_rate'])} of all)   "
        f"routine covered {pct(report['routine_coverage'])}",
        "",
        f"{'segment':<12}{'messages':>9}{'auto':>7}{'share':>8}{'target':>8}{'precision':>11}  mode",
    ]
    for name, row in report["per_segment"].items():
        lines.append(
            f"{name:<12}{row['messages']:>9}{row['auto_replied']:>7}{pct(row['automation_rate']):>8}"
            f"{row['target_max_auto_share']:>8.0%}{pct(row['precision']):>11}  {row['configured_mode']}"
        )
    lines += ["", "reasons: " + ", ".join(f"{reason} {count}" for reason, count in report["reasons"].items())]
    return "\n".join(lines)
