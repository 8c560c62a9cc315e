"""Run the real Lambda handlers on this machine against moto: the stack's resources, events shaped like AWS's.

Used by ``triage demo`` and by the handler tests, so both exercise exactly what Lambda would run.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import subprocess
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS_DIR = Path(__file__).resolve().parents[1]
SUPPORT_ADDRESS = "support@example.com"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "local"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class Stack:
    bucket: str
    triage_queue_url: str
    escalation_queue_url: str
    table: str
    conversation_table: str = ""
    outbox_queue_url: str = ""
    escalation_queue_prefix: str = ""

    def environment(self) -> dict[str, str]:
        return {
            "TRIAGE_QUEUE_URL": self.triage_queue_url,
            "ESCALATION_QUEUE_URL": self.escalation_queue_url,
            "IDEMPOTENCY_TABLE": self.table,
            "CONVERSATION_TABLE": self.conversation_table,
            "OUTBOX_QUEUE_URL": self.outbox_queue_url,
            "ESCALATION_QUEUE_PREFIX": self.escalation_queue_prefix,
            "DECISION_LOG_BUCKET": self.bucket,
            "REPLY_FROM_ADDRESS": SUPPORT_ADDRESS,
            "SUPPORT_ADDRESSES": SUPPORT_ADDRESS,
        }


def fake_credentials() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SupportTriage",
    }.items():
        os.environ.setdefault(name, value)


# Added to the moto server process's environment. Each request is a thread, glibc gives threads their own malloc
# arenas (up to 8 per core), and once a 13 MB body allocated by mmap is freed it raises its mmap threshold, so later
# bodies stay in those arenas. Two arenas and a fixed threshold give big bodies back when freed. A second-order
# saving (moto alone, 2,000 transactions and 200 bodies of 13 MB: peak 477 -> 363 MB, 413 -> 106 MB at the end);
# the first-order one is ``itemwise_dynamodb_transactions``.
MOTO_SERVER_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(4 * 1024 * 1024),
}


@contextmanager
def moto_server(timeout: float = 30.0, port: int | None = None) -> Iterator[str]:
    """A moto server in its own process on ``port`` (default: a free one) on localhost, its URL in
    ``AWS_ENDPOINT_URL`` meanwhile.

    In-process moto (``mock_aws``) shares this interpreter's lock with the code under test; load runs and the local
    stack use a separate process so that, as in AWS, the services' work is not billed to the function.
    """
    with moto_process(timeout, port) as (url, _process):
        yield url


@contextmanager
def moto_process(
    timeout: float = 30.0, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``moto_server``, also giving the process (its pid for ``peak_rss_mb``).

    The server runs ``serve_moto`` below (moto's own server, DynamoDB transactions made item-level) with
    ``MOTO_SERVER_ENV`` added to this process's environment.
    """
    import socket
    import time
    import urllib.request

    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    # The server is our interpreter and our moto: if its patch cannot apply there, say so here (its output is not shown).
    if (problem := itemwise_transactions_problem()) is not None:
        warnings.warn(unpatched_moto_warning(problem), MotoInternalsChanged, stacklevel=3)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter running moto's server
        [
            sys.executable,
            "-c",
            "from triage.local import serve_moto; serve_moto()",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | MOTO_SERVER_ENV,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - localhost
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        with environment({"AWS_ENDPOINT_URL": url}):
            yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident set (``VmHWM``) of process ``pid`` in MB, or None where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def serve_moto() -> None:
    """``python -m moto.server`` (its arguments from ``sys.argv``), with item-level DynamoDB transactions."""
    from moto.server import main

    itemwise_dynamodb_transactions()
    main(sys.argv[1:])


_transaction_copy = threading.local()


class MotoInternalsChanged(RuntimeWarning):
    """This moto lacks what ``itemwise_dynamodb_transactions`` patches; the local stack runs moto unpatched."""


def unpatched_moto_warning(problem: str) -> str:
    from importlib.metadata import version

    return (
        f"moto {version('moto')} has changed inside ({problem}), so the local stack runs moto's own DynamoDB "
        "TransactWriteItems: it copies every table a transaction names, per item, so memory and time grow with the "
        "tables and concurrent transactions can lose writes. Fine for `triage demo` or a short `triage serve`; "
        "for load runs (`triage serve --load`, `triage bench --local-stack`) install moto>=5,<6 as pyproject.toml "
        "pins it, or update triage.local.itemwise_dynamodb_transactions."
    )


def itemwise_transactions_problem() -> str | None:
    """What ``itemwise_dynamodb_transactions`` relies on in moto and this moto lacks; None when all is there.

    The patch swaps the ``copy`` module that ``DynamoDBBackend.transact_write_items`` deep-copies tables with, and
    reads and puts back items through ``backend.tables``, ``Table.hash_key_attr`` / ``range_key_attr``,
    ``Table.get_item(hash, range)`` and ``Table.items`` (hash -> item, or hash -> range -> item).
    """
    import copy
    import inspect

    try:
        import moto.dynamodb.models as models
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table
    except ImportError as error:
        return f"cannot import {error.name or error}"
    transact = getattr(DynamoDBBackend, "transact_write_items", None)
    if getattr(transact, "_itemwise", False):
        return None  # patched already (this process)
    if transact is None or list(inspect.signature(transact).parameters) != ["self", "transact_items"]:
        return "no DynamoDBBackend.transact_write_items(self, transact_items)"
    if getattr(models, "copy", None) is not copy:
        return "moto.dynamodb.models no longer imports the copy module"
    try:
        source = inspect.getsource(transact)
    except (OSError, TypeError):
        return "the source of DynamoDBBackend.transact_write_items cannot be read"
    if "copy.deepcopy(" not in source:
        return "DynamoDBBackend.transact_write_items no longer backs tables up with copy.deepcopy"
    keys = (("pk", "HASH"), ("sk", "RANGE"))
    try:
        backend = DynamoDBBackend(REGION, ACCOUNT)
        table = Table(  # type: ignore[abstract]  # its CloudFormation hooks are never called here
            "itemwise-probe",
            account_id=ACCOUNT,
            region=REGION,
            schema=[{"AttributeName": name, "KeyType": kind} for name, kind in keys],
            attr=[{"AttributeName": name, "AttributeType": "S"} for name, _ in keys],
        )
        missing = table.get_item(DynamoType({"S": "h"}), DynamoType({"S": "r"}))
    except Exception as error:
        return f"a probe table cannot be made and read ({type(error).__name__}: {error})"
    if not isinstance(getattr(backend, "tables", None), MutableMapping):
        return "DynamoDBBackend has no tables mapping"
    if (getattr(table, "hash_key_attr", None), getattr(table, "range_key_attr", None)) != ("pk", "sk"):
        return "Table has no hash_key_attr / range_key_attr"
    if not isinstance(getattr(table, "items", None), MutableMapping):
        return "Table.items is not a mapping"
    if missing is not None:
        return "Table.get_item(hash, range) does not return None for a missing item"
    return None


def itemwise_dynamodb_transactions() -> bool:
    """Make moto's ``TransactWriteItems`` back up and roll back only the items it touches.

    moto 5 deep-copies every table a transaction names, once per item of the transaction, before writing, and on
    failure puts those copies back as the tables. Each transaction therefore costs time and memory in proportion to
    the whole table: the conversation table grows with every mail, so a load run slows down quadratically and the
    server's memory climbs by gigabytes (300 mails: 1.9 GB; 1,000: past 14 GB). Worse, between two request threads
    a rollback puts back a table copied before another thread's writes, losing them, and a copy taken while another
    thread writes fails with "dictionary changed size during iteration" (a 500). Here transactions run one at a time,
    the items they name are copied (one ``Item`` each), and a failed one puts back exactly those items.

    Returns whether the patch is in place. It reaches into moto's internals (pyproject.toml keeps moto below 6); if
    those are not what it expects (``itemwise_transactions_problem``), it warns (``MotoInternalsChanged``) and leaves
    moto as it is: slower and hungrier on long runs, but a working local stack.
    """
    import copy

    problem = itemwise_transactions_problem()
    if problem is not None:
        warnings.warn(unpatched_moto_warning(problem), MotoInternalsChanged, stacklevel=2)
        return False

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_itemwise", False):
        return True
    original = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    class _TablesNotCopied:
        """moto's ``copy`` module for its DynamoDB backend: while a transaction runs, a table "copy" is the table."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, Table) and getattr(_transaction_copy, "skip", False):
                return value
            return copy.deepcopy(value, memo)

    def touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        saved = []
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = backend.tables.get(op.get("TableName"))
                if table is None:
                    continue
                key = op["Item"] if "Item" in op else op["Key"]
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                current = table.get_item(hash_key, range_key)
            except Exception:  # noqa: S112 - a malformed entry: moto's own code rejects it
                continue
            saved.append((table, hash_key, range_key, None if current is None else copy.deepcopy(current)))
        return saved

    def restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_key, range_key, item in reversed(saved):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                if hash_key in table.items:
                    table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            saved = touched(self, transact_items)
            _transaction_copy.skip = True
            try:
                original(self, transact_items)
            except BaseException:
                restore(saved)
                raise
            finally:
                _transaction_copy.skip = False

    transact_write_items._itemwise = True  # type: ignore[attr-defined]
    models.copy = _TablesNotCopied()  # type: ignore[attr-defined,assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    return True


# The queue and table settings template.yaml declares, for the resources the functions use (the local names differ).
# tests/template/test_local_stack_matches_template.py holds them to the template.
MAX_MESSAGE_BYTES = "1048576"
FOUR_DAYS_S, FOURTEEN_DAYS_S = "345600", "1209600"
DEAD_LETTER_QUEUE = {"MaximumMessageSize": MAX_MESSAGE_BYTES, "MessageRetentionPeriod": FOURTEEN_DAYS_S}
QUEUES: dict[str, tuple[dict[str, str], int]] = {  # local name -> (attributes, maxReceiveCount to its DLQ)
    "triage": ({"VisibilityTimeout": "180", "MessageRetentionPeriod": FOUR_DAYS_S}, 5),
    "escalation": ({"MessageRetentionPeriod": FOURTEEN_DAYS_S}, 5),
    "outbox": ({"VisibilityTimeout": "360", "MessageRetentionPeriod": FOUR_DAYS_S}, 5),
}
TEAM_QUEUE: tuple[dict[str, str], int] = (
    {"VisibilityTimeout": "900", "MessageRetentionPeriod": FOURTEEN_DAYS_S},
    10,
)
TABLE_KEYS = {  # local name -> (key schema as (attribute, type) with HASH first, TTL attribute)
    "idempotency": ((("id", "HASH"),), "expiration"),
    "conversations": ((("pk", "HASH"), ("sk", "RANGE")), "expires_at"),
}


def create_queue(sqs: Any, name: str, dlq_name: str, settings: tuple[dict[str, str], int]) -> str:
    """A queue redriving to its own dead-letter queue (both created); the queue's URL."""
    attributes, max_receive_count = settings
    dlq = sqs.create_queue(QueueName=dlq_name, Attributes=DEAD_LETTER_QUEUE)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
    queue_url: str = sqs.create_queue(
        QueueName=name,
        Attributes={
            "MaximumMessageSize": MAX_MESSAGE_BYTES,
            **attributes,
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return queue_url


def create_team_queues(sqs: Any, prefix: str, teams: Iterable[str]) -> dict[str, str]:
    """Every team × priority escalation queue with its dead-letter queue; queue name -> URL."""
    from triage.routing import PRIORITIES, dead_letter_queue_name, queue_name

    return {
        queue_name(prefix, team, priority): create_queue(
            sqs,
            queue_name(prefix, team, priority),
            dead_letter_queue_name(prefix, team, priority),
            TEAM_QUEUE,
        )
        for team in teams
        for priority in PRIORITIES
    }


def create_table(dynamodb: Any, name: str, keys: tuple[tuple[str, str], ...], ttl_attribute: str) -> None:
    """A string-keyed on-demand table with its TTL attribute (moto records it; it does not expire items)."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": attribute, "KeyType": kind} for attribute, kind in keys],
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"} for attribute, _ in keys],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"AttributeName": ttl_attribute, "Enabled": True}
    )


def create_stack(suffix: str = "local") -> Stack:
    """The resources of ``template.yaml`` the functions touch, created in the current (moto) account."""
    import boto3

    from triage.routing import load_routing
    from triage.settings import Settings

    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    ses = boto3.client("ses", region_name=REGION)
    bucket = f"triage-raw-mail-{suffix}"
    s3.create_bucket(Bucket=bucket)
    urls = {
        name: create_queue(sqs, f"{name}-{suffix}", f"{name}-dlq-{suffix}", settings)
        for name, settings in QUEUES.items()
    }
    tables = {name: f"triage-{name}-{suffix}" for name in TABLE_KEYS}
    for name, (keys, ttl_attribute) in TABLE_KEYS.items():
        create_table(dynamodb, tables[name], keys, ttl_attribute)
    ses.verify_domain_identity(Domain=SUPPORT_ADDRESS.split("@")[1])
    prefix = f"esc-{suffix}-"
    create_team_queues(sqs, prefix, load_routing(Settings.from_env().routing_file).team_names)
    return Stack(
        escalation_queue_prefix=prefix,
        bucket=bucket,
        triage_queue_url=urls["triage"],
        escalation_queue_url=urls["escalation"],
        outbox_queue_url=urls["outbox"],
        table=tables["idempotency"],
        conversation_table=tables["conversations"],
    )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def handler_module(name: str) -> ModuleType:
    """``email_intake.app`` or ``triage_worker.app``, imported from ``functions/`` as Lambda would."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    return importlib.import_module(f"{name}.app")


Handler = Callable[[dict[str, Any], Any], Any]


def lambda_handler(name: str) -> Handler:
    """The handler of ``functions/<name>/app.py``, each call one invocation (``one_invocation_of_metrics``)."""
    handler: Handler = handler_module(name).handler
    return one_invocation_of_metrics(handler)


def one_invocation_of_metrics(handler: Handler) -> Handler:
    """``handler``, the service's Powertools metrics cleared after each call, as an invocation's end clears them.

    In Lambda ``@metrics.log_metrics`` flushes at the end of each invocation, and flushing clears. The local tools set
    ``POWERTOOLS_METRICS_DISABLED``, whose flush prints nothing and clears nothing either: the values pile up across
    invocations and at the 100th of one metric ``add_metric`` prints the EMF document to stdout regardless, in the
    middle of ``triage serve``'s output. Clearing here keeps the set to what the invocations in flight have added.
    """
    from triage.observability import metrics

    # A flush that finds the set empty (a handler that adds none, or one another invocation's end cleared) makes
    # Powertools warn "No application metrics to publish" on stderr; with metrics off that says nothing.
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

    @functools.wraps(handler)
    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            metrics.clear_metrics()

    return invoke


def s3_put_event(bucket: str, key: str, size: int) -> dict[str, Any]:
    """An S3 ObjectCreated:Put notification as S3 sends it (the key URL-encoded)."""
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:ses"},
                "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16], "x-amz-id-2": "local"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "inbound-mail",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
                        "sequencer": f"{uuid.uuid4().int % 10**16:016X}",
                    },
                },
            }
        ]
    }


