"""boto3 adapters for the ports: the only module that talks to AWS."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoCoreConnectionError

from triage.conversation import (
    Claim,
    ContactHistory,
    ContactRecord,
    Denial,
    StateUnavailable,
    customer_key,
    sender_allows,
    sender_key,
    share_allows,
    share_key,
    thread_keys,
)
from triage.message import InboundMessage
from triage.ports import SecretsUnavailable, SendRefused, secrets_from_document
from triage.profiles import Caps
from triage.settings import Settings

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
# SES sends replies, and SendRawEmail is not idempotent: after a read timeout, a dropped connection or a 500 the
# mail may be on its way, and botocore's retry would send the customer a second copy. One attempt: what SES did
# not take (throttles, no connection) goes back to the queue as SendRefused(retry=True); the rest is uncertain.
_ONE_ATTEMPT = Config(
    retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=20
)
_ONE_ATTEMPT_SERVICES = frozenset({"ses"})


@lru_cache(maxsize=16)
def client(service: str, endpoint_url: str | None = None) -> Any:
    """One client per service per process (Lambda reuses it across invocations)."""
    config = _ONE_ATTEMPT if service in _ONE_ATTEMPT_SERVICES else _RETRIES
    return boto3.client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


class S3RawMailStore:
    def __init__(self, settings: Settings) -> None:
        self._s3 = client("s3", settings.aws_endpoint_url)

    def get(self, bucket: str, key: str) -> bytes:
        body: bytes = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body


class SqsQueue:
    def __init__(self, queue_url: str, settings: Settings) -> None:
        if not queue_url:
            raise ValueError("queue URL is not configured")
        self.queue_url = queue_url
        self._sqs = client("sqs", settings.aws_endpoint_url)

    def send(self, body: str) -> str:
        response = self._sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)
        return str(response["MessageId"])


@lru_cache(maxsize=64)
def queue_by_name(name: str, endpoint_url: str | None) -> SqsQueue:
    """A queue found by name (the team queues), its URL looked up once per process."""
    url = str(client("sqs", endpoint_url).get_queue_url(QueueName=name)["QueueUrl"])
    queue = SqsQueue.__new__(SqsQueue)
    queue.queue_url, queue._sqs = url, client("sqs", endpoint_url)
    return queue


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        self._ses = client("ses", settings.aws_endpoint_url)
        self._configuration_set = settings.ses_configuration_set

    def send_raw(self, mime: bytes, *, source: str, destinations: Sequence[str]) -> str:
        extra = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
        try:
            response = self._ses.send_raw_email(
                Source=source, Destinations=list(destinations), RawMessage={"Data": mime}, **extra
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            code = details.get("Code", "")
            if code not in _SES_REFUSALS:
                raise  # e.g. a 500: SES may have taken it (the worker's redelivery then hands over, never resends)
            retry = code in _SES_THROTTLES
            if retry and _DAILY_QUOTA in details.get("Message", "").lower():
                # Not a rate: the day's quota is spent, and the queue's redeliveries (minutes apart) would all meet
                # it, then leave the message in the DLQ. A person answers now instead.
                code, retry = "DailyQuotaExceeded", False
            raise SendRefused(f"SES refused the reply ({code})", code=code, retry=retry) from error
        except BotoCoreConnectionError as error:
            # The connection never opened (no endpoint, connect timeout): nothing reached SES.
            code = type(error).__name__
            raise SendRefused(f"SES not reached ({code})", code=code, retry=True) from error
        return str(response["MessageId"])


# SES answers these before accepting anything: the message was not sent. Only a throttle (or a 503) passes with
# time; the others (the message or its recipient rejected, as in the sandbox; the sender identity, the configuration
# set or the account) refuse a redelivery alike.
_SES_THROTTLES = frozenset(
    {"Throttling", "ThrottlingException", "LimitExceededException", "ServiceUnavailable"}
)
# SES's Throttling message once the 24-hour sending quota is spent (a rate throttle says "Maximum sending rate").
_DAILY_QUOTA = "daily message quota exceeded"
_SES_REFUSALS = _SES_THROTTLES | {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "ConfigurationSetDoesNotExistException",
    "ConfigurationSetSendingPausedException",
    "AccountSendingPausedException",
}


class S3DecisionLog:
    def __init__(self, settings: Settings) -> None:
        if not settings.decision_log_bucket:
            raise ValueError("DECISION_LOG_BUCKET is not configured")
        self._bucket = settings.decision_log_bucket
        self._prefix = settings.decision_log_prefix
        self._s3 = client("s3", settings.aws_endpoint_url)

    def record(self, key: str, document: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=f"{self._prefix}{key}.json",
            Body=document.encode("utf-8"),
            ContentType="application/json",
        )


class S3Blobs:
    """Large documents (claim-checked escalations) in the stack's bucket."""

    def __init__(self, settings: Settings) -> None:
        if not settings.decision_log_bucket:
            raise ValueError("DECISION_LOG_BUCKET is not configured")
        self._bucket = settings.decision_log_bucket
        self._s3 = client("s3", settings.aws_endpoint_url)

    def put(self, key: str, data: bytes) -> tuple[str, str]:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType="application/json")
        return self._bucket, key


