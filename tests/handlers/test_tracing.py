"""Traces, like logs, carry no customer text (issue 8, point 4), with tracing on as template.yaml deploys it.

The handlers run in a fresh interpreter with the Lambda runtime's variables (``bench.LAMBDA_ENVIRONMENT``), an
invocation's ``_X_AMZN_TRACE_ID`` and moto for AWS. The real X-Ray SDK sends each closed subsegment as a UDP datagram
to ``AWS_XRAY_DAEMON_ADDRESS``: here a socket of this test, which reads every document the SDK emitted.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conftest import EVENTS
from log_leak_plugin import ADDRESS, fixture_needles, own_addresses
from triage import bench

MAILS = ("angry_refund_demand", "bereavement", "human_agent_request", "routine_order_tracking")
# A message on the triage queue that fails validation (an unknown field): its text must not reach a trace either.
POISON = {
    "id": "poison",
    "body": "please keep this sentence out of every trace",
    "from": {"address": "poison@example.net"},
}
# Two customers writing through a helpdesk (the generic webhook): one answered on the ticket, one noted for a person.
TICKETS = (
    {
        "ticket_id": "T-31",
        "message_id": "M-31",
        "from": {"name": "Ola Berg", "email": "ola.berg@customer.example.org"},
        "subject": "Where is parcel 4471",
        "text": "Could you tell me where my parcel is? It was ordered a week ago, order 4471.",
    },
    {
        "ticket_id": "T-32",
        "message_id": "M-32",
        "from": {"name": "Kim Lund", "email": "kim.lund@customer.example.org"},
        "subject": "Heater fire",
        "text": "The heater you sold me caught fire in my kitchen and I want my money back now.",
    },
)
# Keys whose values a trace takes from AWS or the SDK, random by design: ids of requests, segments, traces, messages.
IDENTIFIERS = frozenset({"request_id", "id", "parent_id", "trace_id", "message_id", "itemIdentifier"})
WEBHOOK_SECRET = "whsec_dHJhY2luZy10ZXN0LXNlY3JldC0zMi1ieXRlcy1sb25n"

# argv: the functions dir, the sample mails' dir, the JSON of the poison message, the tickets and the webhook secret,
# then the mails to deliver. SES refuses the first reply as its sandbox does, naming the recipient in the error's
# message: the worker hands that mail to a person. The poison message fails and comes back (the queue's visibility
# timeout is 0 here). Then the tickets arrive by webhook, the worker takes them, and the helpdesk sender posts the
# reply and the note to a stand-in helpdesk.
_CHILD = """\
import json, re, sys
sys.path.insert(0, sys.argv[1])
from datetime import UTC, datetime
from pathlib import Path
import boto3
import responses as responses_mock
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from triage import local, runtime
from triage.parsing.webhooks import sign

given = json.loads(sys.argv[3])

refused = []

def sandbox(params, **_):
    if refused:
        return None
    refused.append(1)
    recipients = [value for key, value in params["body"].items() if key.startswith("Destinations.")]
    message = (
        "Email address is not verified. The following identities failed the check in region EU-WEST-1: "
        + ", ".join(recipients)
    )
    error = {"Code": "MessageRejected", "Message": message, "Type": "Sender"}
    return AWSResponse("https://email.eu-west-1.amazonaws.com/", 400, {}, None), {
        "Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}
    }

