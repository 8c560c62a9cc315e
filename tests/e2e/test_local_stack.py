"""End to end over real sockets: mail in over SMTP, a signed webhook over HTTP, the reply in the moto server's SES
outbox and the escalation through ``triage agent pull --json`` — the stack of ``triage serve`` on free ports.

Generous bounded waits and no timing assertions: this runs in ``make test`` on a busy two-core machine.
"""

from __future__ import annotations

import http.client
import json
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_string
from email.message import EmailMessage
from email.policy import default

import pytest

from triage import cli, serve
from triage.parsing.webhooks import sign

DECIDED_WITHIN_S = 180


@pytest.fixture(scope="module")
def running() -> Iterator[serve.LocalStack]:
    stack = serve.LocalStack(smtp_port=0, http_port=0, aws_port=0, say=lambda line: None, suffix="e2e")
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def mail(subject: str, text: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Pat Customer <pat.customer@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message.set_content(text)
    return message


def send_over_smtp(stack: serve.LocalStack, message: EmailMessage) -> str:
    """The SES-style id the server answered with (``250 Ok <id>``)."""
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=120) as smtp:
        smtp.ehlo()
        smtp.mail("pat.customer@example.org")
        smtp.rcpt("support@example.com")
        code, answer = smtp.data(message.as_bytes())
    assert code == 250
    return answer.decode().split()[-1]


ANGRY = mail(
    "This is UNACCEPTABLE - I want to complain",
    "I am furious. Your staff were rude to me on the phone and nobody answers my emails. This is the worst "
    "service I have ever had and I want to file a formal complaint. Disgusting!",
    "<angry-e2e-1@example.org>",
)
ROUTINE = mail(
    "Where is my order?",
    "Hello, I ordered a lamp last week (order 48213) and it has not arrived yet. Where is my order? Thanks, Pat",
    "<routine-e2e-1@example.org>",
)


def test_mail_and_a_webhook_reach_a_reply_an_escalation_and_the_agent(
    running: serve.LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two mails over SMTP and one signed webhook over HTTP
    angry_id = send_over_smtp(running, ANGRY)
    routine_id = send_over_smtp(running, ROUTINE)
    body = json.dumps(
        {
            "type": "message.created",
            "data": {
                "ticket_id": "E2E-1",
                "message_id": "m-e2e-1",
                "from": {"name": "Pat Customer", "email": "pat.customer@example.org"},
                "subject": "Order 48214",
                "text": "Hello, where is my order 48214? Thanks",
                "author_role": "customer",
            },
        }
    ).encode()
    headers = sign("generic", body, running.webhook_secrets["generic"], datetime.now(UTC), "msg_e2e_1")
    connection = http.client.HTTPConnection("127.0.0.1", running.http_port, timeout=120)
    connection.request(
        "POST", "/webhooks/generic", body=body, headers=headers | {"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 202

    # When the pollers have decided all three
    assert running.wait_until(
        lambda outcomes: (
            {angry_id, routine_id} <= outcomes.keys()
            and any(o.channel == "webhook" for o in outcomes.values())
        ),
        timeout=DECIDED_WITHIN_S,
    ), f"not decided in time: {sorted(running.outcomes)}"

    # Then the routine mail's reply is in the moto server's SES outbox, in its thread
    assert running.outcomes[routine_id].action == "auto_reply"
    replies = [
        message_from_string(sent["raw_data"], policy=default) for sent in serve.sent_replies(running.aws_url)
    ]
    [reply] = [r for r in replies if r["In-Reply-To"] == ROUTINE["Message-ID"]]
    assert reply["Auto-Submitted"] == "auto-replied"

    # And the angry one waits for the complaints team, where `triage agent pull --json` finds it
    assert running.outcomes[angry_id].action == "escalate"
    stack = running.stack
    assert stack is not None
    capsys.readouterr()
    status = cli.main(
        [
            "agent",
            "--endpoint-url",
            running.aws_url,
            "--region",
            "us-east-1",
            "--queue-prefix",
            stack.escalation_queue_prefix,
            "--feedback-bucket",
            stack.bucket,
            "pull",
            "--team",
            "complaints",
            "--json",
        ]
    )
    pulled = json.loads(capsys.readouterr().out)
    assert status == 0
    assert pulled["team"] == "complaints"
    assert pulled["escalation"]["message_key"] == angry_id
    assert pulled["escalation"]["raw"]["key"] == f"inbound/{angry_id}"

    # And the webhook's message was decided once, on the webhook channel
    assert sum(o.channel == "webhook" for o in running.outcomes.values()) == 1