def idempotency_store(settings: Settings) -> Any:
    """Powertools' DynamoDB persistence layer for the worker's exactly-once processing."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=client("dynamodb", settings.aws_endpoint_url)
    )


_KEEP_CLAIMS = timedelta(days=90)
_KEEP_SHARES = timedelta(days=2)


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


class DynamoConversationStore:
    """Threads, senders' caps and share counters in one DynamoDB table (``pk``, ``sk``; TTL on ``expires_at``).

    A thread key holds one ``contact#<message key>`` item per message and at most one ``claim`` item: the automatic
    reply it got, written with ``attribute_not_exists`` in the same transaction as the sender's capped list of reply
    times and the messages they answered (optimistic ``version``; a message that claims again after giving its
    claim back replaces its own entry). Share counters are counted in a transaction with the first contact item, so a
    redelivered message is not counted twice. The share check reads then claims, so two messages at the same instant
    may both pass it: the ratio is a ceiling on the day's average, not a lock.
    """

    def __init__(self, settings: Settings) -> None:
        if not settings.conversation_table:
            raise ValueError("CONVERSATION_TABLE is not configured")
        self._table = settings.conversation_table
        self._ddb = client("dynamodb", settings.aws_endpoint_url)
        self._keep_contacts = timedelta(days=settings.context_retention_days)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._ddb, operation)(TableName=self._table, **kwargs)
        except (ClientError, BotoCoreError) as error:
            raise StateUnavailable(
                f"conversation store: {operation} failed ({type(error).__name__})"
            ) from error

    def _items(self, pk: str) -> list[dict[str, Any]]:
        response = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )
        return list(response.get("Items", []))

    def history(self, message: InboundMessage, now: datetime) -> ContactHistory:
        replied_by: str | None = None
        contacts: dict[str, datetime] = {}
        turns: dict[str, ContactRecord] = {}
        resolved = False
        own = f"contact#{message.identity}"
        for key in thread_keys(message):
            for item in self._items(key):
                sk = item["sk"]["S"]
                if sk == "claim":
                    replied_by = replied_by or item["message_key"]["S"]
                elif sk == "resolved":
                    resolved = True
                elif sk.startswith("contact#") and sk != own:
                    contacts[sk] = datetime.fromtimestamp(int(item["at"]["N"]), UTC)
                    if "action" in item:
                        turns[sk] = _record(item, sk.removeprefix("contact#"))
        since = (now - self._keep_contacts).strftime("%Y-%m-%dT%H:%M:%S")
        response = self._call(
            "query",
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={
                ":pk": {"S": customer_key(message)},
                ":since": {"S": f"contact#{since}"},
            },
            ConsistentRead=True,
        )
        customer = [
            _record(item, item["message_key"]["S"])
            for item in response.get("Items", [])
            if item.get("message_key", {}).get("S") != message.identity
        ]
        return ContactHistory(
            auto_replied_by=replied_by,
            earlier_contacts=tuple(sorted(contacts.values())),
            resolved=resolved,
            turns=tuple(sorted(turns.values(), key=lambda record: record.at)),
            customer=tuple(sorted(customer, key=lambda record: record.at)),
        )

    def claim_reply(
        self, message: InboundMessage, segment: str, max_share: float, caps: Caps, now: datetime
    ) -> Claim:
        keys = thread_keys(message)
        if caps.per_thread < 1:
            return Claim(False, Denial.THREAD_ANSWERED, ("no automatic replies in threads",))
        share = self._call("get_item", Key=_key(share_key(segment, now), "count"), ConsistentRead=True).get(
            "Item", {}
        )
        total, automated = (
            int(share.get("total", {}).get("N", 0)),
            int(share.get("automated", {}).get("N", 0)),
        )
        if not share_allows(total, automated, max_share):
            return Claim(False, Denial.SHARE_CAP, (f"{automated}/{total} today, max {max_share:.0%}",))
        for _attempt in range(3):
            sender = self._sender_caps(message)
            version = int(sender["version"]["N"]) if sender else 0
            horizon = timedelta(seconds=caps.longest_window)
            replies = [
                (by, when)
                for by, when in _sender_replies(sender or {})
                if now - when < horizon and by != message.identity  # a claim given back and made again: one
            ]
            allowed, why = sender_allows([when for _, when in replies], caps, now)
            if not allowed:
                return Claim(False, Denial.SENDER_CAP, (why,))
            mine = (message.identity, now)
            writes: list[dict[str, Any]] = [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_key(key, "claim"),
                            "message_key": {"S": message.identity},
                            "at": {"N": str(_epoch(now))},
                            "expires_at": {"N": str(_epoch(now + _KEEP_CLAIMS))},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for key in keys
            ]
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_key(sender_key(message), "caps"),
                            "replies": {"L": [{"N": str(_epoch(when))} for _, when in [*replies, mine]]},
                            "by": {"L": [{"S": by} for by, _ in [*replies, mine]]},
                            "version": {"N": str(version + 1)},
                            "expires_at": {"N": str(_epoch(now + horizon))},
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(version)}},
                    }
                }
            )
            try:
                self._ddb.transact_write_items(TransactItems=writes)
                return Claim(True)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise StateUnavailable(
                        f"conversation store: claim failed ({error.response['Error'].get('Code')})"
                    ) from error
                reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if any(code == "ConditionalCheckFailed" for code in reasons[: len(keys)]) or not reasons:
                    owner = self.history(message, now).auto_replied_by
                    if owner == message.identity:
                        return Claim(False, Denial.SENT_BEFORE)
                    if owner is not None or not reasons:
                        return Claim(False, Denial.THREAD_ANSWERED)
                # Only the sender's version moved: another reply to this sender just went out. Read again.
            except BotoCoreError as error:
                raise StateUnavailable(
                    f"conversation store: claim failed ({type(error).__name__})"
                ) from error
        return Claim(False, Denial.SENDER_CAP, ("concurrent replies to this sender",))

    def _sender_caps(self, message: InboundMessage) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._call(
            "get_item", Key=_key(sender_key(message), "caps"), ConsistentRead=True
        ).get("Item")
        return item

    def release_reply(self, message: InboundMessage) -> None:
        for key in thread_keys(message):
            # The condition fails where the thread's claim is another message's: that one is not ours to release.
            with _state_errors("release", unless="ConditionalCheckFailedException"):
                self._ddb.delete_item(
                    TableName=self._table,
                    Key=_key(key, "claim"),
                    ConditionExpression="message_key = :mine",
                    ExpressionAttributeValues={":mine": {"S": message.identity}},
                )
        for _attempt in range(3):
            sender = self._sender_caps(message)
            replies = _sender_replies(sender or {})
            kept = [(by, when) for by, when in replies if by != message.identity]
            if sender is None or len(kept) == len(replies):
                return
            version = int(sender["version"]["N"])
            # Another reply to this sender moved the version meanwhile: read again. After three tries the entry
            # stays, which counts one reply too many: fail closed.
            with _state_errors("release", unless="ConditionalCheckFailedException"):
                self._ddb.put_item(
                    TableName=self._table,
                    Item=sender
                    | {
                        "replies": {"L": [{"N": str(_epoch(when))} for _, when in kept]},
                        "by": {"L": [{"S": by} for by, _ in kept]},
                        "version": {"N": str(version + 1)},
                    },
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={":v": {"N": str(version)}},
                )
                return

    def note(
        self,
        message: InboundMessage,
        segment: str,
        automated: bool,
        resolved: bool,
        now: datetime,
        record: ContactRecord | None = None,
    ) -> None:
        keys = thread_keys(message)
        contact = self._contact(now, record)
        first, *others = keys or (f"thread#{message.identity}",)
        # Already noted (a redelivery) cancels the transaction: neither the contact nor the count is written twice.
        with _state_errors("note", unless="TransactionCanceledException"):
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**_key(first, f"contact#{message.identity}"), **contact},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(share_key(segment, now), "count"),
                            "UpdateExpression": "ADD #total :one, automated :auto SET expires_at = :exp",
                            "ExpressionAttributeNames": {"#total": "total"},
                            "ExpressionAttributeValues": {
                                ":one": {"N": "1"},
                                ":auto": {"N": "1" if automated else "0"},
                                ":exp": {"N": str(_epoch(now + _KEEP_SHARES))},
                            },
                        }
                    },
                ]
            )
        for key in others:
            self._call("put_item", Item={**_key(key, f"contact#{message.identity}"), **contact})
        if resolved:
            for key in keys:
                self._call("put_item", Item={**_key(key, "resolved"), **contact})
        if record is not None:
            self._put_customer_contact(message, contact, record)

    def amend(self, message: InboundMessage, segment: str, now: datetime, record: ContactRecord) -> None:
        contact = self._contact(now, record)
        for key in thread_keys(message) or (f"thread#{message.identity}",):
            self._call("put_item", Item={**_key(key, f"contact#{message.identity}"), **contact})
        self._put_customer_contact(message, contact, record)
        with _state_errors("amend", unless="ConditionalCheckFailedException"):  # the count is at 0 already
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(share_key(segment, now), "count"),
                UpdateExpression="ADD automated :less",
                ConditionExpression="automated > :none",
                ExpressionAttributeValues={":less": {"N": "-1"}, ":none": {"N": "0"}},
            )

    def _contact(self, now: datetime, record: ContactRecord | None) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "at": {"N": str(_epoch(now))},
            "expires_at": {"N": str(_epoch(now + self._keep_contacts))},
        }
        return contact | (_record_attributes(record) if record is not None else {})

    def _put_customer_contact(
        self, message: InboundMessage, contact: dict[str, Any], record: ContactRecord
    ) -> None:
        sk = f"contact#{record.at:%Y-%m-%dT%H:%M:%S}#{message.identity}"
        self._call(
            "put_item",
            Item={**_key(customer_key(message), sk), **contact, "message_key": {"S": message.identity}},
        )


@contextmanager
def _state_errors(operation: str, *, unless: str) -> Iterator[None]:
    """The conversation store's AWS errors in ``operation`` as ``StateUnavailable``, except the error code ``unless``:
    a conditional write refused because it was not needed."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code != unless:
            raise StateUnavailable(f"conversation store: {operation} failed ({code})") from error
    except BotoCoreError as error:
        raise StateUnavailable(f"conversation store: {operation} failed ({type(error).__name__})") from error


