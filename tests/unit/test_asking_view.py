"""The intent model's third view of a chatty mail: the sentences that ask, without the small talk around them."""

from __future__ import annotations

import pytest

from triage.classifier import Classification, IntentModel
from triage.message import InboundMessage
from triage.service import classify, classify_text
from triage.summary import asks, request_sentences

# Small talk around one plain question: the whole mail reads as neither the question nor anything else.
CHATTY = [
    (
        "hello again\nHey there,\n\nI hope the autumn rush is treating you kindly. My neighbour swears by your coffee "
        "grinders and has been telling everyone on our street about them, which is how I ended up here.\n\nIs there a "
        "fee if I cancel my order before it ships?\n\nAll the best,\nDev",
        "check_cancellation_fee",
    ),
    (
        "Sunday morning question\nGood morning!\n\nI'm sitting here with a cup of tea, watching the rain and finally "
        "sorting out my paperwork from the summer, which my accountant has been nagging me about for weeks.\n\nCould "
        "you send me the invoice for order 40417?\n\nThanks ever so much,\nRuth",
        "get_invoice",
    ),
]


def test_the_sentences_that_ask_are_questions_and_requests_not_small_talk() -> None:
    body = (
        "Hi team!\n\nWhat a week it has been. The garden looks like a postcard.\n\nAnyway: how long does delivery "
        "take to Leeds? I'd like it before the 20th.\n\nBest,\nMarta"
    )
    sentences = request_sentences(body)
    assert [sentence for sentence in sentences if asks(sentence)] == [
        "Anyway: how long does delivery take to Leeds?",
        "I'd like it before the 20th.",
    ]
    assert len(sentences) == 4


def _views_read(text: str, confidence: float, subject_view: bool = True) -> list[list[str]]:
    views: list[list[str]] = []

    class Spy:
        def predict_views(self, texts: list[str], encoder: object = None) -> Classification:
            views.append(list(texts))
            return Classification(
                label="x", confidence=confidence, top_k=(("x", confidence),), model_version="spy"
            )

    classify_text(text, Spy(), subject_view=subject_view)  # type: ignore[arg-type]
    return views


def test_an_unsure_reading_of_a_chatty_mail_reads_its_question_as_a_third_view() -> None:
    text = "Order 40417\nHello! Lovely weather. Where is order 40417?"
    assert _views_read(text, 0.6) == [["Order 40417", text], ["Order 40417", text, "Where is order 40417?"]]


def test_a_sure_reading_or_a_body_that_only_asks_gives_no_third_view() -> None:
    assert _views_read("Order 40417\nHello! Lovely weather. Where is order 40417?", 0.995) == [
        ["Order 40417", "Order 40417\nHello! Lovely weather. Where is order 40417?"]
    ]
    # A greeting and a sign-off round the one question are no small talk: the whole-mail view reads the question
    # (a bare question read alone is where the model is surest of a near intent for one it does not know).
    for text in (
        "Order 40417\nWhere is order 40417?",
        "Order 40417\nHello,\n\nWhere is order 40417?\n\nThanks,\nSam",
    ):
        assert _views_read(text, 0.6) == [["Order 40417", text]]


@pytest.mark.parametrize(("text", "intent"), CHATTY)
def test_a_chatty_mail_is_read_as_the_question_it_asks(text: str, intent: str, model: IntentModel) -> None:
    subject = text.partition("\n")[0]
    diluted = model.predict_views([subject, text])  # subject and whole mail alone: unsure
    result = classify_text(text, model)
    assert result is not None
    assert diluted.confidence < 0.8
    assert (result.label, result.confidence >= 0.95) == (intent, True)


@pytest.mark.parametrize(
    ("subject", "views"),
    [
        ("Refund policy", [["Refund policy", "Refund policy\nCan I return it for a full refund?"]]),
        # A reply's or a forward's subject names the thread or the mail passed on, not this question.
        (
            "Re: Your order confirmation SE-4471",
            [["Your order confirmation SE-4471\nCan I return it for a full refund?"]],
        ),
        (
            "Fwd: Your order confirmation SE-4471",
            [["Your order confirmation SE-4471\nCan I return it for a full refund?"]],
        ),
    ],
)
def test_only_the_message_s_own_subject_is_a_view(subject: str, views: list[list[str]]) -> None:
    read: list[list[str]] = []

    class Spy:
        def predict_views(self, texts: list[str], encoder: object = None) -> Classification:
            read.append(list(texts))
            return Classification(label="x", confidence=0.999, top_k=(("x", 0.999),), model_version="spy")

    message = InboundMessage(id="m1", subject=subject, text="Can I return it for a full refund?")
    classify(message, Spy())  # type: ignore[arg-type]
    assert read == views
