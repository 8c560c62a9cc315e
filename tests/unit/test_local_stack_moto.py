"""The moto server of the local stack (``triage serve``, ``triage bench --local-stack``): its environment, its
item-level DynamoDB transactions, and the peak-memory figure the load run reports.

Each test starts a real moto server process on a free port; no timing is asserted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from triage import local

TABLE = "conversations"


@pytest.fixture(scope="module")
def moto() -> Iterator[tuple[str, int]]:
    local.fake_credentials()
    with local.moto_process() as (url, process):
        yield url, process.pid


@pytest.fixture(scope="module")
def ddb(moto: tuple[str, int]) -> Any:
    client = boto3.client("dynamodb", endpoint_url=moto[0], region_name=local.REGION)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def key(pk: str, sk: str = "item") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def put(pk: str, **attrs: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": key(pk) | {name: {"S": value} for name, value in attrs.items()},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def stored(ddb: Any, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=TABLE, Key=key(pk), ConsistentRead=True).get("Item")
    return item


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_the_moto_server_process_gets_the_malloc_settings(moto: tuple[str, int]) -> None:
    environ = Path(f"/proc/{moto[1]}/environ").read_bytes().split(b"\0")
    for name, value in local.MOTO_SERVER_ENV.items():
        assert f"{name}={value}".encode() in environ


def test_a_failed_transaction_puts_back_exactly_the_items_it_touched(ddb: Any) -> None:
    # Given an item the transaction updates, one it does not name, and one whose condition fails
    ddb.put_item(TableName=TABLE, Item=key("tx-updated") | {"n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item=key("tx-bystander") | {"n": {"N": "7"}})
    ddb.put_item(TableName=TABLE, Item=key("tx-taken"))
    # When a transaction creates one item, updates another, then fails its condition on the third
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(
            TransactItems=[
                put("tx-new", v="x"),
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("tx-updated"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                put("tx-taken"),
            ]
        )
    # Then nothing of it is left, what it did not name is untouched, and the reasons are AWS's
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == [
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert stored(ddb, "tx-new") is None
    assert stored(ddb, "tx-updated") == key("tx-updated") | {"n": {"N": "1"}}
    assert stored(ddb, "tx-bystander") == key("tx-bystander") | {"n": {"N": "7"}}
    # And a transaction that holds is written whole
    ddb.transact_write_items(TransactItems=[put("tx-ok-1"), put("tx-ok-2")])
    assert stored(ddb, "tx-ok-1") is not None
    assert stored(ddb, "tx-ok-2") is not None


def test_concurrent_transactions_lose_no_write_when_others_roll_back(ddb: Any, moto: tuple[str, int]) -> None:
    # Given a table of some size (moto copied whole tables per transaction: a wide window for races) ...
    for start in range(0, 2000, 25):
        ddb.batch_write_item(
            RequestItems={
                TABLE: [{"PutRequest": {"Item": key(f"filler-{n}")}} for n in range(start, start + 25)]
            }
        )
    # ... and two clients, each writing its own items while half of its transactions fail a condition
    ddb.put_item(TableName=TABLE, Item=key("race-taken"))
    failures: list[str] = []

    def writer(name: str) -> None:
        client = boto3.client("dynamodb", endpoint_url=moto[0], region_name=local.REGION)
        for n in range(60):
            items = [put(f"race-{name}-{n}")] + ([put("race-taken")] if n % 2 else [])
            try:
                client.transact_write_items(TransactItems=items)
            except ClientError as error:
                failures.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then only the conditional ones failed, each as a cancelled transaction (no server error) ...
    assert failures == ["TransactionCanceledException"] * 60
    # ... and every write of a transaction that held is there; none of a cancelled one is
    for name in ("a", "b"):
        for n in range(60):
            assert (stored(ddb, f"race-{name}-{n}") is None) == bool(n % 2), (name, n)


def test_peak_rss_is_read_for_a_live_process_and_none_for_a_gone_one(moto: tuple[str, int]) -> None:
    peak = local.peak_rss_mb(moto[1])
    if Path("/proc/self/status").exists():
        assert peak is not None
        assert peak > 0
    assert local.peak_rss_mb(2**22 + os.getpid() % 1000) is None