def _record_attributes(record: ContactRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "action": {"S": record.action or "-"},
        "reason": {"S": record.reason or "-"},
    }
    if record.intent:
        attributes["intent"] = {"S": record.intent}
    if record.points:
        attributes["points"] = {"L": [{"S": point[:300]} for point in record.points[:3]]}
    return attributes


def _record(item: dict[str, Any], message_key: str) -> ContactRecord:
    return ContactRecord(
        at=datetime.fromtimestamp(int(item["at"]["N"]), UTC),
        message_key=message_key,
        intent=item.get("intent", {}).get("S"),
        action=item.get("action", {}).get("S", ""),
        reason=item.get("reason", {}).get("S", ""),
        points=tuple(value["S"] for value in item.get("points", {}).get("L", [])),
    )


def _sender_replies(item: dict[str, Any]) -> list[tuple[str, datetime]]:
    """A sender's caps item as (message key, reply time) pairs. Items written before the keys were kept (no ``by``)
    read as replies of no message."""
    keys = [value["S"] for value in item.get("by", {}).get("L", [])]
    times = [datetime.fromtimestamp(int(value["N"]), UTC) for value in item.get("replies", {}).get("L", [])]
    if len(keys) != len(times):
        keys = [""] * len(times)
    return list(zip(keys, times, strict=True))


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class DynamoCustomerDirectory:
    """The company's customer table: ``email`` (lower case) → ``segment``."""

    def __init__(self, settings: Settings) -> None:
        self._table = settings.customer_table
        self._ddb = client("dynamodb", settings.aws_endpoint_url)

    def segment_of(self, address: str) -> str | None:
        try:
            item = self._ddb.get_item(TableName=self._table, Key={"email": {"S": address.lower()}}).get(
                "Item"
            )
        except (ClientError, BotoCoreError) as error:
            raise StateUnavailable(f"customer table: lookup failed ({type(error).__name__})") from error
        segment = (item or {}).get("segment", {}).get("S")
        return str(segment) if segment else None


