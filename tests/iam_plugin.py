"""Session-wide permission check: every AWS call a handler makes in the tests is allowed by its function's policy in
template.yaml.

moto does not enforce IAM, so a statement missing from the template (an action, a resource, a condition that does not
hold) would pass every local test and fail in the account. Registered from ``tests/conftest.py``, for the whole
session this watches every botocore call (``BaseClient._make_api_call``) made while one of the handler modules
(``triage_worker/app.handler`` …) is on the stack: the calls a deployed function makes with its own role. Calls the
tests make around the handlers (the SQS poller's receive and delete, set-up, an agent's CLI) are not the functions'.

At the end of the session each distinct call is turned into what IAM evaluates (``sqs:SendMessage`` on the queue's
ARN, ``s3:ListBucket`` on the bucket with ``s3:prefix``, ``ses:SendRawEmail`` on the sender's identity with
``ses:FromAddress`` …) and matched against the function's inline policy statements. The template's references are
resolved the way the functions find the resources: a ``!Ref`` given to the functions as an environment variable is
the value that variable had during the call (the local stack's queue, bucket or table), a resource's explicit name
or a ``!Sub`` prefix likewise. A call no statement allows fails the session (exit status 1), naming the function,
the action, the resource and the test. Only this process is watched.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from session_watch import session_hooks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "template"))
from test_template import TEMPLATE_PATH, as_list, cfn_yaml, expand_for_each, functions  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
_ARN_OF = {
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
}


def _arn(resource_type: str, name: str) -> str:
    """The ARN of the resource of ``resource_type`` named ``name`` (moto's account and region)."""
    return _ARN_OF[resource_type].format(region=REGION, account=ACCOUNT, name=name)


def _queue(name: str) -> str:
    return _arn("AWS::SQS::Queue", name)


def _bucket(name: str) -> str:
    return _arn("AWS::S3::Bucket", name)


def _table(name: str) -> str:
    return _arn("AWS::DynamoDB::Table", name)


_NAME_PROPERTY = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
}
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


# A cross-Region inference profile's id starts with its geography; it may serve a request from another Region.
_PROFILE_GEOGRAPHIES = frozenset({"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"})
_ROUTED_REGION = "us-west-2"  # not REGION: the profile routed the request elsewhere


@dataclass(frozen=True)
class Request:
    """One authorisation request: what IAM evaluates for a call."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def requests_of(service: str, operation: str, params: dict[str, Any]) -> list[Request]:
    """The authorisation requests one botocore call makes (local names, moto's account and region)."""
    if service == "sqs":
        name = params["QueueName"] if operation == "GetQueueUrl" else params["QueueUrl"].rsplit("/", 1)[-1]
        action = "SendMessage" if operation == "SendMessageBatch" else operation
        return [Request(f"sqs:{action}", _queue(name))]
    if service == "s3":
        bucket = params["Bucket"]
        if operation in {"ListObjectsV2", "ListObjects"}:
            return [Request("s3:ListBucket", _bucket(bucket), (("s3:prefix", params.get("Prefix", "")),))]
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        target = f"{_bucket(bucket)}/{params['Key']}" if "Key" in params else _bucket(bucket)
        return [Request(f"s3:{action}", target)]
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                Request(f"dynamodb:{_TRANSACT[kind]}", _table(body["TableName"]))
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "TransactGetItems":
            return [
                Request("dynamodb:GetItem", _table(item["Get"]["TableName"]))
                for item in params["TransactItems"]
            ]
        if operation == "BatchGetItem":
            return [Request("dynamodb:GetItem", _table(name)) for name in params["RequestItems"]]
        if operation == "BatchWriteItem":
            kinds = {"PutRequest": "PutItem", "DeleteRequest": "DeleteItem"}
            return [
                Request(f"dynamodb:{kinds[kind]}", _table(name))
                for name, writes in params["RequestItems"].items()
                for write in writes
                for kind in write
            ]
        return [Request(f"dynamodb:{operation}", _table(params["TableName"]))]
    if service == "ses":
        sender = params.get("Source") or ""
        if not sender and "RawMessage" in params:
            headers = BytesHeaderParser().parsebytes(params["RawMessage"]["Data"])
            sender = parseaddr(str(headers.get("From", "")))[1]
        domain = sender.rpartition("@")[2]
        return [
            Request(
                f"ses:{operation}",
                f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}",
                (("ses:FromAddress", sender),),
            )
        ]
    if service == "bedrock-runtime":
        # Converse is authorised as InvokeModel on the model, or on the inference profile and then on the model in
        # the Region the profile routes to, with the profile's ARN in the request's context.
        action = "InvokeModelWithResponseStream" if operation.endswith("Stream") else "InvokeModel"
        model = params["modelId"]
        geography, _, routed = model.partition(".")
        if model.startswith("arn:") or geography not in _PROFILE_GEOGRAPHIES:
            target = (
                model if model.startswith("arn:") else f"arn:aws:bedrock:{REGION}::foundation-model/{model}"
            )
            return [Request(f"bedrock:{action}", target)]
        profile = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model}"
        return [
            Request(f"bedrock:{action}", profile),
            Request(
                f"bedrock:{action}",
                f"arn:aws:bedrock:{_ROUTED_REGION}::foundation-model/{routed}",
                (("bedrock:InferenceProfileArn", profile),),
            ),
        ]
    if service == "secretsmanager":
        secret = params["SecretId"]
        if not secret.startswith("arn:"):
            secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-AbCdEf"  # AWS appends 6 characters
        return [Request(f"secretsmanager:{operation}", secret)]
    return [Request(f"{service}:{operation}", "*")]


