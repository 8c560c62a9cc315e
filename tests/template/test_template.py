"""template.yaml keeps the stack's safety promises: least privilege, encryption, no silent message loss.

Each test reads the SAM template as written (SAM Globals merged into functions where it matters) and
names the resource that breaks a promise.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

CFN_LINT_ERROR_BIT = 2  # cfn-lint exit code is a bit mask: 2 error, 4 warning, 8 informational
LAMBDA_DEFAULT_TIMEOUT = 3
SQS_DEFAULT_VISIBILITY_TIMEOUT = 30

Template = dict[str, Any]


# ----------------------------------------------------------------------------------------------------------
# Reading the template
# ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template() -> Template:
    # cfn-lint's loader understands every short-form tag (!Ref, !Sub, !If ...) and turns them into the
    # long form ({"Ref": ...}, {"Fn::Sub": ...}); the JSON round trip leaves plain dicts, lists and strings.
    loaded = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
    loaded["Resources"] = expand_for_each(loaded["Resources"])
    return loaded


def expand_for_each(section: dict[str, Any]) -> dict[str, Any]:
    """AWS::LanguageExtensions' Fn::ForEach, as CloudFormation expands it: one copy of the fragment per item,
    ``${Identifier}`` replaced in keys and strings (and a Fn::Sub left without variables becomes its string)."""
    expanded: dict[str, Any] = {}
    for key, value in section.items():
        if not key.startswith("Fn::ForEach::"):
            expanded[key] = value
            continue
        identifier, items, fragment = value
        for item in items:
            expanded |= expand_for_each(_substitute(fragment, identifier, item))
    return expanded


def _substitute(node: Any, identifier: str, item: str) -> Any:
    def text(value: str) -> str:
        return value.replace("${" + identifier + "}", item).replace("&{" + identifier + "}", item)

    if isinstance(node, dict):
        result = {text(key): _substitute(value, identifier, item) for key, value in node.items()}
        if (
            list(result) == ["Fn::Sub"]
            and isinstance(result["Fn::Sub"], str)
            and "${" not in result["Fn::Sub"]
        ):
            return result["Fn::Sub"]
        if list(result) == ["Ref"] and result["Ref"] == identifier:
            return item
        return result
    if isinstance(node, list):
        return [_substitute(value, identifier, item) for value in node]
    return text(node) if isinstance(node, str) else node


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res.get("Type") == resource_type}


def _merge(global_value: Any, local_value: Any) -> Any:
    """SAM Globals semantics: maps merge key by key, the function's own value wins otherwise."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    return local_value


def functions(template: Template) -> dict[str, dict[str, Any]]:
    """Properties of every AWS::Serverless::Function with Globals.Function applied."""
    global_props = template.get("Globals", {}).get("Function", {})
    found = {
        name: _merge(global_props, res.get("Properties", {}))
        for name, res in resources_of_type(template, "AWS::Serverless::Function").items()
    }
    assert found, "template.yaml declares no AWS::Serverless::Function"
    return found


def getatt_target(value: Any) -> str | None:
    """Logical id named by {"Fn::GetAtt": [...]} (list or "Name.Attr" form), else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
    return None


def references(node: Any) -> set[str]:
    """Every logical id or parameter that a node refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(getatt_target(node) or "")
            elif key == "Fn::Sub":
                text, local_vars = (value[0], value[1]) if isinstance(value, list) else (value, {})
                for name in re.findall(r"\$\{([^}!]+)\}", text):
                    base = name.split(".", 1)[0]
                    if base not in local_vars:
                        found.add(base)
                found |= references(local_vars)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return {name for name in found if name and not name.startswith("AWS::")}


def direct_dependencies(template: Template, logical_id: str) -> set[str]:
    """What a resource needs before it can be created (Ref, GetAtt, Sub, DependsOn).

    An S3 event is the reverse edge (SAM puts the notification on the bucket), so it is left out.
    """
    resource = template["Resources"][logical_id]
    props = dict(resource.get("Properties", {}))
    events = props.pop("Events", {})
    pulls = {name: event for name, event in events.items() if event.get("Type") != "S3"}
    return references(props) | references(pulls) | set(as_list(resource.get("DependsOn", [])))


def transitive_dependencies(template: Template, logical_id: str) -> set[str]:
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        for dependency in direct_dependencies(template, pending.pop()):
            if dependency in template["Resources"] and dependency not in seen:
                seen.add(dependency)
                pending.append(dependency)
    return seen


