"""The session's permission check (``tests/iam_plugin.py``) reads calls and the template's policies as IAM would."""

from __future__ import annotations

from test_template import as_list

from iam_plugin import ACCOUNT, REGION, Policies, Request, allowed, requests_of
from triage import local

ENV = local.Stack(
    bucket="raw-here",
    triage_queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/triage-here",
    escalation_queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/escalation-here",
    table="idempotency-here",
    conversation_table="conversations-here",
    outbox_queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/outbox-here",
    escalation_queue_prefix="esc-here-",
).environment()


def test_a_call_becomes_the_requests_iam_evaluates() -> None:
    assert requests_of("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "faq/"}) == [
        Request("s3:ListBucket", "arn:aws:s3:::b", (("s3:prefix", "faq/"),))
    ]
    assert requests_of("s3", "HeadObject", {"Bucket": "b", "Key": "k/1"}) == [
        Request("s3:GetObject", "arn:aws:s3:::b/k/1")
    ]
    writes = {"TransactItems": [{"Put": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "u"}}]}
    assert [request.action for request in requests_of("dynamodb", "TransactWriteItems", writes)] == [
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
    ]
    raw = b"From: Support <help@shop.example>\r\nTo: a@b.example\r\n\r\nHi"
    assert requests_of("ses", "SendRawEmail", {"RawMessage": {"Data": raw}}) == [
        Request(
            "ses:SendRawEmail",
            f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example",
            (("ses:FromAddress", "help@shop.example"),),
        )
    ]
    batch = {"RequestItems": {"t": [{"PutRequest": {}}, {"DeleteRequest": {}}]}}
    assert [request.action for request in requests_of("dynamodb", "BatchWriteItem", batch)] == [
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    ]
    queue = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"
    assert requests_of("sqs", "SendMessageBatch", {"QueueUrl": queue}) == [
        Request("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")
    ]


def test_the_templates_references_resolve_to_what_the_functions_were_given() -> None:
    policies = Policies()
    worker = policies.statements("TriageWorkerFunction", ENV)
    resources = {resource for statement in worker for resource in as_list(statement["Resource"])}
    assert f"arn:aws:sqs:{REGION}:{ACCOUNT}:escalation-here" in resources  # !GetAtt EscalationQueue.Arn
    assert f"arn:aws:sqs:{REGION}:{ACCOUNT}:esc-here-*" in resources  # ${AWS::StackName}-esc-* by the prefix
    assert "arn:aws:s3:::raw-here/decisions/*" in resources  # ${RawMailBucket.Arn}/decisions/*
    # The intake names the bucket by its !Sub name (a reference would be circular): the same bucket.
    intake = policies.statements("EmailIntakeFunction", ENV)
    assert allowed(Request("s3:GetObject", "arn:aws:s3:::raw-here/inbound/abc"), intake)
    assert not allowed(Request("s3:GetObject", "arn:aws:s3:::raw-here/decisions/abc"), intake)
    assert not allowed(Request("s3:GetObject", "arn:aws:s3:::elsewhere/inbound/abc"), intake)


def test_conditions_and_actions_are_read_as_iam_reads_them() -> None:
    worker = Policies().statements("TriageWorkerFunction", ENV)
    listing = Request("s3:ListBucket", "arn:aws:s3:::raw-here", (("s3:prefix", "faq/"),))
    assert allowed(listing, worker)
    assert not allowed(Request(listing.action, listing.resource, (("s3:prefix", "decisions/"),)), worker)
    assert not allowed(Request(listing.action, listing.resource), worker)  # no prefix: the condition fails
    send = Request(
        "ses:SendRawEmail",
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.com",
        (("ses:FromAddress", ENV["REPLY_FROM_ADDRESS"]),),
    )
    assert allowed(send, worker)
    assert allowed(Request("SES:sendrawemail", send.resource, send.context), worker)  # actions ignore case
    assert not allowed(
        Request(send.action, send.resource, (("ses:FromAddress", "other@example.com"),)), worker
    )


def test_a_bedrock_model_or_profile_is_allowed_only_as_the_template_names_it() -> None:
    """``SummaryModelId`` as the worker gets it (``BEDROCK_MODEL_ID``): a model in this Region, or a cross-Region
    profile, whose routed call reaches the model in another Region with the profile's ARN as its context."""
    model = "vendor.summary-model-v1:0"
    [direct] = requests_of("bedrock-runtime", "Converse", {"modelId": model})
    assert direct == Request("bedrock:InvokeModel", f"arn:aws:bedrock:{REGION}::foundation-model/{model}")
    assert allowed(direct, Policies().statements("TriageWorkerFunction", ENV | {"BEDROCK_MODEL_ID": model}))

    profile = f"eu.{model}"
    worker = Policies().statements("TriageWorkerFunction", ENV | {"BEDROCK_MODEL_ID": profile})
    on_profile, routed = requests_of("bedrock-runtime", "Converse", {"modelId": profile})
    assert on_profile.resource == f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile}"
    assert routed.resource.endswith(f"::foundation-model/{model}")
    assert routed.context == (("bedrock:InferenceProfileArn", on_profile.resource),)
    assert allowed(on_profile, worker)
    assert allowed(routed, worker)
    # Only through the profile: the model called directly in another Region, or another profile, is denied.
    assert not allowed(Request(routed.action, routed.resource), worker)
    other = on_profile.resource.replace(profile, f"us.{model}")
    assert not allowed(
        Request(routed.action, routed.resource, (("bedrock:InferenceProfileArn", other),)), worker
    )
    assert not allowed(Request(on_profile.action, other), worker)
    # No other function may call Bedrock.
    assert not allowed(
        on_profile, Policies().statements("EmailIntakeFunction", ENV | {"BEDROCK_MODEL_ID": profile})
    )
