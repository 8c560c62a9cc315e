"""A forward's subject names the mail passed on, not the customer's question: it is not read as a view of its own."""

from __future__ import annotations

from test_asking_view import _views_read

from triage.classifier import IntentModel
from triage.service import classify, read_email, triage_message
from triage.settings import Settings

# A question about delivery above a forwarded invoice: read with the invoice's subject as the customer's own
# summary, the model leans to the invoice.
BODY = (
    "Hello,\n\nThe order on the invoice below still hasn't turned up. Could you tell me where the parcel is now and "
    "when it will be delivered?\n\nKind regards,\nMarek\n\n---------- Forwarded message ---------\n"
    "From: Shop <billing@shop.example>\nSubject: Your invoice for order 5521\n\n"
    "Please find your invoice for order 5521 attached.\n"
)


def _mail(subject: str) -> bytes:
    return (
        "From: Marek Nowak <marek@example.net>\nTo: support@example.com\n"
        f"Subject: {subject}\nMessage-ID: <fwd-5521@example.net>\n\n{BODY}"
    ).encode()


def test_a_forwarded_mail_is_read_as_the_question_above_it(settings: Settings, model: IntentModel) -> None:
    forwarded = classify(read_email(_mail("Fwd: Your invoice for order 5521"), settings), model)
    as_own_subject = classify(read_email(_mail("Your invoice for order 5521"), settings), model)
    assert forwarded is not None
    assert as_own_subject is not None
    assert forwarded.label == "track_order"
    # The same words under a subject of the customer's own: the subject view pulls towards the invoice.
    assert as_own_subject.probability("track_order") < forwarded.probability("track_order") - 0.3


def test_the_worker_reads_a_forward_as_classify_does(settings: Settings, model: IntentModel) -> None:
    for prefix in ("Fwd: ", "FW: ", "Re: Fwd: "):
        message = read_email(_mail(prefix + "Your invoice for order 5521"), settings)
        outcome = triage_message(message, model, settings)
        assert outcome.decision.intent == "track_order", prefix


def test_without_the_subject_view_the_whole_message_is_the_one_view() -> None:
    text = "Your invoice for order 5521\nWhere is the parcel?"
    assert _views_read(text, 0.999, subject_view=False) == [[text]]
    assert _views_read(text, 0.999) == [["Your invoice for order 5521", text]]