def sqs_event(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The Lambda SQS event for messages received from ``queue_url``."""
    queue_name = queue_url.rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": ACCOUNT,
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}",
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def drain_to_worker(queue_url: str, worker_handler: Any, max_batches: int = 100) -> list[dict[str, Any]]:
    """Do what the Lambda SQS poller does: receive, invoke, delete what succeeded. Returns the responses."""
    import boto3

    worker_handler = one_invocation_of_metrics(worker_handler)
    sqs = boto3.client("sqs", region_name=REGION)
    responses = []
    for _ in range(max_batches):
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            break
        response = worker_handler(
            sqs_event(queue_url, received), LambdaContext(function_name="triage-worker")
        )
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        for message in received:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        responses.append(response)
        if failed:
            break  # failed records come back after the visibility timeout, as on AWS
    return responses


def http_event(
    method: str, path: str, body: bytes, headers: dict[str, str], *, base64_body: bool = False
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the webhook intake function receives it."""
    import base64

    provider = path.rstrip("/").rsplit("/", 1)[-1]
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{provider}",
        "rawPath": path,
        "rawQueryString": "",
        # API Gateway lower-cases header names in payload 2.0.
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "POST /webhooks/{provider}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "pathParameters": {"provider": provider},
        "body": base64.b64encode(body).decode("ascii")
        if base64_body
        else body.decode("utf-8", "surrogateescape"),
        "isBase64Encoded": base64_body,
    }


