"""What a trace keeps of an exception: its type, where it was raised, an AWS error's code; never its message's text."""

from __future__ import annotations

import json
import traceback

import pytest
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment
from botocore.exceptions import ClientError

from triage.observability import WITHHELD, traced_message, withhold_messages

ADDRESS = "someone@example.org"


def _refusal(retries: int | None = None) -> ClientError:
    response: dict = {
        "Error": {"Code": "MessageRejected", "Message": f"identities failed the check: {ADDRESS}"}
    }
    if retries is not None:
        response["ResponseMetadata"] = {"MaxAttemptsReached": True, "RetryAttempts": retries}
    return ClientError(response, "SendRawEmail")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        (_refusal(), "An error occurred (MessageRejected) when calling the SendRawEmail operation"),
        (
            _refusal(retries=4),
            "An error occurred (MessageRejected) when calling the SendRawEmail operation (reached max retries: 4)",
        ),
        (ValueError(f"cannot parse {ADDRESS}"), WITHHELD),
        (KeyError("Destinations"), WITHHELD),
    ],
)
def test_a_trace_keeps_an_aws_errors_code_and_operation_and_nothing_else_of_a_message(
    error: Exception, kept: str
) -> None:
    assert traced_message(str(error)) == kept


def _raised(error: Exception) -> list[traceback.FrameSummary]:
    try:
        raise error
    except Exception as caught:
        return traceback.extract_tb(caught.__traceback__)


def test_messages_are_withheld_from_the_segment_its_subsegments_and_powertools_metadata() -> None:
    segment = Segment("triage-worker")
    handler = Subsegment("## handler", "local", segment)
    ses = Subsegment("email", "aws", segment)
    handler.add_subsegment(ses)
    segment.add_subsegment(handler)
    refusal, invalid = _refusal(), ValueError(f"body quotes {ADDRESS}")
    ses.add_exception(refusal, _raised(refusal), remote=True)
    handler.add_exception(invalid, _raised(invalid))
    handler.put_metadata(
        "record_handler error", invalid, "triage"
    )  # as Powertools' capture_method records it
    handler.put_metadata("kept", {"intent": "track_order"}, "triage")

    withhold_messages(segment)

    document = json.loads(segment.serialize())
    assert ADDRESS not in json.dumps(document)
    [traced_handler] = document["subsegments"]
    [traced_ses] = traced_handler["subsegments"]
    [refused] = traced_ses["cause"]["exceptions"]
    assert (refused["type"], refused["message"]) == (
        "ClientError",
        "An error occurred (MessageRejected) when calling the SendRawEmail operation",
    )
    assert refused["stack"][-1]["label"] == "_raised"  # where it was raised stays
    [failed] = traced_handler["cause"]["exceptions"]
    assert (failed["type"], failed["message"]) == ("ValueError", WITHHELD)
    assert traced_handler["metadata"]["triage"] == {
        "record_handler error": f"ValueError: {WITHHELD}",
        "kept": {"intent": "track_order"},
    }