with mock_aws():
    runtime.reset()
    stack = local.create_stack("tracing")
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.ses.SendRawEmail", sandbox)
    with local.environment(stack.environment()):
        s3 = boto3.client("s3", region_name=local.REGION)
        intake = local.handler_module("email_intake").handler
        for name in sys.argv[4:]:
            raw = (Path(sys.argv[2]) / f"{name}.eml").read_bytes()
            s3.put_object(Bucket=stack.bucket, Key=f"inbound/{name}", Body=raw)
            intake(local.s3_put_event(stack.bucket, f"inbound/{name}", len(raw)), local.LambdaContext())
        boto3.client("sqs", region_name=local.REGION).send_message(
            QueueUrl=stack.triage_queue_url, MessageBody=json.dumps(given["poison"])
        )
        sqs = boto3.client("sqs", region_name=local.REGION)
        sqs.set_queue_attributes(QueueUrl=stack.triage_queue_url, Attributes={"VisibilityTimeout": "0"})
        worker = local.handler_module("triage_worker").handler
        responses = [local.drain_to_worker(stack.triage_queue_url, worker)]
        details = []
        for name in sys.argv[4:]:
            record = s3.get_object(Bucket=stack.bucket, Key=f"decisions/{name}.json")["Body"].read()
            details += json.loads(record)["decision"].get("detail") or []

        local.put_secret("triage/webhooks/generic", json.dumps({"secrets": [given["secret"]]}))
        desk = {"base_url": "https://desk.example.net/api", "token": "t0k"}
        local.put_secret("triage/helpdesk/generic", json.dumps(desk))
        webhook = local.handler_module("webhook_intake").handler
        accepted = []
        for ticket in given["tickets"]:
            body = json.dumps({"type": "message.created", "data": ticket | {"author_role": "customer"}}).encode()
            headers = sign("generic", body, given["secret"], datetime.now(UTC), delivery_id=ticket["message_id"])
            event = local.http_event("POST", "/webhooks/generic", body, headers)
            accepted.append(webhook(event, local.LambdaContext())["statusCode"])
        responses += [local.drain_to_worker(stack.triage_queue_url, worker)]
        with responses_mock.RequestsMock(assert_all_requests_are_fired=False) as helpdesk:
            helpdesk.add(responses_mock.POST, re.compile("https://desk.example.net/api/.*"), json={"id": "R-1"})
            posted = local.drain_to_worker(stack.outbox_queue_url, local.handler_module("helpdesk_sender").handler)
            calls = [call.request.url for call in helpdesk.calls]
        print("RESULT " + json.dumps({
            "responses": responses, "details": details, "refused": len(refused),
            "escalated": sorted(escalation["reason"] for escalation in local.escalations(stack)),
            "accepted": accepted, "posted": posted, "helpdesk_calls": calls,
        }))
"""


def _without_identifiers(document: Any) -> Any:
    """``document`` less the values of ``IDENTIFIERS``, at any depth."""
    if isinstance(document, dict):
        return {key: _without_identifiers(value) for key, value in document.items() if key not in IDENTIFIERS}
    if isinstance(document, list):
        return [_without_identifiers(value) for value in document]
    return document


@contextmanager
def _daemon() -> Iterator[tuple[tuple[str, int], list[dict[str, Any]]]]:
    """A UDP socket standing in for the X-Ray daemon, and the documents it received: a thread reads them as they
    come (the socket's buffer would drop what overflows it) until the socket has been idle after the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    documents: list[dict[str, Any]] = []
    done = threading.Event()

    def read() -> None:
        while True:
            try:
                datagram, _ = sock.recvfrom(65536)
            except TimeoutError:
                if done.is_set():
                    return
                continue
            header, _, body = datagram.decode("utf-8").partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            documents.append(json.loads(body))

    try:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.3)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        yield sock.getsockname(), documents
        done.set()
        reader.join()
    finally:
        sock.close()


