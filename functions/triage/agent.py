"""The agent's desk: look at the team queues, pull the next escalation (urgent first), release it or resolve it.

Works with any boto3 SQS and S3 clients: moto locally, AWS when deployed (``endpoint_url`` is the caller's choice).

A pulled message is **claimed** by its visibility timeout: no one else receives it until the timeout runs out
(``extend`` renews it while the agent works), ``release`` sets it to 0 so it is back in the queue at once, and
``resolve`` writes the feedback record and only then deletes the message — a crash in between leaves the message
to be pulled again, never a resolution without its feedback. A message received ``maxReceiveCount`` times without
being resolved moves to the queue's dead-letter queue.

An escalation that cannot be read (its body is not JSON, its claim-check object is missing) must not block the
team's desk: ``pull`` sets it aside for :data:`SET_ASIDE_S` (each pull counts as a receive, so it reaches the
dead-letter queue after ``maxReceiveCount`` pulls, without loss), logs its ids and goes on to the next message.

The claim ID handed to the agent is opaque: base64url of the team, priority, message key, SQS receipt handle and
a token new with every pull. Resolving needs the escalation's facts (model intent, reason, key points …) after the
pull, possibly from another process, so ``pull`` writes them — never the customer's text beyond the summary's key
points — with the token to ``claims/<message key>.json`` in the feedback bucket; ``resolve`` and ``release`` remove
it (the stack's bucket expires claims abandoned mid-work after a day: template.yaml's ``ExpireAbandonedClaims``).

A claim whose timeout ran out may be pulled by another agent, and SQS does not always refuse the old receipt handle
(moto never does; AWS may accept a DeleteMessage with it). So ``extend``, ``release`` and ``resolve`` first compare
the claim's token with the one in the claim record, and refuse when the record is gone (released or resolved) or
names a later pull. A desk without a feedback bucket records no claims: there the receipt handle is the only check.

Oldest age per queue: SQS has no queue attribute for it (it is the CloudWatch metric
``AWS/SQS ApproximateAgeOfOldestMessage``, published per minute), and peeking with ReceiveMessage would count as a
receive and push messages towards the DLQ. So ``queues()`` reads it with one GetMetricData call when a CloudWatch
client is given, and reports ``None`` otherwise, or when CloudWatch has no recent value or refuses the call.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import importlib
import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast
from urllib.parse import quote

from triage.message import parse_timestamp
from triage.observability import logger
from triage.routing import PRIORITIES, RoutingError, queue_name

Outcome = Literal["replied", "closed", "faq-candidate"]
OUTCOMES: tuple[Outcome, ...] = ("replied", "closed", "faq-candidate")
DEFAULT_VISIBILITY_S = 900
MAX_VISIBILITY_S = 43_200  # the SQS maximum: 12 hours
RESOLVE_HOLD_S = 120  # how long resolve holds the claim while it writes the feedback
MAX_RETENTION = timedelta(days=14)  # SQS's longest retention: no escalation is resolved later than this
AGE_WINDOW = timedelta(minutes=15)
SET_ASIDE_S = DEFAULT_VISIBILITY_S  # how long an unreadable escalation stays out of the way
MAX_SET_ASIDE = 10  # unreadable escalations one pull sets aside before it stops and says so
FEEDBACK_SCHEMA_VERSION = 1
_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CLAIM_VERSION = 1
_HOLDER_FIELD = "claimed_by_pull"  # in the claim record: which pull holds the escalation
_EXPIRED_CODES = frozenset(
    {
        "ReceiptHandleIsInvalid",
        "InvalidReceiptHandle",
        "MessageNotInflight",
        "AWS.SimpleQueueService.MessageNotInflight",
    }
)
_MISSING_QUEUE_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
_STALE_CLAIM = (
    "this claim is no longer valid: its visibility timeout ran out, or it was already released or resolved; "
    "pull again"
)
_TAKEN_CLAIM = (
    "this claim ran out and another agent has pulled the escalation since, so it is theirs now: pull again for "
    "the next one"
)


class AgentError(Exception):
    """Something the agent can act on: an unknown team, a stale claim, a missing queue or bucket."""


class UnreadableEscalation(AgentError):
    """This message cannot be read (not JSON, a broken or dangling claim-check pointer); the next one may be fine."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem  # a code for the log: never the bucket, key or body


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    team: str
    priority: str
    message_key: str
    receipt_handle: str
    token: str = ""  # this pull's, as in the claim record; empty when the pull recorded no claim

    def encode(self) -> str:
        fields = {
            "v": _CLAIM_VERSION,
            "t": self.team,
            "p": self.priority,
            "k": self.message_key,
            "h": self.receipt_handle,
        }
        raw = json.dumps(fields | ({"c": self.token} if self.token else {}), separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, claim_id: str) -> Claim:
        try:
            raw = base64.urlsafe_b64decode(claim_id.strip() + "=" * (-len(claim_id.strip()) % 4))
            data = json.loads(raw)
            if data.get("v") != _CLAIM_VERSION or data["p"] not in PRIORITIES:
                raise ValueError("unknown claim version or priority")
            return cls(str(data["t"]), str(data["p"]), str(data["k"]), str(data["h"]), str(data.get("c", "")))
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
            raise AgentError(
                f"{_short(claim_id)!r} is not a claim ID: copy the whole ID that `triage agent pull` printed"
            ) from None


