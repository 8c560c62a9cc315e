"""Issue 7's scenario on moto: a new question keeps reaching people; mined, approved, then answered automatically.

30 customers ask, in their own words, whether we gift-wrap. Nothing automated knows that question, so every mail
goes to a person, who answers it and resolves the escalation with a note. Mining the agents' feedback proposes one
FAQ draft; a person approves it; the next customer who asks gets the approved answer automatically, while a
furious customer asking the same still goes to a person.
"""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import boto3
from test_pipeline import run_worker

from triage import local, runtime
from triage.agent import AgentDesk
from triage.faq import S3FaqStore, approve
from triage.routing import load_routing
from triage.settings import Settings

QUESTIONS = (
    (Path(__file__).resolve().parents[1] / "fixtures" / "faq_gift_wrapping.txt").read_text().splitlines()
)
AGENT_ANSWER = (
    "Yes: every order can be gift-wrapped for 3 euros. Tick 'Gift wrap' at checkout, or reply with your order "
    "number within two hours of ordering and we add it for you."
)


def send(stack: local.Stack, n: int, text: str, subject: str = "Question") -> None:
    mail = EmailMessage()
    mail["From"] = f"Customer {n} <customer{n}@example.org>"
    mail["To"] = "support@example.com"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<gift-{n}@example.org>"
    mail.set_content(f"Hello,\n\n{text}\n\nThanks,\nSam")
    raw = mail.as_bytes()
    key = f"inbound/gift-{n}"
    boto3.client("s3", region_name=local.REGION).put_object(Bucket=stack.bucket, Key=key, Body=raw)
    local.handler_module("email_intake").handler(
        local.s3_put_event(stack.bucket, key, len(raw)), local.LambdaContext()
    )


def test_a_repeated_question_becomes_an_approved_answer(stack: local.Stack) -> None:
    assert len(QUESTIONS) == 30
    for n, question in enumerate(QUESTIONS):
        send(stack, n, question)
    run_worker(stack)
    assert local.sent_emails() == []  # nothing automated knows this question yet

    # Agents answer each one and resolve it with their note (the feedback FAQ mining reads).
    sqs, s3 = boto3.client("sqs", region_name=local.REGION), boto3.client("s3", region_name=local.REGION)
    teams = load_routing(Settings.from_env().routing_file).team_names
    desk = AgentDesk(sqs, s3, stack.escalation_queue_prefix, teams, feedback_bucket=stack.bucket)
    resolved = 0
    for team in teams:
        while (pulled := desk.pull(team)) is not None:
            desk.resolve(
                pulled.id, intent="gift_wrapping", outcome="faq-candidate", note=AGENT_ANSWER, agent="ana"
            )
            resolved += 1
    assert resolved == 30

    # The daily scheduled function mines the week's feedback into pending drafts.
    mined = local.handler_module("faq_miner").handler({}, local.LambdaContext(function_name="faq-miner"))
    assert mined == {"feedback": 30, "drafts": 1, "new": 1}
    store = S3FaqStore(s3, stack.bucket)
    [draft] = store.list("pending")
    assert draft.size >= 25
    assert draft.answer is not None
    assert AGENT_ANSWER in draft.answer
    approve(store, draft.id, answer=None, reviewer="lead")
    # Mining again proposes nothing new: the question is known.
    assert local.handler_module("faq_miner").handler({}, local.LambdaContext())["new"] == 0

    runtime.reset()  # a new worker reads the knowledge base (in AWS: within its cache time)
    # A new wording, close to the approved question (the match threshold, 0.925, is strict: see triage.faq).
    send(stack, 100, "Can you gift wrap my purchase?", subject="Gift wrap")
    send(stack, 101, "This is RIDICULOUS!!! Can you gift wrap my purchase or not???", subject="Gift wrap")
    run_worker(stack)
    [reply] = local.sent_emails()
    sent = message_from_bytes(reply["raw"], policy=default)
    assert sent["To"] == "customer100@example.org"
    assert "gift-wrapped for 3 euros" in sent.get_content()
    furious = [e for e in local.escalations(stack) if e["customer"]["address"] == "customer101@example.org"]
    assert [e["reason"] for e in furious] == ["negative_emotion"]
