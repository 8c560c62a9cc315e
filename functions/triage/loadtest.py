"""A loopback load run of the webhook intake: signed requests at a fixed rate over real HTTP, on moto.

``triage load-webhooks --rate 50 --seconds 60 --json`` starts the stack's resources in a moto server (its own process), the
webhook intake function behind ``triage.local_http`` on 127.0.0.1, and sends ``rate`` signed requests per second,
each a new delivery except ``replay_share`` of them, which resend an earlier delivery byte for byte (the vendor's
at-least-once retries), while a consumer drains the triage queue as the worker does. It reports the acknowledgement latency (p50/p95/p99/max, measured by the client from
sending the request to reading the whole response), the status codes, and whether each delivery reached the triage
queue exactly once. It measures; it asserts nothing.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from triage import local

SECRET = "whsec_" + "bG9hZC10ZXN0LXNlY3JldC0zMi1ieXRlcy1sb25nISE="  # base64 of a 32-byte test key


def _delivery(n: int) -> tuple[str, bytes]:
    body = json.dumps(
        {
            "type": "message.created",
            "data": {
                "ticket_id": f"LT-{n}",
                "message_id": f"m-{n}",
                "from": {"name": "Load Test", "email": f"customer{n % 500}@example.org"},
                "subject": f"Order {n}",
                "text": f"Hello, where is my order {10000 + n}? Thanks",
                "author_role": "customer",
            },
        }
    ).encode()
    return f"msg_load_{n:06d}", body


def run_load(
    rate: int = 50, seconds: int = 60, replay_share: float = 0.1, workers: int = 32
) -> dict[str, Any]:
    if rate < 1 or seconds < 1 or not 0 <= replay_share < 1:
        raise ValueError("rate and seconds must be at least 1, replay_share within [0, 1)")
    import boto3

    from triage import local_http, runtime
    from triage.parsing.webhooks import sign

    local.fake_credentials()
    with local.moto_server():
        runtime.reset()
        stack = local.create_stack("load")
        local.put_secret("triage/webhooks/generic", json.dumps({"secrets": [SECRET]}))
        quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
        from triage.observability import quiet_logs

        with local.environment(stack.environment() | quiet), quiet_logs():
            handler = local.lambda_handler("webhook_intake")
            server, port = local_http.serve(handler)
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            errors: list[str] = []
            lock = threading.Lock()
            sent: list[tuple[str, bytes, dict[str, str]]] = []
            connections = threading.local()

            def send(body: bytes, headers: dict[str, str]) -> None:
                started = time.perf_counter()
                try:
                    if not hasattr(connections, "conn"):
                        connections.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn = connections.conn
                    conn.request(
                        "POST",
                        "/webhooks/generic",
                        body=body,
                        headers=headers | {"Content-Type": "application/json"},
                    )
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as error:
                    connections.__dict__.pop("conn", None)
                    with lock:
                        errors.append(type(error).__name__)
                    return
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

            # The triage worker drains the queue as messages arrive (moto's SendMessage slows down as a queue grows,
            # which a consumed queue in AWS never shows): a consumer thread receives and deletes, keeping each body.
            sqs = boto3.client("sqs", region_name=local.REGION)
            queued: list[dict[str, Any]] = []
            stop = threading.Event()

            def consume() -> None:
                while True:
                    batch = _receive(sqs, stack.triage_queue_url)
                    queued.extend(batch)
                    if not batch and stop.is_set():
                        return

            consumer = threading.Thread(target=consume, name="triage-queue-consumer", daemon=True)
            consumer.start()
            rng = random.Random(20261127)  # noqa: S311 - picks which requests to resend, not a secret
            total = rate * seconds
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for i in range(total):
                    due = start + i / rate
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    if sent and rng.random() < replay_share:
                        _, body, headers = rng.choice(sent)  # a vendor retry: the very same request
                    else:
                        delivery_id, body = _delivery(len(sent))
                        headers = sign("generic", body, SECRET, datetime.now(UTC), delivery_id)
                        sent.append((delivery_id, body, headers))
                    pool.submit(send, body, headers)
            wall = time.perf_counter() - start
            server.shutdown()
            stop.set()
            consumer.join()
        runtime.reset()
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2) if ordered else 0.0

    tickets = [message["ticket_id"] for message in queued]
    return {
        "requests": total,
        "target_rate_per_s": rate,
        "achieved_rate_per_s": round(total / wall, 2),
        "seconds": seconds,
        "deliveries": len(sent),
        "replays": total - len(sent),
        "status_counts": {str(code): count for code, count in sorted(statuses.items())},
        "server_errors_5xx": sum(count for code, count in statuses.items() if code >= 500),
        "connection_errors": len(errors),
        "ack_p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else 0.0,
        "ack_p95_ms": pct(0.95),
        "ack_p99_ms": pct(0.99),
        "ack_max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
        "queued_messages": len(queued),
        "distinct_deliveries_queued": len(set(tickets)),
        "each_delivery_queued_once": len(queued) == len(set(tickets)) == len(sent),
    }


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    """One long-poll receive (up to 10 messages), deleted once read."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    if messages:
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return [json.loads(message["Body"]) for message in messages]
