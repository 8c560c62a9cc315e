"""The local stack (``triage.local.create_stack``: ``triage demo``, ``triage serve``, the handler tests) builds what
template.yaml declares, where the difference would change behaviour.

Given the template as CloudFormation would expand it and the resources ``create_stack`` makes in a moto account,
each template resource is paired with its local twin the way the functions find them: through the environment
variables (``TRIAGE_QUEUE_URL: !Ref TriageQueue`` in the template, ``Stack.environment()`` locally), a queue's
dead-letter queue through its redrive policy, and a team queue through its name after the prefix
(``ESCALATION_QUEUE_PREFIX``). Then the pairs must agree on keys, indexes and TTL (tables) and on FIFO-ness,
visibility, retention, size cap and redrive (queues), and neither side may hold a queue or table the other lacks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_template import (
    TEMPLATE_PATH,
    cfn_yaml,
    expand_for_each,
    functions,
    getatt_target,
    resources_of_type,
)

from triage import local

SUFFIX = "parity"

# Template queues the local stack leaves out on purpose, and why. A new template queue fails the test until it
# has a local twin or a line here; a line here whose queue is gone or now has a twin fails it too.
NOT_LOCAL = {
    "EmailIntakeFailureQueue": (
        "Lambda's on-failure destination for asynchronous S3 invocations; the local stack invokes the email intake "
        "synchronously and its exception reaches the caller (the SMTP client is told to retry)"
    ),
}

# What SQS gives a queue whose template leaves the attribute out. MaximumMessageSize has no entry: the template
# declares it on every queue (tests/template/test_template.py) and moto's default is not AWS's.
SQS_DEFAULTS = {
    "FifoQueue": "false",
    "ContentBasedDeduplication": "false",
    "VisibilityTimeout": "30",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
}
QUEUE_ATTRIBUTES = (*SQS_DEFAULTS, "MaximumMessageSize")


@dataclass(frozen=True)
class Built:
    """What ``create_stack`` made, read back through the AWS APIs (plain data: usable after moto is gone)."""

    stack: local.Stack
    tables: dict[str, dict[str, Any]]  # name -> describe_table()["Table"] + "TTL": describe_time_to_live()
    queues: dict[str, dict[str, str]]  # name -> every attribute
    buckets: set[str]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
    loaded["Resources"] = expand_for_each(loaded["Resources"])
    return loaded


@pytest.fixture(scope="module")
def built() -> Built:
    import boto3
    from moto import mock_aws

    local.fake_credentials()
    with mock_aws():
        stack = local.create_stack(SUFFIX)
        dynamodb = boto3.client("dynamodb", region_name=local.REGION)
        sqs = boto3.client("sqs", region_name=local.REGION)
        s3 = boto3.client("s3", region_name=local.REGION)
        tables = {
            name: dynamodb.describe_table(TableName=name)["Table"]
            | {"TTL": dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]}
            for name in dynamodb.list_tables()["TableNames"]
        }
        queues = {
            url.rsplit("/", 1)[-1]: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"
            ]
            for url in sqs.list_queues().get("QueueUrls", [])
        }
        buckets = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    return Built(stack, tables, queues, buckets)


# ----------------------------------------------------------------------------------------------------------
# Pairing template resources with local ones
# ----------------------------------------------------------------------------------------------------------
def template_environment(template: dict[str, Any]) -> dict[str, Any]:
    """Every function's environment variables (Globals applied), merged: name -> value as written."""
    merged: dict[str, Any] = {}
    for props in functions(template).values():
        merged |= props.get("Environment", {}).get("Variables", {})
    return merged


def twins_by_environment(template: dict[str, Any], built: Built, resource_type: str) -> dict[str, str]:
    """Template logical id -> local name, for each resource of ``resource_type`` a function is given by ``!Ref``."""
    local_env = built.stack.environment()
    resources = resources_of_type(template, resource_type)
    twins: dict[str, str] = {}
    for variable, value in template_environment(template).items():
        logical_id = value.get("Ref") if isinstance(value, dict) else None
        if logical_id not in resources:
            continue
        assert local_env.get(variable), (
            f"template gives the functions {variable} (!Ref {logical_id}); Stack.environment() does not"
        )
        twins[logical_id] = local_env[variable].rsplit("/", 1)[-1]  # a queue URL ends in the queue's name
    return twins