@dataclass(frozen=True)
class Pulled:
    id: str
    escalation: dict[str, Any]
    priority: str
    team: str
    receive_count: int
    segment: str | None = None


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]}"


@contextlib.contextmanager
def aws_errors(action: str, queue: str | None = None) -> Iterator[None]:
    """botocore's errors as sentences an agent can act on."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_QUEUE_CODES:
            raise AgentError(
                f"the queue {queue or ''} does not exist (check --queue-prefix, --region and --endpoint-url, "
                "or create the team queues)"
            ) from None
        if code in _EXPIRED_CODES or (code == "InvalidParameterValue" and "receipt" in str(error).lower()):
            raise AgentError(_STALE_CLAIM) from None
        if code == "NoSuchBucket":
            raise AgentError(f"{action}: the bucket does not exist (check --feedback-bucket)") from None
        message = error.response.get("Error", {}).get("Message", "")
        raise AgentError(f"{action} failed: {code}{': ' + message if message else ''}") from None
    except NoRegionError:
        raise AgentError("no AWS region: pass --region or set AWS_REGION") from None
    except NoCredentialsError:
        raise AgentError("no AWS credentials found (profile, environment or role)") from None
    except BotoCoreError as error:
        raise AgentError(f"{action} failed: {error}") from None


class AgentDesk:
    def __init__(
        self,
        sqs: Any,
        s3: Any | None,
        queue_prefix: str,
        teams: Sequence[str],
        feedback_bucket: str | None,
        feedback_prefix: str = "feedback/",
        clock: Callable[[], datetime] = _now,
        *,
        cloudwatch: Any | None = None,
        claims_prefix: str = "claims/",
    ) -> None:
        if not teams:
            raise AgentError("no teams: the routing file names none")
        self._sqs, self._s3, self._cloudwatch = sqs, s3, cloudwatch
        self._prefix, self._teams = queue_prefix, tuple(teams)
        self._bucket, self._feedback_prefix, self._claims_prefix = (
            feedback_bucket,
            feedback_prefix,
            claims_prefix,
        )
        self._clock = clock
        self._urls: dict[str, str] = {}
        self._facts: dict[str, dict[str, Any]] = {}  # claims made by this process: message key -> facts

    @property
    def teams(self) -> tuple[str, ...]:
        return self._teams

    # --- queues ------------------------------------------------------------------------------------------------
    def _name(self, team: str, priority: str) -> str:
        if team not in self._teams:
            raise AgentError(f"unknown team {team!r}; the teams are: {', '.join(self._teams)}")
        try:
            return queue_name(self._prefix, team, priority)
        except RoutingError as error:
            raise AgentError(str(error)) from None

    def _url(self, team: str, priority: str) -> str:
        name = self._name(team, priority)
        if name not in self._urls:
            with aws_errors("finding the queue", name):
                self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def queues(self) -> list[dict[str, Any]]:
        """Depth, in-flight count and oldest age (seconds, or None: see the module docstring) per team × priority."""
        rows: list[dict[str, Any]] = []
        for team in self._teams:
            for priority in PRIORITIES:
                name = self._name(team, priority)
                with aws_errors("reading the queue attributes", name):
                    attributes = self._sqs.get_queue_attributes(
                        QueueUrl=self._url(team, priority),
                        AttributeNames=[
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible",
                        ],
                    )["Attributes"]
                rows.append(
                    {
                        "team": team,
                        "priority": priority,
                        "depth": int(attributes.get("ApproximateNumberOfMessages", 0)),
                        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                        "oldest_age_s": None,
                    }
                )
        ages = self._oldest_ages([queue_name(self._prefix, row["team"], row["priority"]) for row in rows])
        for row, age in zip(rows, ages, strict=True):
            row["oldest_age_s"] = age
        return rows

    def _oldest_ages(self, names: list[str]) -> list[int | None]:
        if self._cloudwatch is None:
            return [None] * len(names)
        from botocore.exceptions import BotoCoreError, ClientError

        now = self._clock()
        queries = [
            {
                "Id": f"q{index}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": "ApproximateAgeOfOldestMessage",
                        "Dimensions": [{"Name": "QueueName", "Value": name}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
            for index, name in enumerate(names)
        ]
        latest: dict[str, float] = {}
        try:
            for start in range(0, len(queries), 500):  # GetMetricData takes at most 500 queries
                response = self._cloudwatch.get_metric_data(
                    MetricDataQueries=queries[start : start + 500],
                    StartTime=now - AGE_WINDOW,
                    EndTime=now + timedelta(minutes=1),
                    ScanBy="TimestampDescending",
                )
                for result in response.get("MetricDataResults", []):
                    if result.get("Values"):
                        latest[result["Id"]] = float(result["Values"][0])
        except (BotoCoreError, ClientError) as error:
            logger.warning(
                "oldest message age unavailable from CloudWatch", extra={"error": type(error).__name__}
            )
            return [None] * len(names)
        return [round(latest[f"q{index}"]) if f"q{index}" in latest else None for index in range(len(names))]

    # --- claims ------------------------------------------------------------------------------------------------
    def pull(self, team: str, *, visibility_s: int = DEFAULT_VISIBILITY_S) -> Pulled | None:
        """The next escalation for ``team``, urgent queue first, claimed for ``visibility_s`` seconds."""
        _check_visibility(visibility_s)
        set_aside = 0
        for priority in PRIORITIES:
            url = self._url(team, priority)
            while True:
                with aws_errors("receiving from the queue", self._name(team, priority)):
                    messages = self._sqs.receive_message(
                        QueueUrl=url,
                        MaxNumberOfMessages=1,
                        VisibilityTimeout=visibility_s,
                        WaitTimeSeconds=0,
                        MessageSystemAttributeNames=["ApproximateReceiveCount"],
                        MessageAttributeNames=["All"],
                    ).get("Messages", [])
                if not messages:
                    break
                try:
                    return self._open(team, priority, url, messages[0])
                except UnreadableEscalation as error:
                    self._set_aside(team, priority, url, messages[0], error)
                    set_aside += 1
                    if set_aside >= MAX_SET_ASIDE:
                        raise AgentError(
                            f"{set_aside} unreadable escalations in a row were set aside for {SET_ASIDE_S} s "
                            f"(they reach the dead-letter queue after repeated pulls): pull again, and check why "
                            f"{team}'s escalations cannot be read"
                        ) from None
        return None

    def _set_aside(
        self, team: str, priority: str, url: str, message: dict[str, Any], error: UnreadableEscalation
    ) -> None:
        """Out of the way for a while, not deleted: each pull counts as a receive, so it reaches the DLQ in time."""
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        with contextlib.suppress(AgentError), aws_errors("setting the message aside", url):
            self._sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=SET_ASIDE_S
            )
        logger.warning(
            "unreadable escalation set aside",
            extra={
                "sqs_message_id": message.get("MessageId"),
                "team": team,
                "priority": priority,
                "receive_count": receive_count,
                "problem": error.problem,
            },
        )

    def _open(self, team: str, priority: str, url: str, message: dict[str, Any]) -> Pulled:
        handle = message["ReceiptHandle"]
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        try:
            escalation = self._escalation(message["Body"])
        except UnreadableEscalation:
            raise
        except AgentError as error:
            with contextlib.suppress(AgentError), aws_errors("releasing the message", url):
                self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
            raise AgentError(
                f"{error} — the message was put back (received {receive_count} times; it moves to the "
                "dead-letter queue when the redrive limit is reached)"
            ) from None
        attributes = message.get("MessageAttributes", {})
        segment = escalation.get("segment") or attributes.get("segment", {}).get("StringValue")
        key = str(escalation.get("message_key") or message.get("MessageId", ""))
        facts = _facts(escalation, team, priority, segment, receive_count)
        self._facts[key] = facts
        token = ""
        if self._s3 is not None and self._bucket:
            token = uuid.uuid4().hex
            try:
                with aws_errors("recording the claim"):
                    self._s3.put_object(
                        Bucket=self._bucket,
                        Key=self._claim_key(key),
                        Body=json.dumps(facts | {_HOLDER_FIELD: token}).encode(),
                        ContentType="application/json",
                    )
            except AgentError:
                # Not claimed after all: put it back rather than hide it for the whole timeout.
                with contextlib.suppress(AgentError), aws_errors("releasing the message"):
                    self._sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                    )
                raise
        claim = Claim(team, priority, key, handle, token)
        logger.debug("escalation pulled", extra={"message_key": key, "team": team, "priority": priority})
        return Pulled(claim.encode(), escalation, priority, team, receive_count, segment)

    def _escalation(self, body: str) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            raise UnreadableEscalation("the message body is not JSON", "body_not_json") from None
        if not isinstance(data, dict):
            raise UnreadableEscalation("the message body is not a JSON object", "body_not_object")
        pointer = data.get("claim_check")
        if pointer is None:
            return data
        if not isinstance(pointer, dict) or not pointer.get("bucket") or not pointer.get("key"):
            raise UnreadableEscalation(
                "the message's claim_check pointer needs a bucket and a key", "claim_check_malformed"
            )
        if self._s3 is None:
            raise AgentError("the escalation is stored in S3 (claim check) and no S3 client was given")
        with aws_errors(f"fetching the escalation from s3://{pointer['bucket']}/{pointer['key']}"):
            try:
                raw = self._s3.get_object(Bucket=pointer["bucket"], Key=pointer["key"])["Body"].read()
            except self._s3.exceptions.NoSuchKey:
                raise UnreadableEscalation(
                    f"the escalation's full record s3://{pointer['bucket']}/{pointer['key']} is missing",
                    "claim_check_missing",
                ) from None
        try:
            full = json.loads(raw)
        except ValueError:
            raise UnreadableEscalation(
                f"s3://{pointer['bucket']}/{pointer['key']} is not JSON", "claim_check_not_json"
            ) from None
        small = {name: value for name, value in data.items() if name != "claim_check"}
        if not isinstance(full, dict):
            return small
        # The full record wins, except where it is empty and the pointer knows better (e.g. the segment).
        return small | {name: value for name, value in full.items() if value is not None or name not in small}

    def extend(self, claim_id: str, visibility_s: int = DEFAULT_VISIBILITY_S) -> None:
        """Keep the claim for ``visibility_s`` more seconds from now."""
        _check_visibility(visibility_s)
        claim = Claim.decode(claim_id)
        self._held(claim)
        self._change_visibility(claim, visibility_s)

    def release(self, claim_id: str) -> None:
        """Back to the queue now, for anyone to pull."""
        claim = Claim.decode(claim_id)
        self._held(claim)
        self._change_visibility(claim, 0)
        self._forget(claim.message_key)
        logger.debug("escalation released", extra={"message_key": claim.message_key, "team": claim.team})

    def resolve(
        self,
        claim_id: str,
        *,
        intent: str,
        outcome: Outcome,
        note: str | None = None,
        agent: str | None = None,
    ) -> dict[str, Any]:
        """Record the agent's label and outcome (feedback for retraining and FAQ mining), then delete the message."""
        claim = Claim.decode(claim_id)
        if not _LABEL.match(intent):
            raise AgentError(f"--intent {intent!r}: an intent label is 1-64 letters, digits, '_', '.' or '-'")
        if outcome not in OUTCOMES:
            raise AgentError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        if self._s3 is None or not self._bucket:
            raise AgentError("no feedback bucket: pass --feedback-bucket or set FEEDBACK_BUCKET")
        # Still ours? (Raises if another agent pulled it since, or the timeout ran out, or someone resolved it.)
        # Checked before the hold: holding another agent's pull would shorten their claim.
        held = self._held(claim)
        self._change_visibility(claim, RESOLVE_HOLD_S)  # holds it while we write
        resolved_at = self._clock()
        facts = held or self._facts.get(claim.message_key) or self._read_claim(self._s3, self._bucket, claim)
        record = facts | {
            "schema_version": FEEDBACK_SCHEMA_VERSION,
            "agent_intent": intent,
            "outcome": outcome,
            "note": note,
            "agent": agent,
            "resolved_at": resolved_at.isoformat(),
        }
        day = parse_timestamp(facts.get("created_at")) or resolved_at
        key = f"{self._feedback_prefix}{day:%Y/%m/%d}/{_safe(claim.message_key)}.json"
        with aws_errors("writing the feedback record"):
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=json.dumps(record).encode(), ContentType="application/json"
            )
        with aws_errors("deleting the message", self._name(claim.team, claim.priority)):
            self._sqs.delete_message(
                QueueUrl=self._url(claim.team, claim.priority), ReceiptHandle=claim.receipt_handle
            )
        self._forget(claim.message_key)
        logger.debug(
            "escalation resolved",
            extra={
                "message_key": claim.message_key,
                "team": claim.team,
                "outcome": outcome,
                "agent_intent": intent,
            },
        )
        return record

    def _change_visibility(self, claim: Claim, seconds: int) -> None:
        url = self._url(claim.team, claim.priority)
        with aws_errors("changing the message visibility", self._name(claim.team, claim.priority)):
            self._sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=claim.receipt_handle, VisibilityTimeout=seconds
            )

    def _held(self, claim: Claim) -> dict[str, Any] | None:
        """The claim record's facts when ``claim`` is still the latest pull; :class:`AgentError` when the record is
        gone (released or resolved) or names another pull. None when the pull recorded no claim (no bucket)."""
        if not claim.token or self._s3 is None or not self._bucket:
            return None
        with aws_errors("reading the claim"):
            try:
                raw = self._s3.get_object(Bucket=self._bucket, Key=self._claim_key(claim.message_key))["Body"]
            except self._s3.exceptions.NoSuchKey:
                raise AgentError(_STALE_CLAIM) from None
            text = raw.read()
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if not isinstance(record, dict) or record.get(_HOLDER_FIELD) != claim.token:
            logger.warning(
                "stale claim refused: the escalation was pulled again",
                extra={"message_key": claim.message_key, "team": claim.team},
            )
            raise AgentError(_TAKEN_CLAIM)
        return {name: value for name, value in record.items() if name != _HOLDER_FIELD}

    def _claim_key(self, message_key: str) -> str:
        return f"{self._claims_prefix}{_safe(message_key)}.json"

    def _read_claim(self, s3: Any, bucket: str, claim: Claim) -> dict[str, Any]:
        """The facts ``pull`` recorded; without them (pulled with no bucket) a record with what the claim knows."""
        try:
            with aws_errors("reading the claim"):
                raw = s3.get_object(Bucket=bucket, Key=self._claim_key(claim.message_key))["Body"].read()
            record = cast(dict[str, Any], json.loads(raw))
            return {name: value for name, value in record.items() if name != _HOLDER_FIELD}
        except (AgentError, ValueError):
            logger.warning(
                "claim facts missing; feedback without them", extra={"message_key": claim.message_key}
            )
            return _facts({"message_key": claim.message_key}, claim.team, claim.priority, None, None)

    def _forget(self, message_key: str) -> None:
        self._facts.pop(message_key, None)
        if self._s3 is not None and self._bucket:
            with contextlib.suppress(AgentError), aws_errors("removing the claim record"):
                self._s3.delete_object(Bucket=self._bucket, Key=self._claim_key(message_key))