@pytest.fixture(scope="module")
def traced() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The documents the SDK emitted while the four functions that read customers' text handled ``MAILS``, the
    poison message and ``TICKETS``, and what the child reported (the worker's responses, the decisions' details, the
    webhook intake's status codes, the helpdesk sender's responses and the URLs it called)."""
    bench.compile_functions()
    with _daemon() as ((host, port), documents):
        env = bench.child_environment(bench.DEFAULT_MODEL_DIR.resolve()) | {
            "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
            "_X_AMZN_TRACE_ID": "Root=1-6750a2c1-3f1e2d4c5b6a798877665544;Parent=53995c3f42cd8ad8;Sampled=1",
        }
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                _CHILD,
                str(bench.FUNCTIONS_DIR),
                str(EVENTS / "email"),
                json.dumps({"poison": POISON, "tickets": TICKETS, "secret": WEBHOOK_SECRET}),
                *MAILS,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
    [line] = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    return documents, json.loads(line.removeprefix("RESULT "))


def test_tracing_is_on_as_deployed_and_records_the_handlers_and_their_aws_calls(
    traced: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    documents, reported = traced
    names = {document["name"] for document in documents}
    handlers = {"## handler", "## triage_worker.app.record_handler", "## helpdesk_sender.app.record_handler"}
    assert handlers <= names
    assert {
        "s3",
        "sqs",
        "dynamodb",
        "secretsmanager",
    } <= names  # botocore is patched: each AWS call is traced
    assert "desk.example.net" in names  # and requests, in the helpdesk sender
    # The poison message failed on its own (it goes back to the queue, then to the DLQ), and the mail whose reply
    # SES refused went to a person ...
    assert reported["refused"] == 1
    first, tickets = (
        [failure for response in drain for failure in response["batchItemFailures"]]
        for drain in reported["responses"]
    )
    assert len(first) == 1
    assert "reply_refused" in reported["escalated"]
    # ... the tickets were accepted, triaged, and answered or noted on the helpdesk ...
    assert reported["accepted"] == [202, 202]
    assert tickets == first  # the poison message, once more
    assert [failure for response in reported["posted"] for failure in response["batchItemFailures"]] == []
    assert sorted(url.rsplit("/", 3)[-3:][1:] for url in reported["helpdesk_calls"]) == [
        ["T-31", "replies"],
        ["T-32", "notes"],
    ]
    # ... and their traces say why: the record handler's exception, SES's error code.
    faults = [document for document in documents if document.get("fault") or document.get("error")]
    assert any("ValidationError" in json.dumps(document.get("cause", {})) for document in faults)
    [refusal] = [document for document in faults if document["name"] == "email"]
    [exception] = refusal["cause"]["exceptions"]
    assert exception["type"] == "MessageRejected"
    assert (
        exception["message"] == "An error occurred (MessageRejected) when calling the SendRawEmail operation"
    )


def test_no_trace_holds_an_address_a_subject_a_sentence_or_a_phrase_of_a_customer(
    traced: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    documents, reported = traced
    text = json.dumps(documents, ensure_ascii=False)
    folded = " ".join(text.split()).casefold()

    addresses = {found.lower() for found in ADDRESS.findall(text)} - own_addresses()
    assert addresses == set()
    written = [POISON["body"], *(ticket[field] for ticket in TICKETS for field in ("subject", "text"))]
    written += [ticket["from"]["name"] for ticket in TICKETS]
    assert [sentence for sentence in written if sentence.casefold() in folded] == []
    leaked = [needle for needle in fixture_needles() if needle in folded]
    assert leaked == []
    # The phrases that decided (a cue like "passed away", shorter than the needles above) stay out too: the worker's
    # record handler is traced without its result.
    phrases = [detail.partition(":")[2] or detail for detail in reported["details"]]
    phrases = [phrase for phrase in phrases if len(phrase) > 3 and not phrase.startswith(("intent", "0."))]
    phrases.remove("MessageRejected")  # the refused reply's detail: SES's error code, which a trace keeps
    assert phrases, "the decisions quoted no phrase: pick mails whose decisions do"
    # Searched as words, in the documents less the identifiers AWS (here moto) makes up: a request id is 52 random
    # letters and digits, and "days" turned up in one (a CI run failed on it).
    words = " ".join(json.dumps(_without_identifiers(documents), ensure_ascii=False).split()).casefold()
    assert [phrase for phrase in phrases if re.search(rf"\b{re.escape(phrase.casefold())}\b", words)] == []
    record_handlers = [
        document for document in documents if document["name"].endswith("worker.app.record_handler")
    ]
    assert record_handlers
    for document in record_handlers:
        assert not [
            key for key in document.get("metadata", {}).get("triage", {}) if key.endswith(" response")
        ]