def queue_twins(template: dict[str, Any], built: Built) -> dict[str, str]:
    """Template queue logical id -> local queue name."""
    queues = resources_of_type(template, "AWS::SQS::Queue")
    twins = twins_by_environment(template, built, "AWS::SQS::Queue")
    # Team queues: the worker finds them by ESCALATION_QUEUE_PREFIX, so the name after the prefix is the pairing.
    prefix = template_environment(template)["ESCALATION_QUEUE_PREFIX"]["Fn::Sub"]
    for logical_id, resource in queues.items():
        name = resource["Properties"].get("QueueName", {})
        name = name.get("Fn::Sub", "") if isinstance(name, dict) else name
        if name.startswith(prefix):
            twins[logical_id] = built.stack.escalation_queue_prefix + name.removeprefix(prefix)
    # Dead-letter queues: the local twin is where the local twin of the source queue redrives to.
    for logical_id, resource in queues.items():
        redrive = resource["Properties"].get("RedrivePolicy")
        local_name = twins.get(logical_id)
        if redrive is None or local_name not in built.queues:
            continue
        local_redrive = built.queues[local_name].get("RedrivePolicy")
        if local_redrive:
            dlq = getatt_target(redrive["deadLetterTargetArn"])
            twins.setdefault(dlq or "", json.loads(local_redrive)["deadLetterTargetArn"].rsplit(":", 1)[-1])
    return twins


def queue_settings(props: dict[str, Any], twins: dict[str, str]) -> dict[str, str]:
    """A template queue's behaviour-relevant attributes, as SQS reports them (strings; defaults filled in)."""
    settings = {
        name: str(props[name]).lower() if isinstance(props[name], bool) else str(props[name])
        for name in QUEUE_ATTRIBUTES
        if name in props
    }
    settings = SQS_DEFAULTS | settings
    redrive = props.get("RedrivePolicy")
    if redrive:
        dlq = getatt_target(redrive["deadLetterTargetArn"]) or ""
        settings["RedrivePolicy.maxReceiveCount"] = str(redrive["maxReceiveCount"])
        settings["RedrivePolicy.deadLetterTarget"] = twins.get(dlq, f"<no local twin of {dlq}>")
    return settings


def local_queue_settings(attributes: dict[str, str]) -> dict[str, str]:
    settings = {name: attributes.get(name, SQS_DEFAULTS.get(name, "<unset>")) for name in QUEUE_ATTRIBUTES}
    if "RedrivePolicy" in attributes:
        redrive = json.loads(attributes["RedrivePolicy"])
        settings["RedrivePolicy.maxReceiveCount"] = str(redrive["maxReceiveCount"])
        settings["RedrivePolicy.deadLetterTarget"] = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1]
    return settings


def table_settings(props: dict[str, Any]) -> dict[str, Any]:
    """A table's keys, the attribute types of those keys, its indexes and its TTL attribute."""
    indexes = {
        kind: {
            index["IndexName"]: {
                "KeySchema": [(key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]],
                "Projection": index.get("Projection", {}).get("ProjectionType", "ALL"),
            }
            for index in props.get(kind) or []
        }
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
    }
    key_names = {key["AttributeName"] for key in props["KeySchema"]} | {
        name for kind in indexes.values() for index in kind.values() for name, _ in index["KeySchema"]
    }
    ttl = props.get("TimeToLiveSpecification") or {}
    return {
        "KeySchema": [(key["AttributeName"], key["KeyType"]) for key in props["KeySchema"]],
        "KeyAttributeTypes": sorted(
            (definition["AttributeName"], definition["AttributeType"])
            for definition in props["AttributeDefinitions"]
            if definition["AttributeName"] in key_names
        ),
        **indexes,
        "TTL": ttl.get("AttributeName") if ttl.get("Enabled") in (True, "true") else None,
    }