class SecretsManagerSecrets:
    """Webhook secrets in Secrets Manager, one secret per provider (``<prefix><provider>``), read through
    Powertools Parameters and cached for ``max_age`` seconds: a rotated secret is picked up within that time."""

    def __init__(self, settings: Settings, max_age: int = 300) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client("secretsmanager", settings.aws_endpoint_url))
        self._prefix = settings.webhook_secret_prefix
        self._max_age = max_age

    def secrets(self, provider: str) -> list[str]:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(f"{self._prefix}{provider}", max_age=self._max_age)
        except GetParameterError as error:
            if "ResourceNotFoundException" in str(error):
                return []
            raise SecretsUnavailable(f"secrets manager: {type(error.__cause__ or error).__name__}") from error
        return secrets_from_document(value)


class SecretsManagerCredentials:
    """Helpdesk API credentials, one JSON secret per provider (``<prefix><provider>``), cached by Powertools."""

    def __init__(self, settings: Settings, max_age: int = 300) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client("secretsmanager", settings.aws_endpoint_url))
        self._prefix = settings.helpdesk_secret_prefix
        self._max_age = max_age

    def credentials(self, provider: str) -> Any:
        from triage.helpdesk import Credentials

        text = self._provider.get(f"{self._prefix}{provider}", max_age=self._max_age)
        return Credentials.from_json(provider, text if isinstance(text, str) else str(text))