def policy_statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every IAM statement anywhere in the template (bucket, queue and function policies alike)."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from policy_statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from policy_statements(item)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def events_of_type(props: dict[str, Any], event_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: event.get("Properties", {})
        for name, event in props.get("Events", {}).items()
        if event.get("Type") == event_type
    }


def failure_destination_queues(template: Template) -> set[str]:
    """Queues that receive what a function gave up on: async on-failure destinations and Lambda DLQs."""
    found: set[str] = set()
    for props in functions(template).values():
        on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
        if on_failure.get("Type") == "SQS":
            found.add(getatt_target(on_failure.get("Destination")) or "")
        dead_letter = props.get("DeadLetterQueue", {})
        if dead_letter.get("Type") == "SQS":
            found.add(getatt_target(dead_letter.get("TargetArn")) or "")
    return found - {""}


def dead_letter_queues(template: Template) -> set[str]:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    redrive_targets = {
        getatt_target(res["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for res in queues.values()
        if "RedrivePolicy" in res.get("Properties", {})
    }
    return {name for name in queues if name in redrive_targets} | failure_destination_queues(template)


def the_bucket(template: Template) -> tuple[str, dict[str, Any]]:
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    assert len(buckets) == 1, f"expected exactly one bucket (raw mail), found {sorted(buckets)}"
    name, res = next(iter(buckets.items()))
    return name, res["Properties"]


# ----------------------------------------------------------------------------------------------------------
# Functions
# ----------------------------------------------------------------------------------------------------------
def test_every_function_runs_python_312_or_newer(template: Template) -> None:
    for name, props in functions(template).items():
        runtime = props.get("Runtime", "")
        match = re.fullmatch(r"python3\.(\d+)", runtime)
        assert match, f"{name}: Runtime {runtime!r} is not a python3.x runtime"
        assert int(match.group(1)) >= 12, f"{name}: Runtime {runtime!r} is older than python3.12"


def test_every_handler_names_a_module_and_function_that_exist(template: Template) -> None:
    for name, props in functions(template).items():
        module_path, _, attribute = props["Handler"].rpartition(".")
        source = ROOT / props["CodeUri"] / f"{module_path}.py"
        assert source.is_file(), f"{name}: Handler {props['Handler']!r} needs {source.relative_to(ROOT)}"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        defined = {
            node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        defined |= {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert attribute in defined, f"{name}: {source.relative_to(ROOT)} defines no top-level {attribute!r}"


def test_every_function_environment_variable_is_a_settings_field(template: Template) -> None:
    from triage.settings import Settings

    fields = set(Settings.model_fields)
    for name, props in functions(template).items():
        variables = props.get("Environment", {}).get("Variables", {})
        unknown = sorted(
            var
            for var in variables
            if not var.startswith(("POWERTOOLS_", "OPENBLAS_", "PYDANTIC_")) and var.lower() not in fields
        )
        assert not unknown, (
            f"{name}: environment variables {unknown} are not fields of triage.settings.Settings"
        )


def test_what_customers_read_in_a_reply_is_set_by_the_deployer(template: Template) -> None:
    """The help-centre links, the sender's name and the signature of automatic replies come from the stack's
    parameters (the help centre is required): the settings' example.com defaults never reach a customer."""
    worker = functions(template)["TriageWorkerFunction"]["Environment"]["Variables"]
    wanted = {
        "HELP_CENTER_URL": "HelpCenterUrl",
        "REPLY_FROM_NAME": "ReplyFromName",
        "REPLY_SIGNATURE": "ReplySignature",
        "REPLY_FROM_ADDRESS": "ReplyFromAddress",
    }
    assert {name: worker.get(name) for name in wanted} == {name: {"Ref": ref} for name, ref in wanted.items()}
    assert "Default" not in template["Parameters"]["HelpCenterUrl"]
    assert worker["LOOP_TOKEN"] == {"Ref": "AWS::StackName"}


def test_the_bench_runs_its_children_with_the_templates_global_variables(template: Template) -> None:
    """What every function gets from Globals (literal values; references differ by stack), the bench's cold-start
    children get too: the cold start it measures is the deployed one's."""
    from triage import bench

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    literal = {name: value for name, value in variables.items() if isinstance(value, str)}
    assert "PYDANTIC_DISABLE_PLUGINS" in literal
    env = bench.child_environment(bench.DEFAULT_MODEL_DIR)
    differing = {name: (value, env.get(name)) for name, value in literal.items() if env.get(name) != value}
    # The bench points its children at the model it measures.
    assert set(differing) <= {"MODEL_DIR"}, differing


def assert_watches(alarm: dict[str, Any], documents: list[dict[str, Any]]) -> None:
    """The alarm's namespace, metric name and exact dimension set are those of a metric in these EMF documents."""
    wanted = {dimension["Name"]: dimension["Value"] for dimension in alarm["Dimensions"]}
    written = [
        (directive["Namespace"], metric["Name"], {key: document[key] for key in directive["Dimensions"][0]})
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]
    assert (alarm["Namespace"], alarm["MetricName"], wanted) in written


def test_the_refused_replies_alarm_watches_the_metric_the_worker_writes(
    template: Template, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudWatch matches a metric by namespace, name and the exact set of dimensions: the alarm's must be those of
    the EMF document the worker writes for a ``reply_refused`` escalation, under the functions' global variables."""
    from triage.policy import EscalateDecision, Reason
    from triage.profiles import Mode
    from triage.service import emit_decision_metrics

    for name, value in template["Globals"]["Function"]["Environment"]["Variables"].items():
        if name.startswith("POWERTOOLS_") and isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    refused = EscalateDecision(reason=Reason.REPLY_REFUSED, detail=("MessageRejected",), message_key="k")
    emit_decision_metrics(refused, "retail", Mode.LIVE)
    documents = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
    ]

    alarm = template["Resources"]["RepliesRefusedAlarm"]["Properties"]
    assert_watches(alarm, documents)


def test_the_unconfirmed_replies_alarm_watches_the_metric_the_sender_writes(
    template: Template, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for refused replies: the alarm's namespace, name and exact dimensions are those of the EMF document the
    helpdesk sender writes when a reply may or may not have been posted (here its note fails too)."""
    from triage.helpdesk import Credentials, OutboxItem, PermanentError, PostUncertain
    from triage.observability import metrics
    from triage.outbound import HelpdeskSender

    class Vendor:
        def post_reply(self, ticket_id: str, body: str, *, idempotency_key: str) -> str:
            raise PostUncertain("generic reply: no answer", status=0)

        def escalate(self, ticket_id: str, note: str, tags: Any, *, idempotency_key: str) -> str:
            raise PermanentError("generic escalation note: HTTP 404", status=404)

    class Secrets:
        def credentials(self, provider: str) -> Credentials:
            return Credentials.from_json(
                provider, json.dumps({"base_url": "https://desk.example.net", "token": "t"})
            )

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    item = OutboxItem(
        kind="reply", provider="generic", account="", ticket_id="T-1", body="Hello", idempotency_key="k"
    )
    outcome = HelpdeskSender(Secrets(), client_factory=lambda _: Vendor()).send(item)
    assert (outcome["unconfirmed"], outcome["note"]) == (True, None)
    capsys.readouterr()
    metrics.flush_metrics()
    documents = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
    ]

    alarm = template["Resources"]["HelpdeskRepliesUnconfirmedAlarm"]["Properties"]
    assert_watches(alarm, documents)


def test_every_function_logs_to_a_group_with_retention(template: Template) -> None:
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup")
    for name, props in functions(template).items():
        configured = props.get("LoggingConfig", {}).get("LogGroup")
        if isinstance(configured, dict) and "Ref" in configured:
            group_id = configured["Ref"]
        else:
            # No LoggingConfig: Lambda writes to /aws/lambda/<FunctionName>; a group must be declared for it.
            function_name = props.get("FunctionName", {}).get("Fn::Sub")
            group_id = next(
                (
                    gid
                    for gid, res in log_groups.items()
                    if function_name
                    and res["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/{function_name}"}
                ),
                None,
            )
        assert group_id in log_groups, f"{name}: no AWS::Logs::LogGroup of this template receives its logs"
        retention = log_groups[group_id]["Properties"].get("RetentionInDays")
        assert retention, f"{name}: log group {group_id} keeps logs forever (set RetentionInDays)"


# ----------------------------------------------------------------------------------------------------------
# IAM
# ----------------------------------------------------------------------------------------------------------
def test_no_iam_action_uses_a_wildcard(template: Template) -> None:
    statements = list(policy_statements(template["Resources"]))
    assert len(statements) >= 5, "found suspiciously few IAM statements; is the walker still finding them?"
    for statement in statements:
        for key in ("Action", "NotAction"):
            for action in as_list(statement.get(key, [])):
                assert isinstance(action, str), f"{statement.get('Sid')}: computed action {action!r}"
                assert "*" not in action, (
                    f"statement {statement.get('Sid')!r} uses wildcard action {action!r}"
                )


def test_functions_use_only_inline_policy_documents(template: Template) -> None:
    # SAM policy templates and managed policies hide their actions (S3ReadPolicy, SESCrudPolicy,
    # DynamoDBCrudPolicy grant more than these functions need); inline statements can be reviewed here.
    for name, props in functions(template).items():
        for policy in as_list(props.get("Policies", [])):
            is_inline_document = isinstance(policy, dict) and "Statement" in policy
            assert is_inline_document, f"{name}: Policies entry {policy!r} is not an inline policy document"


def test_intake_function_never_refers_to_the_bucket_that_triggers_it(template: Template) -> None:
    # The S3 event makes the bucket depend on the function (notification + permission); any path back to
    # the bucket from the function or its role (directly or through another resource) closes a cycle that
    # CloudFormation rejects. cfn-lint's SAM-native mode skips cycles through SAM resources, hence this test.
    bucket_id, bucket_props = the_bucket(template)
    bucket_name_pattern = bucket_props["BucketName"]["Fn::Sub"]
    triggered = 0
    for name, props in functions(template).items():
        buckets = {ev["Bucket"]["Ref"] for ev in events_of_type(props, "S3").values()}
        if not buckets:
            continue
        triggered += 1
        cycle = transitive_dependencies(template, name) & buckets
        assert not cycle, f"{name} depends on {sorted(cycle)}, which its S3 event makes depend on it: a cycle"
        for statement in policy_statements(props.get("Policies", [])):
            if not any(str(a).startswith("s3:") for a in as_list(statement["Action"])):
                continue
            for resource in as_list(statement["Resource"]):
                text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
                assert isinstance(text, str)
                assert text.startswith(f"arn:${{AWS::Partition}}:s3:::{bucket_name_pattern}/"), (
                    f"{name}: S3 resource {text!r} is not under {bucket_id}'s name {bucket_name_pattern!r}"
                )
    assert triggered, "no function is triggered by an S3 event"


# ----------------------------------------------------------------------------------------------------------
# Bucket and SES receiving
# ----------------------------------------------------------------------------------------------------------
def test_raw_mail_bucket_blocks_all_public_access(template: Template) -> None:
    bucket_id, props = the_bucket(template)
    block = props.get("PublicAccessBlockConfiguration", {})
    for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        assert block.get(flag) is True, f"{bucket_id}: PublicAccessBlockConfiguration.{flag} is not true"


def test_raw_mail_bucket_encrypts_at_rest_and_expires_raw_mail(template: Template) -> None:
    bucket_id, props = the_bucket(template)
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    algorithms = {rule.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for rule in rules}
    assert algorithms & {"AES256", "aws:kms", "aws:kms:dsse"}, (
        f"{bucket_id}: no default server-side encryption"
    )
    lifecycle = props.get("LifecycleConfiguration", {}).get("Rules", [])
    inbound = [rule for rule in lifecycle if rule.get("Prefix") == "inbound/" and "ExpirationInDays" in rule]
    assert inbound, f"{bucket_id}: raw mail under inbound/ never expires"


def test_every_prefix_holding_customer_words_expires_and_no_pointer_outlives_its_payload(
    template: Template,
) -> None:
    _, props = the_bucket(template)
    expiry = {
        rule["Prefix"]: rule["ExpirationInDays"]
        for rule in props["LifecycleConfiguration"]["Rules"]
        if rule.get("Status") == "Enabled" and "Prefix" in rule and "ExpirationInDays" in rule
    }
    # What the functions and the agent desk write there: raw mail, decision records, large escalations, claims.
    assert {"inbound/", "decisions/", "escalations/", "claims/"} <= set(expiry)
    # A large escalation's pointer waits on a team queue, then in its DLQ (until the retention counted from the first
    # send), and may be redriven once: its payload must outlive both periods.
    retention = max(
        int(queue["Properties"]["MessageRetentionPeriod"])
        for name, queue in resources_of_type(template, "AWS::SQS::Queue").items()
        if name.startswith("Esc")  # the team queues, their DLQs and the single escalation queue
    )
    assert expiry["escalations/"] * 86400 >= 2 * retention
    assert expiry["claims/"] == 1


def test_receipt_rule_stores_mail_under_inbound_without_client_side_encryption(template: Template) -> None:
    bucket_id, _ = the_bucket(template)
    rules = resources_of_type(template, "AWS::SES::ReceiptRule")
    assert rules, "no AWS::SES::ReceiptRule: nothing stores inbound mail"
    for name, res in rules.items():
        actions = [a["S3Action"] for a in res["Properties"]["Rule"]["Actions"] if "S3Action" in a]
        assert actions, f"{name}: no S3Action"
        for action in actions:
            assert action.get("BucketName") == {"Ref": bucket_id}, f"{name}: stores outside {bucket_id}"
            assert action.get("ObjectKeyPrefix") == "inbound/", f"{name}: ObjectKeyPrefix is not 'inbound/'"
            assert "KmsKeyArn" not in action, (
                f"{name}: S3Action KmsKeyArn is SES client-side encryption, unreadable by boto3; "
                "rely on the bucket's default SSE"
            )
    # The intake must listen exactly where SES writes.
    prefixes = {
        rule["Value"]
        for props in functions(template).values()
        for event in events_of_type(props, "S3").values()
        for rule in event.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rule.get("Name", "").lower() == "prefix"
    }
    assert prefixes == {"inbound/"}, f"S3 event prefixes {prefixes} differ from the receipt rule's 'inbound/'"


def test_bucket_policy_lets_only_this_accounts_receipt_rules_write(template: Template) -> None:
    bucket_id, _ = the_bucket(template)
    policies = [
        res["Properties"]["PolicyDocument"]
        for res in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if res["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert policies, f"{bucket_id} has no bucket policy"
    statements = [s for doc in policies for s in as_list(doc["Statement"])]
    ses_statements = [
        s
        for s in statements
        if s["Effect"] == "Allow" and s.get("Principal", {}).get("Service") == "ses.amazonaws.com"
    ]
    assert ses_statements, f"{bucket_id}: no statement lets SES store mail"
    for statement in ses_statements:
        condition_keys = {key for operator in statement.get("Condition", {}).values() for key in operator}
        missing = {"aws:SourceAccount", "aws:SourceArn"} - condition_keys
        assert not missing, (
            f"{statement.get('Sid')}: SES write is not pinned by {sorted(missing)} (confused deputy)"
        )
    insecure_denied = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
    ]
    assert insecure_denied, f"{bucket_id}: requests without TLS are not denied"


# ----------------------------------------------------------------------------------------------------------
# Queues
# ----------------------------------------------------------------------------------------------------------
def test_every_queue_is_encrypted_and_caps_message_size(template: Template) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert queues, "template.yaml declares no SQS queue"
    for name, res in queues.items():
        props = res.get("Properties", {})
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), (
            f"{name}: neither SqsManagedSseEnabled nor KmsMasterKeyId"
        )
        size = props.get("MaximumMessageSize")
        assert isinstance(size, int), f"{name}: MaximumMessageSize must be set explicitly, got {size!r}"
        assert 1024 <= size <= 1_048_576, f"{name}: MaximumMessageSize {size} outside SQS's 1024..1048576"


def test_every_source_queue_redrives_to_a_dead_letter_queue(template: Template) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    dlqs = dead_letter_queues(template)
    sources = sorted(set(queues) - dlqs)
    assert sources, "every queue is a dead-letter queue?"
    for name in sources:
        redrive = queues[name].get("Properties", {}).get("RedrivePolicy")
        assert redrive, f"{name}: no RedrivePolicy, a poison message would be retried until it expires"
        assert getatt_target(redrive.get("deadLetterTargetArn")) in queues, (
            f"{name}: DLQ is not in this stack"
        )
        assert int(redrive.get("maxReceiveCount", 0)) >= 3, f"{name}: maxReceiveCount below 3"


def test_every_dead_letter_queue_has_an_alarm_at_one_message(template: Template) -> None:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    for dlq in sorted(dead_letter_queues(template)):
        watching = [
            a["Properties"]
            for a in alarms
            if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}
            in a["Properties"].get("Dimensions", [])
        ]
        assert watching, f"{dlq}: no ApproximateNumberOfMessagesVisible alarm"
        assert any(
            p.get("ComparisonOperator") == "GreaterThanOrEqualToThreshold"
            and float(p.get("Threshold", 99)) <= 1
            for p in watching
        ), f"{dlq}: alarm does not fire on the first message"


def test_every_escalation_queue_alarms_when_an_escalation_waits_past_its_target(template: Template) -> None:
    """Agents pull escalations; one nobody resolves would sit until SQS deletes it after 14 days. The age of the
    oldest message on each team queue has an alarm, urgent queues with a shorter target than normal ones."""
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    waits = template["Mappings"]["EscalationWait"]
    queues = [
        name
        for name, res in resources_of_type(template, "AWS::SQS::Queue").items()
        if name.startswith("Esc") and not name.endswith("DeadLetterQueue")
    ]
    assert len(queues) == 13  # six teams x two priorities, and the single queue used without routing
    for queue in queues:
        [alarm] = [
            a["Properties"]
            for a in alarms
            if a["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
            and {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
            in a["Properties"].get("Dimensions", [])
        ]
        priority = "urgent" if queue.endswith("urgentQueue") else "normal"
        assert alarm["Threshold"] == {"Fn::FindInMap": ["EscalationWait", priority, "Seconds"]}, queue
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Statistic"] == "Maximum"
    retention = min(
        int(res["Properties"]["MessageRetentionPeriod"])
        for name, res in resources_of_type(template, "AWS::SQS::Queue").items()
        if name in queues
    )
    assert int(waits["urgent"]["Seconds"]) < int(waits["normal"]["Seconds"]) < retention


def sqs_triggers(template: Template) -> list[tuple[str, str, dict[str, Any]]]:
    """(function, queue logical id, event properties) for every SQS event source of the stack."""
    found = [
        (name, getatt_target(event.get("Queue")) or "", event)
        for name, props in functions(template).items()
        for event in events_of_type(props, "SQS").values()
    ]
    assert found, "no function consumes an SQS queue"
    return found


def test_every_sqs_event_source_reports_batch_item_failures(template: Template) -> None:
    for function_name, queue, event in sqs_triggers(template):
        assert "ReportBatchItemFailures" in event.get("FunctionResponseTypes", []), (
            f"{function_name} <- {queue}: without ReportBatchItemFailures one bad message fails the batch"
        )


def test_queue_visibility_timeout_covers_six_function_timeouts(template: Template) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    all_functions = functions(template)
    consumers = sqs_triggers(template)
    assert "TriageQueue" in {queue for _, queue, _ in consumers}, "TriageQueue has no consumer"
    for function_name, queue, _ in consumers:
        timeout = int(all_functions[function_name].get("Timeout", LAMBDA_DEFAULT_TIMEOUT))
        visibility = int(
            queues[queue].get("Properties", {}).get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY_TIMEOUT)
        )
        assert visibility >= 6 * timeout, (
            f"{queue}: VisibilityTimeout {visibility}s < 6 x {function_name} Timeout {timeout}s"
        )


# ----------------------------------------------------------------------------------------------------------
# Linter
# ----------------------------------------------------------------------------------------------------------
def test_cfn_lint_reports_no_errors() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    if not cfn_lint.exists():
        pytest.fail(f"cfn-lint is not installed next to {sys.executable} (dev dependency)")
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE_PATH.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode >= 0, f"cfn-lint was killed by signal {-result.returncode}"
    assert not result.returncode & CFN_LINT_ERROR_BIT, (
        f"cfn-lint found errors:\n{result.stdout}{result.stderr}"
    )


# ----------------------------------------------------------------------------------------------------------
# Issue 8: every log group (the API's access log too) expires, and every checkov suppression says why
# ----------------------------------------------------------------------------------------------------------
def test_every_log_group_has_a_retention(template: Template) -> None:
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert groups, "template.yaml declares no log group"
    for name, res in groups.items():
        assert res.get("Properties", {}).get("RetentionInDays"), f"{name}: keeps logs forever"


CHECKOV_ID = re.compile(r"^CKV2?_AWS_\d+$")


def test_every_checkov_suppression_names_a_check_and_says_why(template: Template) -> None:
    skips = [
        (name, skip)
        for name, res in template["Resources"].items()
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "no checkov suppression found; is the walker still finding them?"
    for name, skip in skips:
        assert CHECKOV_ID.match(str(skip.get("id", ""))), f"{name}: suppression without a check id: {skip}"
        comment = " ".join(str(skip.get("comment", "")).split())
        assert len(comment) >= 40, f"{name}: {skip.get('id')} is suppressed without a reason"