def local_table_settings(described: dict[str, Any]) -> dict[str, Any]:
    ttl = described["TTL"]
    enabled = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    return table_settings(
        described
        | {"TimeToLiveSpecification": {"AttributeName": ttl.get("AttributeName"), "Enabled": enabled}}
    )


def differences(what: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    return [
        f"{what}: {name} is {expected.get(name)!r} in template.yaml, {actual.get(name)!r} locally"
        for name in sorted(expected.keys() | actual.keys())
        if expected.get(name) != actual.get(name)
    ]


# ----------------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------------
def twin_differences(
    twins: dict[str, str],
    made: Mapping[str, Any],
    declared: Callable[[str], dict[str, Any]],
    local_settings: Callable[[Any], dict[str, Any]],
) -> list[str]:
    """For each template resource and its local twin's name: what differs (or that create_stack did not make it)."""
    found: list[str] = []
    for logical_id, name in sorted(twins.items()):
        if name not in made:
            found.append(f"{logical_id}: expected a local {name!r}, create_stack did not create it")
            continue
        found += differences(f"{logical_id} (local {name})", declared(logical_id), local_settings(made[name]))
    return found


def test_every_table_has_a_local_twin_with_the_same_keys_indexes_and_ttl(
    template: dict[str, Any], built: Built
) -> None:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert tables, "template.yaml declares no DynamoDB table"
    twins = twins_by_environment(template, built, "AWS::DynamoDB::Table")
    assert set(twins) == set(tables), (
        f"no local twin (by environment variable) for {sorted(set(tables) - set(twins))}"
    )
    found = twin_differences(
        twins,
        built.tables,
        lambda logical_id: table_settings(tables[logical_id]["Properties"]),
        local_table_settings,
    )
    assert not found, "\n".join(found)


def test_the_local_stack_has_no_table_the_template_lacks(template: dict[str, Any], built: Built) -> None:
    twins = twins_by_environment(template, built, "AWS::DynamoDB::Table")
    assert set(built.tables) == set(twins.values())


# ----------------------------------------------------------------------------------------------------------
# Queues
# ----------------------------------------------------------------------------------------------------------
def test_every_queue_has_a_local_twin_with_the_same_delivery_settings(
    template: dict[str, Any], built: Built
) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    twins = queue_twins(template, built)
    without = set(queues) - set(twins)
    assert without == set(NOT_LOCAL), (
        f"template queues with no local twin: {sorted(without - set(NOT_LOCAL))}; "
        f"listed in NOT_LOCAL but twinned or gone: {sorted(set(NOT_LOCAL) - without)}"
    )
    found = twin_differences(
        twins,
        built.queues,
        lambda logical_id: queue_settings(queues[logical_id]["Properties"], twins),
        local_queue_settings,
    )
    assert not found, "\n".join(found)


def test_the_local_stack_has_no_queue_the_template_lacks(template: dict[str, Any], built: Built) -> None:
    extra = set(built.queues) - set(queue_twins(template, built).values())
    assert not extra, f"local queues template.yaml does not declare: {sorted(extra)}"


# ----------------------------------------------------------------------------------------------------------
# Bucket
# ----------------------------------------------------------------------------------------------------------
def test_the_raw_mail_bucket_has_a_local_twin(template: dict[str, Any], built: Built) -> None:
    twins = twins_by_environment(template, built, "AWS::S3::Bucket")
    assert set(twins) == set(resources_of_type(template, "AWS::S3::Bucket"))
    assert set(twins.values()) <= built.buckets


def test_an_index_that_differs_is_reported() -> None:
    # Given a template table with a GSI, and a local table whose GSI is keyed on another attribute
    declared = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "team", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-team",
                "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
    }
    gsi = declared["GlobalSecondaryIndexes"][0] | {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
    described = declared | {
        "GlobalSecondaryIndexes": [gsi],
        "TTL": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"},
    }
    # When they are compared, Then the index's keys and the key attributes are what differs
    found = differences("T", table_settings(declared), local_table_settings(described))
    assert [line.split(" is ")[0] for line in found] == ["T: GlobalSecondaryIndexes", "T: KeyAttributeTypes"]
