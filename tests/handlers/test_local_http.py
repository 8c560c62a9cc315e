"""The webhook intake behind a real localhost socket, and the loopback load run's accounting."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime

from triage import local, local_http
from triage.loadtest import run_load
from triage.parsing.webhooks import sign

SECRET = "whsec_dGVzdC1zZWNyZXQtZ2VuZXJpYy0zMi1ieXRlcy1rZXk="


def test_a_signed_request_over_http_is_accepted_and_a_bad_one_refused(stack: local.Stack) -> None:
    local.put_secret("triage/webhooks/generic", json.dumps([SECRET]))
    server, port = local_http.serve(local.handler_module("webhook_intake").handler)
    try:
        body = json.dumps(
            {
                "type": "message.created",
                "data": {
                    "ticket_id": "H-1",
                    "message_id": "m-1",
                    "from": {"name": "A", "email": "a@example.org"},
                    "subject": "Order",
                    "text": "Where is my order?",
                    "author_role": "customer",
                },
            }
        ).encode()
        headers = sign("generic", body, SECRET, datetime.now(UTC), "msg_http_1")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/webhooks/generic", body=body, headers=headers)
        accepted = conn.getresponse()
        assert (accepted.status, json.loads(accepted.read())["status"]) == (202, "accepted")
        conn.request("POST", "/webhooks/generic", body=body + b" ", headers=headers)
        refused = conn.getresponse()
        assert (refused.status, json.loads(refused.read())["error"]) == (401, "bad_signature")
        conn.request("POST", "/elsewhere", body=b"{}")
        missing = conn.getresponse()
        assert missing.status == 404
        missing.read()
    finally:
        server.shutdown()


def test_the_load_run_counts_deliveries_and_replays() -> None:
    report = run_load(rate=20, seconds=1, replay_share=0.3)
    assert report["requests"] == 20
    assert report["deliveries"] + report["replays"] == 20
    # A replay that races its first delivery gets 409 (retry later); never a 5xx.
    assert set(report["status_counts"]) <= {"202", "409"}
    assert sum(report["status_counts"].values()) == 20
    assert report["server_errors_5xx"] == 0
    assert report["queued_messages"] == report["deliveries"]
    assert report["each_delivery_queued_once"] is True


def test_a_delivery_racing_its_own_retry_gets_409_not_5xx() -> None:
    from triage.webhook_intake import DeliveryInProgress, StaticSecrets, WebhookIntake

    def busy(key: str, work: object) -> dict[str, object]:
        raise DeliveryInProgress(key)

    class Queue:
        def send(self, body: str) -> str:
            raise AssertionError("nothing may be queued by the racing request")

    body = json.dumps(
        {
            "type": "message.created",
            "data": {
                "ticket_id": "H-2",
                "message_id": "m-2",
                "from": {"name": "A", "email": "a@example.org"},
                "subject": "Order",
                "text": "Where is my order?",
                "author_role": "customer",
            },
        }
    ).encode()
    intake = WebhookIntake(StaticSecrets({"generic": [SECRET]}), Queue(), once=busy)
    answer = intake.receive("generic", body, sign("generic", body, SECRET, datetime.now(UTC), "msg_race"))
    assert answer.status == 409
    assert answer.headers == {"retry-after": "2"}
    assert answer.body["status"] == "in_progress"