class Policies:
    """The template's functions and their inline policy statements, resolved against one environment."""

    def __init__(self) -> None:
        template = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
        template["Resources"] = expand_for_each(template["Resources"])
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.parameters = set(template.get("Parameters", {}))
        self.functions = functions(template)
        # Handler module (triage_worker.app) -> function logical id.
        self.by_module = {
            props["Handler"].rpartition(".")[0].replace("/", "."): name
            for name, props in self.functions.items()
        }
        # Every environment variable the template gives a function, as written.
        self.variables: dict[str, Any] = {}
        for props in self.functions.values():
            self.variables |= props.get("Environment", {}).get("Variables", {})

    def statements(self, function: str, env: dict[str, str]) -> list[dict[str, Any]]:
        resolver = _Resolver(self, env)
        found = []
        for policy in as_list(self.functions[function].get("Policies", [])):
            for statement in as_list(_taken(policy).get("Statement", [])):
                statement = _taken(statement)
                if statement:
                    found.append(resolver.resolve(statement))
        return found


def _taken(node: Any) -> Any:
    """A ``Fn::If``'s true branch (the optional parts are checked as if configured), else the node."""
    while isinstance(node, dict) and "Fn::If" in node:
        node = node["Fn::If"][1]
    return {} if node == {"Ref": "AWS::NoValue"} else node


