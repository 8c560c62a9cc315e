"""``triage serve``: the stack on this machine, over real sockets — SMTP in, webhooks in, replies and escalations out.

Moto runs as a server in its own process (the AWS APIs on ``--aws-port``); an SMTP server (aiosmtpd) stores each mail
in the bucket as SES's receipt rule would and invokes the email intake function with the S3 event; the webhook
function sits behind ``triage.local_http``; and poller threads do what Lambda's SQS event source mapping does for the
triage worker and the helpdesk sender. Each decision is printed as it happens (keys, actions, reasons, teams —
never an address, a subject or a body). ``LocalStack`` is the same thing for tests: ``start()`` / ``stop()``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import smtplib
import socket
import sys
import threading
import time
import urllib.request
import uuid
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from triage import local

Printer = Callable[[str], None]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ses_message_id() -> str:
    """Lower-case letters and digits, as SES names the objects its receipt rule stores."""
    return uuid.uuid4().hex + secrets.token_hex(4)


def ses_stored(
    raw: bytes, message_id: str, mail_from: str, recipients: list[str], peer: str, helo: str
) -> bytes:
    """The bytes SES writes to S3: the message as received, below its own ``Return-Path`` and ``Received``."""
    stamp = format_datetime(datetime.now(UTC)).replace("-0000", "+0000")
    header = (
        f"Return-Path: <{mail_from}>\r\n"
        f"Received: from {helo or peer} ({helo or peer} [{peer}])\r\n"
        f" by inbound-smtp.{local.REGION}.amazonaws.com with SMTP id {message_id}\r\n"
        f" for {recipients[0] if recipients else local.SUPPORT_ADDRESS};\r\n"
        f" {stamp} (UTC)\r\n"
    )
    return header.encode("ascii", "replace") + raw


@dataclass
class Outcome:
    """What became of one message (ids and codes only)."""

    key: str
    channel: str
    action: str
    reason: str
    team: str = ""
    priority: str = ""
    latency_s: float | None = None


@dataclass
class LocalStack:
    """Moto server + SMTP + HTTP + the queue pollers. Ports of 0 are replaced by free ones at ``start()``."""

    smtp_port: int = 2525
    http_port: int = 8080
    aws_port: int = 5000
    say: Printer = print
    suffix: str = "local"
    workers: int = 1
    stack: local.Stack | None = None
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    accepted_at: dict[str, float] = field(default_factory=dict)
    escalations_sent: dict[str, int] = field(default_factory=dict)
    replies_sent: int = 0
    moto_pid: int | None = None
    _routes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _exit: ExitStack = field(default_factory=ExitStack)
    _decided: threading.Condition = field(default_factory=threading.Condition)

    def _resources(self) -> local.Stack:
        if self.stack is None:
            raise RuntimeError("the local stack is not started")
        return self.stack

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def start(self) -> None:
        from triage import local_http, runtime
        from triage.observability import quiet_logs
        from triage.parsing.webhooks import PROVIDERS

        self.smtp_port, self.http_port = self.smtp_port or free_port(), self.http_port or free_port()
        self.aws_port = self.aws_port or free_port()
        local.fake_credentials()
        try:
            _url, moto = self._exit.enter_context(local.moto_process(timeout=120, port=self.aws_port))
            self.moto_pid = moto.pid
            runtime.reset()
            self._exit.callback(runtime.reset)
            self.stack = stack = local.create_stack(self.suffix)
            quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
            self._exit.enter_context(local.environment(stack.environment() | quiet))
            self._exit.enter_context(quiet_logs())
            for provider in PROVIDERS:
                secret = (
                    "whsec_" + b64encode(secrets.token_bytes(32)).decode()
                    if provider == "generic"
                    else secrets.token_hex(24)
                )
                local.put_secret(f"triage/webhooks/{provider}", json.dumps({"secrets": [secret]}))
                self.webhook_secrets[provider] = secret
            self._tap_deliveries()
            self._intake = local.lambda_handler("email_intake")
            server, self.http_port = local_http.serve(local.lambda_handler("webhook_intake"), self.http_port)
            self._exit.callback(server.server_close)
            self._exit.callback(server.shutdown)
            self._start_smtp()
            worker = local.lambda_handler("triage_worker")
            sender = local.lambda_handler("helpdesk_sender")
            for n in range(self.workers):
                self._spawn(f"triage-worker-{n}", stack.triage_queue_url, worker, self._triaged)
            self._spawn("helpdesk-sender", stack.outbox_queue_url, sender, self._posted)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self._exit.close()

    # --- SMTP -----------------------------------------------------------------------------------------------

    def _start_smtp(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        class _LenientSMTP(SMTP):
            # RFC 5321's 1000-octet line limit; SES takes longer header lines (X-SES-RECEIPT in the fixtures).
            line_length_limit = 64 * 1024

        class _Controller(Controller):
            def factory(self) -> SMTP:
                return _LenientSMTP(self.handler, **self.SMTP_kwargs)

        controller = _Controller(
            _SmtpHandler(self), hostname="127.0.0.1", port=self.smtp_port, data_size_limit=40 * 1024 * 1024
        )
        controller.start()
        self._exit.callback(controller.stop)

    def receive_mail(self, raw: bytes, mail_from: str, recipients: list[str], peer: str, helo: str) -> str:
        """Store as SES would (``inbound/<id>``), then the S3 notification to the email intake function."""
        import boto3

        stack = self._resources()
        message_id = ses_message_id()
        with self._lock:
            self.accepted_at[message_id] = time.monotonic()
        stored = ses_stored(raw, message_id, mail_from, recipients, peer, helo)
        key = f"inbound/{message_id}"
        boto3.client("s3", region_name=local.REGION).put_object(Bucket=stack.bucket, Key=key, Body=stored)
        self._intake(
            local.s3_put_event(stack.bucket, key, len(stored)),
            local.LambdaContext(function_name="email-intake"),
        )
        self.say(f"smtp   {message_id}: stored ({len(stored)} bytes), email intake invoked")
        return message_id

    # --- queue pollers (what Lambda's SQS event source mapping does) ----------------------------------------

    def _spawn(
        self, name: str, url: str, handler: Any, report: Callable[[list[dict[str, Any]]], None]
    ) -> None:
        thread = threading.Thread(
            target=self._poll, args=(url, handler, report, name), name=name, daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def _poll(
        self, url: str, handler: Any, report: Callable[[list[dict[str, Any]]], None], name: str
    ) -> None:
        import boto3

        sqs = boto3.client("sqs", region_name=local.REGION)
        while not self._stop.is_set():
            try:
                received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
                if not received:
                    continue
                response = handler(local.sqs_event(url, received), local.LambdaContext(function_name=name))
                failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
                done = [message for message in received if message["MessageId"] not in failed]
                if done:
                    sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                        ],
                    )
                if failed:
                    self.say(f"{name}: {len(failed)} of {len(received)} failed; SQS redelivers them later")
                report(done)
            except Exception as error:  # a poller never dies: Lambda's would retry too
                if not self._stop.is_set():
                    self.say(f"{name}: {type(error).__name__}; retrying")
                    self._stop.wait(1)

    def _triaged(self, done: list[dict[str, Any]]) -> None:
        import boto3

        stack = self._resources()
        s3 = boto3.client("s3", region_name=local.REGION)
        for message in done:
            key = json.loads(message["Body"]).get("id", "")
            try:
                record = json.loads(
                    s3.get_object(Bucket=stack.bucket, Key=f"decisions/{key}.json")["Body"].read()
                )
            except Exception:  # noqa: S112 - a message with no decision record (e.g. a duplicate) prints nothing
                continue
            decision = record["decision"]
            with self._lock:
                team, priority = self._routes.get(key, ("", ""))
                started = self.accepted_at.get(key)
                outcome = Outcome(
                    key=key,
                    channel=record.get("channel", ""),
                    action=decision["action"],
                    reason=decision["reason"],
                    team=team,
                    priority=priority,
                    latency_s=None if started is None else time.monotonic() - started,
                )
                first = key not in self.outcomes
                self.outcomes.setdefault(key, outcome)
            with self._decided:
                self._decided.notify_all()
            if first:
                self.say(describe(outcome))

    def _posted(self, done: list[dict[str, Any]]) -> None:
        for message in done:
            item = json.loads(message["Body"])
            self.say(f"outbox {item.get('kind', '?')} posted to {item.get('provider', '?')}")

    def _tap_deliveries(self) -> None:
        """Note each escalation's team and priority as the worker sends it (only ids and routing are read)."""
        from triage import aws
        from triage.settings import get_settings

        def on_sqs_send(params: dict[str, Any], **_: Any) -> None:
            stack = self._resources()
            if stack.escalation_queue_prefix not in params.get("QueueUrl", "").rsplit("/", 1)[-1]:
                return
            try:
                body = json.loads(params.get("MessageBody", ""))
            except ValueError:
                return
            key = str(body.get("message_key", ""))
            with self._lock:
                self._routes[key] = (str(body.get("team") or ""), str(body.get("priority") or ""))
                self.escalations_sent[key] = self.escalations_sent.get(key, 0) + 1

        def on_ses_send(**_: Any) -> None:
            with self._lock:
                self.replies_sent += 1

        endpoint = get_settings().aws_endpoint_url
        aws.client("sqs", endpoint).meta.events.register(
            "before-parameter-build.sqs.SendMessage", on_sqs_send
        )
        aws.client("ses", endpoint).meta.events.register("after-call.ses.SendRawEmail", on_ses_send)

    def moto_peak_rss_mb(self) -> float | None:
        """The moto server process's peak resident memory so far (MB), None if unknown."""
        return None if self.moto_pid is None else local.peak_rss_mb(self.moto_pid)

    def wait_for(self, keys: set[str], timeout: float) -> bool:
        """Until each of ``keys`` is decided (True), or ``timeout`` seconds pass (False)."""
        return self.wait_until(lambda outcomes: keys <= outcomes.keys(), timeout)

    def wait_until(self, done: Callable[[dict[str, Outcome]], bool], timeout: float) -> bool:
        """Until ``done(outcomes)`` holds (True), or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._decided:
            while not done(dict(self.outcomes)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._decided.wait(min(left, 1.0))
        return True

    # --- what a person needs to talk to it -------------------------------------------------------------------

    def banner(self) -> str:
        stack = self._resources()
        env = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
        common = f"--endpoint-url {self.aws_url} --region {local.REGION}"
        lines = [
            f"AWS (moto server)  {self.aws_url}",
            f"SMTP               127.0.0.1:{self.smtp_port}   (mail to {local.SUPPORT_ADDRESS})",
            f"webhooks           POST http://127.0.0.1:{self.http_port}/webhooks/{{provider}}",
            "webhook secrets (sign with `triage webhook --sign`):",
            *(f"  {provider:<10} {secret}" for provider, secret in self.webhook_secrets.items()),
            "agents:",
            f"  {env} triage agent {common} --queue-prefix {stack.escalation_queue_prefix}"
            f" --feedback-bucket {stack.bucket} pull --team complaints",
            f"  {env} triage faq {common} --bucket {stack.bucket} list",
            "sent replies (SES outbox):",
            f"  triage serve --show-sent --aws-port {self.aws_port}",
            f"  curl -s {self.aws_url}/moto-api/data.json | python -m json.tool   # ses.RawMessage",
            "Ctrl-C stops everything.",
        ]
        return "\n".join(lines)


def describe(outcome: Outcome) -> str:
    routed = f" -> {outcome.team}/{outcome.priority}" if outcome.team else ""
    took = "" if outcome.latency_s is None else f" ({outcome.latency_s * 1000:.0f} ms after SMTP accept)"
    return f"decide {outcome.key}: {outcome.action} ({outcome.reason}){routed}{took}"


class _SmtpHandler:
    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        try:
            message_id = await asyncio.get_running_loop().run_in_executor(
                None,
                self._stack.receive_mail,
                raw,
                str(envelope.mail_from or ""),
                [str(rcpt) for rcpt in envelope.rcpt_tos],
                peer,
                str(session.host_name or ""),
            )
        except Exception as error:
            self._stack.say(f"smtp   intake failed: {type(error).__name__}; the sender will retry")
            return "451 4.3.0 Temporary failure, please retry"
        return f"250 Ok {message_id}"


# --- sent replies, read from the moto server ---------------------------------------------------------------------


def sent_replies(aws_url: str) -> list[dict[str, Any]]:
    """The SES outbox of a moto *server* (``/moto-api/data.json``): [{"id", "destinations", "source", "raw"}]."""
    with urllib.request.urlopen(f"{aws_url}/moto-api/data.json", timeout=30) as response:  # noqa: S310 - localhost
        data = json.load(response)
    return list(data.get("ses", {}).get("RawMessage", []))


def show_sent(aws_url: str, say: Printer = print) -> int:
    from email import message_from_string
    from email.policy import default

    replies = sent_replies(aws_url)
    say(f"{len(replies)} replies in the SES outbox of {aws_url}")
    for sent in replies:
        reply = message_from_string(sent.get("raw_data", ""), policy=default)
        say(
            f"  {sent.get('id')}: In-Reply-To {reply.get('In-Reply-To', '-')},"
            f" Auto-Submitted {reply.get('Auto-Submitted', '-')}, {len(sent.get('raw_data', ''))} bytes"
        )
    say(f"full messages: curl -s {aws_url}/moto-api/data.json  (ses.RawMessage)")
    return 0


# --- the command -------------------------------------------------------------------------------------------------


class PortError(Exception):
    """A port the stack was told to listen on cannot be used (taken, or not a port)."""


def check_ports(**ports: int) -> None:
    """Each of ``ports`` (option name → port; 0: any free one) can be bound on 127.0.0.1, else PortError naming the
    option, before anything starts."""
    taken: dict[int, str] = {}
    for option, port in ports.items():
        flag = "--" + option.replace("_", "-")
        if not 0 <= port <= 65535:
            raise PortError(f"{flag} {port}: not a port (0-65535; 0 picks a free one)")
        if port == 0:
            continue
        if port in taken:
            raise PortError(f"{flag} {port}: {taken[port]} is given the same port; each needs its own (or 0)")
        taken[port] = flag
        with socket.socket() as probe:
            # As the servers bind: a port left in TIME_WAIT by the last run is free, a listening one is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                raise PortError(
                    f"{flag} {port}: cannot listen there ({error.strerror or error}); is another `triage serve`"
                    " running? Pass another port, or 0 for a free one"
                ) from None


def run(smtp_port: int, http_port: int, aws_port: int) -> int:
    check_ports(smtp_port=smtp_port, http_port=http_port, aws_port=aws_port)
    stack = LocalStack(smtp_port=smtp_port, http_port=http_port, aws_port=aws_port)
    stopping = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        print("starting: moto server, stack resources, SMTP, HTTP, queue pollers ...", flush=True)
        stack.start()
        print(stack.banner(), flush=True)
        stopping.wait()
        print("\nstopping ...", flush=True)
    finally:
        stack.stop()
        signal.signal(signal.SIGINT, previous)
    print("stopped.")
    return 0


# --- the load run ------------------------------------------------------------------------------------------------


def load_mail(n: int, big_bytes: int) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Load Customer {n % 500} <customer{n % 500}@example.org>"
    mail["To"] = local.SUPPORT_ADDRESS
    mail["Subject"] = f"Where is my order {10000 + n}?"
    mail["Message-ID"] = f"<load-{n}-{uuid.uuid4().hex[:8]}@example.org>"
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail.set_content(
        f"Hello, I ordered last week and the order {10000 + n} has not arrived. Where is it? Thanks"
    )
    if big_bytes:
        mail.add_attachment(
            secrets.token_bytes(big_bytes),
            maintype="application",
            subtype="octet-stream",
            filename=f"scan-{n}.bin",
        )
    return mail


def run_load(
    count: int, big_share: float = 0.1, big_mb: float = 10.0, timeout: float = 900.0, say: Printer = print
) -> dict[str, Any]:
    """``count`` mails over SMTP (``big_share`` of them with a ``big_mb`` MB attachment), then what came of them."""
    import boto3

    if not 1 <= count <= 5000 or not 0 <= big_share <= 1:
        raise ValueError("count must be within [1, 5000] and big_share within [0, 1]")
    quiet: list[str] = []
    stack = LocalStack(smtp_port=0, http_port=0, aws_port=0, say=quiet.append, suffix="load", workers=2)
    stack.start()
    try:
        big_every = round(1 / big_share) if big_share else 0
        errors = 0
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=120) as smtp:
            for n in range(count):
                big = int(big_mb * 1024 * 1024) if big_every and n % big_every == 0 else 0
                mail = load_mail(n, big)
                try:
                    smtp.send_message(mail)
                except smtplib.SMTPException:
                    errors += 1
        sent_s = time.monotonic() - started
        keys = set(stack.accepted_at)
        complete = stack.wait_for(keys, timeout=max(1.0, timeout - sent_s))
        wall = time.monotonic() - started
        time.sleep(3)  # a late duplicate would show up here
        sqs = boto3.client("sqs", region_name=local.REGION)
        in_dlq = 0
        for url in sqs.list_queues().get("QueueUrls", []):
            if url.endswith("-dlq") or "-dlq-" in url:
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                in_dlq += int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        outcomes = list(stack.outcomes.values())
        replied = sum(o.action == "auto_reply" for o in outcomes)
        latencies = sorted(o.latency_s for o in outcomes if o.latency_s is not None)
        # Counted as SES accepted them (an after-call hook on the SES client), not read back from moto's
        # /moto-api/data.json: that dumps every stored object, attachments included, and timed out at 300 mails.
        sent_replies_count = stack.replies_sent
        duplicates = max(0, sent_replies_count - replied) + sum(
            c - 1 for c in stack.escalations_sent.values()
        )

        def pct(q: float) -> float:
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else 0.0

        return {
            "mails": count,
            "big_mails": sum(1 for n in range(count) if big_every and n % big_every == 0),
            "big_mb": big_mb,
            "smtp_errors": errors,
            "received": len(keys),
            "decided": len(outcomes),
            "replied": replied,
            "escalated": sum(o.action == "escalate" for o in outcomes),
            "no_reply": sum(o.action == "no_reply" for o in outcomes),
            "escalation_reasons": dict(Counter(o.reason for o in outcomes if o.action == "escalate")),
            "in_dlq": in_dlq,
            "lost": len(keys - stack.outcomes.keys()),
            "duplicates": duplicates,
            "ses_sent": sent_replies_count,
            "all_decided_in_time": complete,
            "smtp_send_s": round(sent_s, 1),
            "wall_s": round(wall, 1),
            "accept_to_decision_p50_s": pct(0.5),
            "accept_to_decision_p99_s": pct(0.99),
            "accept_to_decision_max_s": round(latencies[-1], 2) if latencies else 0.0,
            "moto_peak_rss_mb": stack.moto_peak_rss_mb(),
            "this_process_peak_rss_mb": local.peak_rss_mb(os.getpid()),
        }
    finally:
        stack.stop()


def main(args: Any) -> int:
    """``triage serve`` (its arguments are registered in ``triage.cli``)."""
    import os

    # The handlers' EMF metrics are for CloudWatch; read when the metrics object is made, so set before the handlers.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    if args.show_sent:
        return show_sent(f"http://127.0.0.1:{args.aws_port}")
    if args.load:
        print(
            f"load run: {args.load} mails over SMTP, {args.big_share:.0%} with {args.big_mb} MB ...",
            flush=True,
        )
        print(json.dumps(run_load(args.load, args.big_share, args.big_mb, args.load_timeout), indent=2))
        return 0
    try:
        return run(args.smtp_port, args.http_port, args.aws_port)
    except PortError as error:
        print(f"triage: {error}", file=sys.stderr)
        return 2
