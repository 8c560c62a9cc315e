"""The local stack's moto patch (``itemwise_dynamodb_transactions``) checks moto's internals before it touches them.

It reaches into moto (``moto.dynamodb.models.copy``, ``DynamoDBBackend.transact_write_items``, ``Table.get_item``,
``Table.items`` ...). With another moto, where those are gone or changed, it must say so and leave moto alone rather
than break the local stack in some stranger way. Nothing here patches moto in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import moto.dynamodb.models as models
import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from triage import local


def _without_copy_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(models, "copy")


def _without_transact_write_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(DynamoDBBackend, "transact_write_items")


def _with_a_new_transact_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    def transact_write_items(self: Any, transact_items: Any, client_request_token: Any) -> None:
        raise AssertionError("not to be called")

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)


def _with_transactions_that_no_longer_deep_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    def transact_write_items(self: Any, transact_items: Any) -> None:
        raise AssertionError("not to be called")

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)


def _without_table_get_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Table, "get_item")


def _with_table_items_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Table.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.rows = self.__dict__.pop("items")

    monkeypatch.setattr(Table, "__init__", init)


@pytest.mark.parametrize(
    ("break_moto", "named"),
    [
        (_without_copy_module, "no longer imports the copy module"),
        (_without_transact_write_items, r"no DynamoDBBackend.transact_write_items\(self, transact_items\)"),
        (_with_a_new_transact_signature, r"no DynamoDBBackend.transact_write_items\(self, transact_items\)"),
        (_with_transactions_that_no_longer_deep_copy, "no longer backs tables up with copy.deepcopy"),
        (_without_table_get_item, "a probe table cannot be made and read"),
        (_with_table_items_renamed, "no attribute 'items'"),
    ],
)
def test_a_moto_without_the_patched_internals_is_named_and_left_unpatched(
    monkeypatch: pytest.MonkeyPatch, break_moto: Callable[[pytest.MonkeyPatch], None], named: str
) -> None:
    # Given a moto that lacks one internal the patch relies on
    break_moto(monkeypatch)
    before = (getattr(models, "copy", None), getattr(DynamoDBBackend, "transact_write_items", None))
    # When the local stack's moto server would patch it
    with pytest.warns(local.MotoInternalsChanged, match=named) as warned:
        patched = local.itemwise_dynamodb_transactions()
    # Then it says what is missing, what that costs and what to do, and leaves moto exactly as it was
    assert patched is False
    message = str(warned[0].message)
    assert "runs moto's own DynamoDB TransactWriteItems" in message
    assert "moto>=5,<6" in message
    assert (getattr(models, "copy", None), getattr(DynamoDBBackend, "transact_write_items", None)) == before


def test_the_installed_moto_has_every_internal_the_patch_needs() -> None:
    assert local.itemwise_transactions_problem() is None


def test_unpatched_moto_still_runs_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a moto the patch gave up on
    from moto import mock_aws

    monkeypatch.setattr(Table, "get_item", None)
    with pytest.warns(local.MotoInternalsChanged):
        assert local.itemwise_dynamodb_transactions() is False
    monkeypatch.undo()  # moto's own transactions read items through Table.get_item
    local.fake_credentials()
    with mock_aws():
        # When a transaction runs
        client = boto3.client("dynamodb", region_name=local.REGION)
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"id": {"S": "a"}}}}])
        # Then moto's own code wrote it
        assert client.get_item(TableName="t", Key={"id": {"S": "a"}})["Item"] == {"id": {"S": "a"}}


def test_the_moto_server_warns_in_the_process_that_starts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a moto the patch cannot apply to (the server's output goes nowhere, so the caller must be told)
    monkeypatch.setattr(local, "itemwise_transactions_problem", lambda: "Table.items is not a mapping")
    local.fake_credentials()
    # When the local stack starts its moto server, Then the caller sees the warning
    with pytest.warns(local.MotoInternalsChanged, match="Table.items is not a mapping"), local.moto_process():
        pass