def _check_visibility(seconds: int) -> None:
    if not 0 <= seconds <= MAX_VISIBILITY_S:
        raise AgentError(f"the visibility timeout must be 0-{MAX_VISIBILITY_S} seconds, not {seconds}")


def _safe(message_key: str) -> str:
    return quote(message_key, safe="-_.@+=") or "unknown"


def _facts(
    escalation: dict[str, Any], team: str, priority: str, segment: str | None, receive_count: int | None
) -> dict[str, Any]:
    """What the feedback record keeps of an escalation: labels and decisions, and of the text only the key points."""
    summary = _obj(escalation.get("summary"))
    emotion = _obj(escalation.get("emotion"))
    urgency = _obj(escalation.get("urgency"))
    return {
        "message_key": escalation.get("message_key"),
        "team": team,
        "priority": priority,
        "segment": segment,
        "model_intent": escalation.get("intent"),
        "model_confidence": escalation.get("confidence"),
        "model_version": escalation.get("model_version"),
        "reason": escalation.get("reason"),
        "emotion": emotion.get("label"),
        "urgency": urgency.get("level"),
        "language": escalation.get("language"),
        "key_points": list(summary.get("key_points") or ()),
        "created_at": escalation.get("created_at"),
        "receive_count": receive_count,
    }


