"""The nasty-mail corpus (REFERENCE §4, §6 P1-P3): every trap parses or is quarantined, never crashes, never
gets an automatic reply when the text is doubtful, and a reply to it carries no injected header.

Small cases are files in tests/fixtures/nasty/ with their expectations in manifest.json (defects that must be
recorded, acceptable outcomes); the big ones (40 MB, 1,000 parts, depth 50, 8,000 encoded-words, a huge
header) are generated here at run time.
"""

from __future__ import annotations

import base64
import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from triage.classifier import IntentModel
from triage.message import InboundMessage
from triage.parsing.email import MAX_DEPTH, MAX_HEADER_LINE_BYTES, MAX_PARTS, parse_email
from triage.policy import DOUBTFUL_DEFECTS, Action
from triage.replies import compose_mime, reply_content
from triage.service import triage_message
from triage.settings import Settings

NASTY = Path(__file__).resolve().parents[1] / "fixtures" / "nasty"
MANIFEST: dict[str, dict[str, Any]] = json.loads((NASTY / "manifest.json").read_text(encoding="utf-8"))
HEAD = "From: Ana <ana@example.com>\r\nTo: support@example.org\r\nMessage-ID: <big@example.com>\r\n"
BODY = "Hello, where is my order #A-1234? It was due on Monday.\r\n"


def _doubtful(message: InboundMessage) -> list[str]:
    return [defect for defect in message.defects if defect.split(":")[0] in DOUBTFUL_DEFECTS]


def _check_outcome(message: InboundMessage, model: IntentModel, settings: Settings) -> Action:
    outcome = triage_message(message, model, settings)
    action = outcome.decision.action
    assert action in (Action.AUTO_REPLY, Action.ESCALATE, Action.NO_REPLY)
    if _doubtful(message):
        assert action is not Action.AUTO_REPLY, message.defects
    if action is Action.ESCALATE:
        assert outcome.escalation is not None
    return action


# --- generated big cases ---------------------------------------------------------------------------------