def put_secret(name: str, value: str) -> None:
    import boto3

    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=name, SecretString=value)


def escalations(stack: Stack, *, hide_seconds: int = 60) -> list[dict[str, Any]]:
    """Every escalation waiting on the stack's queues (team queues, urgent first, and the single queue), each
    with ``_queue`` set to the queue's name. What they hold is hidden for ``hide_seconds`` (as an agent's pull)."""
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    urls = (
        sqs.list_queues(QueueNamePrefix=stack.escalation_queue_prefix).get("QueueUrls", [])
        if stack.escalation_queue_prefix
        else []
    )
    urls = sorted(
        (url for url in urls if not url.endswith("-dlq")), key=lambda url: (not url.endswith("-urgent"), url)
    )
    found: list[dict[str, Any]] = []
    for url in [*urls, stack.escalation_queue_url]:
        while batch := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=hide_seconds
        ).get("Messages", []):
            found.extend(
                json.loads(message["Body"]) | {"_queue": url.rsplit("/", 1)[-1]} for message in batch
            )
    return found


def sent_emails() -> list[dict[str, Any]]:
    """What moto's SES accepted for sending: [{"source", "destinations", "raw"}]."""
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT][REGION]
    return [
        {
            "source": sent.source,
            "destinations": sent.destinations,
            "raw": sent.raw_data.encode("utf-8") if isinstance(sent.raw_data, str) else sent.raw_data,
        }
        for sent in backend.sent_messages
        if hasattr(sent, "raw_data")
    ]