def read_feedback(
    s3: Any, bucket: str, prefix: str = "feedback/", since: datetime | None = None
) -> list[dict[str, Any]]:
    """Feedback records resolved at or after ``since`` (all without it), oldest resolution first.

    Records are filed under the day their escalation was created; none can be resolved more than 14 days (SQS's
    longest retention) after that, so the listing starts 14 days before ``since``.
    """
    listing: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if since is not None:
        listing["StartAfter"] = f"{prefix}{since - MAX_RETENTION:%Y/%m/%d}/"
    records: list[dict[str, Any]] = []
    with aws_errors("listing the feedback"):
        for page in s3.get_paginator("list_objects_v2").paginate(**listing):
            for item in page.get("Contents", []):
                if not item["Key"].endswith(".json"):
                    continue
                try:
                    record = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                except ValueError:
                    logger.warning("feedback object is not JSON; skipped", extra={"key": item["Key"]})
                    continue
                if not isinstance(record, dict):
                    continue
                resolved = parse_timestamp(record.get("resolved_at"))
                if since is None or (resolved is not None and resolved >= since):
                    records.append(record)
    return sorted(records, key=lambda record: str(record.get("resolved_at")))


# --- rendering ---------------------------------------------------------------------------------------------------
def mask_address(address: str) -> str:
    """``jane@example.org`` -> ``j***@example.org``: enough to recognise, not enough to copy."""
    local, at, domain = address.partition("@")
    if not at:
        return f"{address[:1]}***" if address else ""
    return f"{local[:1]}***@{domain}"