def big_mail(megabytes: int) -> bytes:
    """A short question with one base64 attachment of ``megabytes`` MB (as SES stores it, up to 40 MB)."""
    line = base64.b64encode(bytes(range(256)) * 3)[:76] + b"\r\n"
    attachment = line * (megabytes * 1024 * 1024 // len(line))
    return (
        (
            HEAD + "Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + BODY + "--b1\r\n"
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=scan.pdf\r\n\r\n"
        ).encode()
        + attachment
        + b"--b1--\r\n"
    )


def encoded_words(count: int) -> bytes:
    subject = " ".join(f"=?utf-8?q?w{i}?=" for i in range(count))
    return f"{HEAD}Subject: {subject}\r\n\r\n{BODY}".encode()


def deep_mail(depth: int) -> bytes:
    body = f"Content-Type: text/plain\r\n\r\n{BODY}"
    for level in range(depth, 0, -1):
        body = f'Content-Type: multipart/mixed; boundary="d{level}"\r\n\r\n--d{level}\r\n{body}\r\n--d{level}--\r\n'
    return f"{HEAD}Subject: deep\r\nMIME-Version: 1.0\r\n{body}".encode()


def many_parts(count: int) -> bytes:
    parts = "".join(f"--m\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(count))
    return f"{HEAD}Subject: many\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n{BODY}{parts}--m--\r\n".encode()


def huge_header(size: int) -> bytes:
    return f"{HEAD}Subject: Order\r\nX-Huge: {'a' * size}\r\n\r\n{BODY}".encode()


GENERATED = {
    "mail_40mb": (lambda: big_mail(40), ()),
    "encoded_words_8000": (lambda: encoded_words(8000), ("header_too_long",)),
    "depth_50": (lambda: deep_mail(50), ("too_deep",)),
    "parts_1000": (lambda: many_parts(1000), ("too_many_parts",)),
    "header_over_cap": (lambda: huge_header(MAX_HEADER_LINE_BYTES + 1), ("header_too_long",)),
    "header_block_5mb": (
        lambda: HEAD.encode() + b"X-A: b\r\n" * 700_000 + b"\r\n" + BODY.encode(),
        ("header_too_long",),
    ),
}


# --- the corpus ------------------------------------------------------------------------------------------


def test_the_corpus_is_big_and_every_file_has_an_expectation() -> None:
    files = {path.name for path in NASTY.glob("*.eml")}
    assert len(files) >= 45
    assert files == set(MANIFEST)
    assert all(path.stat().st_size < 64 * 1024 for path in NASTY.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_nasty_mail_parses_records_defects_and_is_decided(
    name: str, settings: Settings, model: IntentModel
) -> None:
    expected = MANIFEST[name]
    message = parse_email((NASTY / name).read_bytes())
    assert set(expected["defects"]) <= set(message.defects)
    # parsed or quarantined: readable text, or defects that say why not
    assert message.text.strip() or message.subject.strip() or message.defects
    assert "\r" not in message.subject
    assert "\n" not in message.subject
    assert "\r" not in message.from_.name
    assert "\n" not in message.from_.name
    action = _check_outcome(message, model, settings)
    assert action.value in expected["outcomes"], (action, message.defects)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_big_mail_completes_and_caps_escalate(
    name: str, settings: Settings, model: IntentModel
) -> None:
    build, defects = GENERATED[name]
    message = parse_email(build())
    assert set(defects) <= set(message.defects)
    action = _check_outcome(message, model, settings)
    if defects:
        assert action is not Action.AUTO_REPLY


def test_the_40mb_mail_keeps_its_question_and_its_attachment() -> None:
    message = parse_email(big_mail(40))
    assert "where is my order" in message.text
    assert [a.filename for a in message.attachments] == ["scan.pdf"]
    assert message.attachments[0].size > 29 * 1024 * 1024


def test_caps_are_what_the_generated_cases_exceed() -> None:
    assert MAX_DEPTH < 50
    assert MAX_PARTS < 1000


# --- CR/LF injection (P3) --------------------------------------------------------------------------------

CRLF_CASES = (
    "crlf_in_encoded_subject_q.eml",
    "crlf_in_encoded_subject_b.eml",
    "crlf_in_encoded_from_name.eml",
    "crlf_in_message_id_encoded.eml",
)


@pytest.mark.parametrize("name", CRLF_CASES)
def test_a_reply_to_a_crlf_trap_has_no_injected_header(name: str, settings: Settings) -> None:
    message = parse_email((NASTY / name).read_bytes())
    content = reply_content(message, "Thanks, we are on it.")
    mime = compose_mime(
        content,
        from_address=settings.reply_from_address,
        from_name=settings.reply_from_name,
        loop_token=settings.loop_token,
    )
    data = mime.as_bytes()
    back = message_from_bytes(data, policy=policy.default)
    assert back["Bcc"] is None
    assert back["X-Injected"] is None
    assert not any(line.lower().startswith((b"bcc:", b"x-injected:")) for line in data.splitlines())
    assert [a.lower() for a in content.to] in (["ana@example.com"], [])
    assert "\n" not in str(back["Subject"])
    assert "\r" not in str(back["Subject"])


# --- the parser fixes, one by one ------------------------------------------------------------------------


def _load(name: str) -> InboundMessage:
    return parse_email((NASTY / name).read_bytes())


def test_bad_base64_in_a_body_is_a_defect() -> None:
    assert any(d.startswith("invalid_base64") for d in _load("base64_with_garbage.eml").defects)


def test_an_encoded_word_in_an_unknown_charset_is_unknown_charset() -> None:
    message = _load("encoded_word_unknown_charset.eml")
    assert "unknown_charset" in message.defects
    assert "undecodable_header" in _load("encoded_word_bad_base64.eml").defects


def test_latin1_label_reads_windows_1252() -> None:
    message = _load("windows_1252_labelled_latin1.eml")
    assert "€" in message.text
    assert "“where”" in message.text
    assert "charset_mismatch" in _load("invalid_utf8_declared_utf8.eml").defects


def test_an_encoded_display_name_cannot_smuggle_a_reply_address() -> None:
    message = _load("crlf_in_encoded_from_name.eml")
    assert message.from_.address == "ana@example.com"
    assert "unparsable_address:from" in message.defects


def test_bidi_and_zero_width_characters_are_stripped() -> None:
    message = _load("bidi_override_subject.eml")
    assert message.subject == "Invoice fdp.exe"
    assert "bidi_control" in message.defects
    assert _load("zero_width_chars_subject.eml").subject.startswith("Where is my")
    assert "\u200d" in _load("emoji_subject_and_body.eml").subject  # ZWJ in emoji sequences stays


def test_duplicate_from_and_subject_are_defects() -> None:
    message = _load("duplicate_from_and_subject.eml")
    assert {"duplicate_header:from", "duplicate_header:subject"} <= set(message.defects)