class _Resolver:
    def __init__(self, policies: Policies, env: dict[str, str]) -> None:
        self.policies = policies
        self.twins: dict[str, str] = {}  # logical id -> local name
        self.values: dict[str, str] = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
        }
        self.literal: dict[str, str] = {}  # a !Sub string as written -> its local value
        for variable, written in policies.variables.items():
            if variable not in env:
                continue
            value = env[variable]
            if isinstance(written, dict) and "Ref" in written:
                target = written["Ref"]
                if target in policies.resources:
                    self.twins[target] = value.rsplit("/", 1)[-1]  # a queue URL ends in its name
                elif target in policies.parameters:
                    self.values[target] = value
            elif isinstance(written, dict) and isinstance(written.get("Fn::Sub"), str):
                self.literal[written["Fn::Sub"]] = value
        for logical_id, name in self.twins.items():
            resource = policies.resources[logical_id]
            explicit = resource.get("Properties", {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
            if isinstance(explicit, dict) and isinstance(explicit.get("Fn::Sub"), str):
                self.literal[explicit["Fn::Sub"]] = name

    def arn(self, logical_id: str) -> str:
        resource_type = self.policies.resources[logical_id]["Type"]
        name = self.twins.get(logical_id, f"<no local {logical_id}>")
        return _arn(resource_type, name)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            target = node["Ref"]
            return self.twins.get(target) or self.values.get(target, f"<unresolved {target}>")
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            logical_id, attribute = target if isinstance(target, list) else str(target).split(".", 1)
            return self.arn(logical_id) if attribute == "Arn" else f"<unresolved {logical_id}.{attribute}>"
        if "Fn::Sub" in node:
            return self.substitute(node["Fn::Sub"])
        return {key: self.resolve(value) for key, value in node.items()}

    def substitute(self, text: str) -> str:
        for written in sorted(self.literal, key=len, reverse=True):
            text = text.replace(written, self.literal[written])

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.endswith(".Arn") and name[:-4] in self.policies.resources:
                return self.arn(name[:-4])
            return self.twins.get(name) or self.values.get(name, f"<unresolved {name}>")

        return re.sub(r"\$\{([^}]+)\}", value, text)


def _matches(patterns: Any, value: str, *, case: bool = True) -> bool:
    for pattern in as_list(patterns):
        if case and fnmatch.fnmatchcase(value, pattern):
            return True
        if not case and fnmatch.fnmatchcase(value.lower(), str(pattern).lower()):
            return True
    return False


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            if operator == "StringLike" and not _matches(expected, context[key]):
                return False
            if operator == "StringEquals" and context[key] not in as_list(expected):
                return False
            if operator not in {"StringLike", "StringEquals"}:
                return False  # not read here: counted as not holding, so the report shows it
    return True


def allowed(request: Request, statements: list[dict[str, Any]]) -> bool:
    context = dict(request.context)
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if not _matches(statement.get("Action", []), request.action, case=False):
            continue
        if not _matches(statement.get("Resource", []), request.resource):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            return True
    return False


@dataclass
class PermissionWatch:
    current: str = "(collection)"
    title: str = "permissions: calls template.yaml does not allow"
    label: str = "DENIED"
    # Distinct (function, request, environment) -> the first test that made the call.
    calls: dict[tuple[Any, ...], str] = field(default_factory=dict)
    denied: list[str] = field(default_factory=list)
    policies: Policies | None = None

    def handler_function(self) -> str | None:
        assert self.policies is not None
        frame = sys._getframe(2)
        while frame is not None:
            function = self.policies.by_module.get(frame.f_globals.get("__name__", ""))
            if function is not None:
                return function
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def install(self) -> None:
        from botocore.client import BaseClient

        self.policies = Policies()
        watch, original = self, BaseClient._make_api_call
        names = set(self.policies.variables)

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            function = watch.handler_function()
            if function is not None:
                service = client.meta.service_model.service_name
                env = tuple(sorted((name, os.environ[name]) for name in names if name in os.environ))
                try:
                    requests = requests_of(service, operation, params)
                except KeyError:  # a call shaped as requests_of does not expect: reported, never allowed
                    requests = [Request(f"{service}:{operation}", "<not read by iam_plugin.requests_of>")]
                for request in requests:
                    watch.calls.setdefault((function, request, env), watch.current)
            return original(client, operation, params)

        self._restore = original
        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        if hasattr(self, "_restore"):
            BaseClient._make_api_call = self._restore  # type: ignore[method-assign]

    def check(self) -> list[str]:
        assert self.policies is not None
        denied = []
        resolved: dict[
            tuple[str, Any], list[dict[str, Any]]
        ] = {}  # (function, environment) -> its statements
        for (function, request, env), test in self.calls.items():
            if (function, env) not in resolved:
                resolved[function, env] = self.policies.statements(function, dict(env))
            if not allowed(request, resolved[function, env]):
                context = f" with {dict(request.context)}" if request.context else ""
                denied.append(
                    f"{function} may not {request.action} on {request.resource}{context}\n    in: {test}"
                )
        self.denied = sorted(set(denied))
        return self.denied

    @property
    def findings(self) -> list[str]:
        return self.denied

    def summary(self) -> str:
        functions_seen = len({function for function, _, _ in self.calls})
        if self.denied:
            return f"permission check FAILED: {len(self.denied)} call(s) not allowed"
        return (
            f"permission check: {len(self.calls)} distinct AWS calls by {functions_seen} functions, each allowed"
            " by template.yaml"
        )


_WATCH = PermissionWatch()


globals().update(session_hooks(_WATCH))