def render_escalation(pulled: Pulled) -> str:
    """The pulled escalation for a terminal: why a person, what the customer wants, the facts and the draft."""
    escalation = pulled.escalation
    lines = [
        f"[{pulled.priority.upper()}] {pulled.team} · message {escalation.get('message_key', '?')}"
        + (f" · segment {pulled.segment}" if pulled.segment else "")
        + (f" · received {pulled.receive_count} times" if pulled.receive_count > 1 else ""),
    ]
    customer = _obj(escalation.get("customer"))
    who = " ".join(
        part
        for part in (customer.get("name", ""), f"<{mask_address(customer.get('address', ''))}>")
        if part != "<>"
    )
    lines.append(
        f"Customer:   {who or 'unknown'}  ({escalation.get('channel', '?')} via {escalation.get('provider', '?')})"
    )
    if escalation.get("subject"):
        lines.append(f"Subject:    {escalation['subject']}")
    reason = escalation.get("reason_text") or escalation.get("reason", "?")
    lines.append(f"Why a person: {reason} [{escalation.get('reason', '?')}]")
    if escalation.get("reason_detail"):
        lines.append(f"            signals: {', '.join(map(str, escalation['reason_detail']))}")
    topics = [
        topic
        for topic in escalation.get("topics") or ()
        if topic not in (escalation.get("reason_detail") or ())
    ]
    if topics:
        lines.append(f"            also raises: {', '.join(map(str, topics[:5]))}")
    if escalation.get("intent"):
        confidence = escalation.get("confidence")
        shown = f" ({confidence:.0%})" if isinstance(confidence, int | float) else ""
        others = [f"{label} {p:.0%}" for label, p in escalation.get("top_k", [])[1:3]]
        lines.append(
            f"Intent:     {escalation['intent']}{shown}" + (f"  · also {', '.join(others)}" if others else "")
        )
    emotion = _obj(escalation.get("emotion"))
    if emotion:
        cues = ", ".join(f'"{cue}"' for cue in emotion.get("cues", ())[:5])
        lines.append(
            f"Emotion:    {emotion.get('label', '?')} ({float(emotion.get('confidence', 0)):.2f})"
            + (f" — {cues}" if cues else "")
        )
    urgency = _obj(escalation.get("urgency"))
    if urgency:
        cues = ", ".join(urgency.get("cues", ())[:5])
        lines.append(
            f"Urgency:    {urgency.get('level', '?')} ({float(urgency.get('score', 0)):.2f})"
            + (f" — {cues}" if cues else "")
        )
    # The agent summary (issue 6) when the escalation carries one, else the first, shorter summary.
    summary = _obj(escalation.get("agent_summary")) or _obj(escalation.get("summary"))
    rich = _rich_summary(summary) if "wants" in summary else None
    if rich is not None:
        lines += ["", rich, ""]
    else:
        if summary.get("key_points"):
            lines += ["Key points:", *(f"  - {point}" for point in summary["key_points"])]
        entities = _obj(summary.get("entities"))
        found = [
            f"{label} {', '.join(map(str, entities[name]))}"
            for name, label in (("order_numbers", "orders"), ("amounts", "amounts"), ("dates", "dates"))
            if entities.get(name)
        ]
        if found:
            lines.append(f"Entities:   {' · '.join(found)}")
    attachments = escalation.get("attachments") or []
    if attachments:
        names = ", ".join(
            f"{item.get('filename') or '?'} ({_size(item.get('size', 0))})" for item in attachments[:5]
        )
        lines.append(f"Attachments: {len(attachments)} — {names}")
    if escalation.get("defects"):
        lines.append(f"Read issues: {', '.join(map(str, escalation['defects'][:5]))}")
    raw = _obj(escalation.get("raw"))
    if raw:
        lines.append(f"Original:   s3://{raw.get('bucket')}/{raw.get('key')} ({_size(raw.get('size', 0))})")
    if escalation.get("suggested_reply") and not (rich is not None and summary.get("draft")):
        draft = str(escalation["suggested_reply"])
        if "DRAFT" not in draft[:40].upper():
            draft = f"[DRAFT - review before sending]\n\n{draft}"
        lines += [
            "",
            "Suggested reply (DRAFT — not sent; edit before sending):",
            *(f"  | {line}".rstrip() for line in draft.splitlines()),
        ]
    lines += ["", f"Claim ID: {pulled.id}"]
    return "\n".join(lines)


def _rich_summary(summary: dict[str, Any]) -> str | None:
    """The summary module's own renderer for its richer summary, when it has one; None to use ours."""
    try:
        module = importlib.import_module("triage.summary")
        model = module.AgentSummary.model_validate(summary)
        return str(module.render_summary(model))
    except Exception as error:  # a summary shape this build cannot render must not hide the escalation
        logger.warning("agent summary not rendered", extra={"error": type(error).__name__})
        return None


def _obj(value: object) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _size(size: object) -> str:
    value = float(size) if isinstance(size, int | float) else 0.0
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} MB"
