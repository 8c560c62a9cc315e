"""boto3 adapters for the ports: the only module that talks to AWS."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from triage.settings import Settings

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)


@lru_cache(maxsize=16)
def client(service: str, endpoint_url: str | None = None) -> Any:
    """One client per service per process (Lambda reuses it across invocations)."""
    return boto3.client(service, endpoint_url=endpoint_url, config=_RETRIES)  # type: ignore[call-overload]


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


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        self._ses = client("ses", settings.aws_endpoint_url)
        self._configuration_set = settings.ses_configuration_set

    def send_raw(self, mime: bytes, *, source: str, destinations: Sequence[str]) -> str:
        extra = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
        response = self._ses.send_raw_email(
            Source=source, Destinations=list(destinations), RawMessage={"Data": mime}, **extra
        )
        return str(response["MessageId"])


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


def idempotency_store(settings: Settings) -> Any:
    """Powertools' DynamoDB persistence layer for the worker's exactly-once processing."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=client("dynamodb", settings.aws_endpoint_url)
    )
