"""Build ``labelled.csv``: a labelled replay set for ``triage replay`` (standard library only, deterministic).

    python events/replay/build.py [--data ../shared/data] [--out events/replay/labelled.csv]

Sources (see README.md): (a) Bitext customer-support rows of the 2023-08-18 sample that are not in the 27K file the
model was trained on, many wrapped as emails; (b) Bitext routine requests joined with an angry, annoyed or
disappointed GoEmotions comment; (c) messages from templates written here (closing, out of office, job application,
sales pitch, spam); (d) the text of ``events/email/*.eml`` fixtures whose label is obvious.
The same inputs give the same bytes: one seeded ``random.Random``, sorted inputs, ``\\n`` line ends.
"""

from __future__ import annotations

import argparse
import csv
import email
import io
import random
import re
import sys
from email import policy
from pathlib import Path

SEED = 20261127
REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
BITEXT_SAMPLE = "bitext_customer_support/Bitext_Sample_Customer_Support_Training_Dataset.v2023-08-18.csv"
BITEXT_27K = "bitext_customer_support/bitext_27k_v11_instruction_intent.csv"
GOEMOTIONS = ("goemotions/original/train.tsv", "goemotions/original/dev.tsv", "goemotions/original/test.tsv")
COLUMNS = ("id", "subject", "text", "sender", "segment", "intent", "outcome", "source")

ROUTINE_INTENTS = frozenset(
    {
        "track_order", "delivery_options", "delivery_period", "recover_password", "check_payment_methods",
        "check_refund_policy", "check_cancellation_fee", "get_invoice", "check_invoice", "create_account",
        "set_up_shipping_address", "newsletter_subscription",
    }
)
PER_INTENT = 6  # (a): Bitext rows per intent (27 intents)
NEGATIVE_ROWS = 40  # (b)
# GoEmotions label ids (original/labels.txt): anger 2, annoyance 3, disappointment 9.
NEGATIVE_LABELS = {"2": "anger", "3": "annoyance", "9": "disappointment"}
# Weights for generated senders; templates for job/sales/spam and most fixtures are retail, so the set ends near
# the target mix (retail ~65%, b2b ~20%, healthcare ~10%, vip ~5%).
SEGMENTS = (("retail", 56), ("b2b", 23), ("healthcare", 14), ("vip", 7))

FIRST = (
    "Priya", "Tom", "Aisha", "Lukas", "Mei", "Carlos", "Hannah", "Kofi", "Sara", "Jonas", "Elena", "Rahul", "Grace",
    "Mateo", "Yuki", "Fatima", "Oliver", "Ines", "Daniel", "Nora", "Samir", "Chloe", "Ivan", "Leila", "Ben", "Ana",
    "Tariq", "Emma", "Pavel", "Zoe", "Kwame", "Lena", "Marco", "Ruth", "Hugo", "Amara",
)
LAST = (
    "Raman", "Fischer", "Okafor", "Nowak", "Chen", "Silva", "Brooks", "Mensah", "Lind", "Weber", "Rossi", "Gupta",
    "Walsh", "Ortega", "Tanaka", "Haddad", "Price", "Moreau", "Becker", "Kaur", "Novak", "Dubois", "Petrov", "Amini",
    "Hart", "Costa", "Aziz", "Clarke", "Horak", "Evans", "Boateng", "Vogel", "Greco", "Adler", "Laurent", "Eze",
)
COMPANIES = ("acme", "globex", "initech", "umbrella-supplies", "northwind", "brightline", "tallis-hotels", "contoso")
CLINICS = ("northside-clinic", "meridian-health", "hartley-dental", "riverview-care")
GREETINGS = ("Hello,", "Hi,", "Hi there,", "Good morning,", "Dear support team,", "Hello support,", "Hi team,")
SIGN_OFFS = ("Thanks,", "Thank you,", "Best regards,", "Kind regards,", "Cheers,", "Many thanks,", "Regards,")
# A second sentence a customer might add, per intent (written for this set).
CONTEXT = {
    "track_order": ("I haven't had any update since it was confirmed.", "I'd like to know when to be at home."),
    "delivery_options": ("I live in a flat without a concierge.", "It's a gift, so timing matters."),
    "delivery_period": ("I need it before the end of the month.", "I'm going away on the 20th."),
    "recover_password": ("I've tried twice and nothing arrives.", "I use the same email as always."),
    "check_payment_methods": ("I don't have a credit card.", "I'd like to order today if possible."),
    "check_refund_policy": ("I haven't decided yet whether to send it back.", "It was a present for my sister."),
    "check_cancellation_fee": ("I signed up in the spring.", "I'm thinking about switching plans."),
    "get_invoice": ("It's for my expense report.", "Our accounts team needs it this week."),
    "check_invoice": ("I can't find it in my account.", "I want to double-check the amounts."),
    "create_account": ("I've only ever ordered as a guest.", "My partner already has one."),
    "set_up_shipping_address": ("We are moving next month.", "It's for my office address."),
    "newsletter_subscription": ("I'd like to hear about sales.", "I think I signed up twice by mistake."),
}
PLACEHOLDERS = {
    "Order Number": "A-48812", "Order Number Anonymized": "A-48812", "Invoice Number": "INV-30417",
    "Website Name": "our website", "Customer Support Phone Number": "the support line",
    "Customer Support Email": "support@example.com", "Live Chat": "live chat", "Order History": "order history",
    "Order Details": "order details", "Account Settings": "account settings", "Billing": "billing",
}
# GoEmotions comments (Reddit) picked by hand, by comment id, from rows with exactly one label among anger,
# annoyance and disappointment: short remarks that read naturally in a support email. Most of the corpus is about
# sport, politics and people, and a keyword filter let through comments that have no place in a support set.
NEGATIVE_IDS = (
    "ef9qvlv", "eeka82u", "eeoc28q", "edrux4n", "edctwfb", "eeks080", "efgv5zy", "eczfs6b", "ed4i059", "eeraemy",
    "efga37k", "ee6gib3", "ed49hla", "edo5jhs", "eeqtzy0", "edr0ka3", "ef1badx", "efe4mjo", "eeuddja",
)


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


def sentence(text: str) -> str:
    text = " ".join(text.split())
    for name, value in PLACEHOLDERS.items():
        text = text.replace("{{" + name + "}}", value)
    text = re.sub(r"\{\{[^}]*\}\}", "it", text)
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".?!" else text + ("?" if re.match(r"(?i)(how|what|where|when|can|could|is|do|does|i want to know|which|why)\b", text) else ".")


def pick_segment(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for segment, share in SEGMENTS:
        if roll < share:
            return segment
        roll -= share
    return "retail"


def make_sender(rng: random.Random, segment: str) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(3)
    local = (f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last[0]}{rng.randrange(10, 99)}")[style].lower()
    if segment == "b2b":
        domain = f"{rng.choice(COMPANIES)}.example.net"
    elif segment == "healthcare":
        domain = f"{rng.choice(CLINICS)}.example.org"
    else:
        domain = rng.choice(("example.org", "example.net"))
    return first, f"{local}@{domain}"


INTENT_SUBJECT = {
    "cancel_order": "Cancel my order", "change_order": "Change to my order", "change_shipping_address": "Change of address",
    "check_cancellation_fee": "Cancellation fee", "check_invoice": "Invoice question", "check_payment_methods": "Payment methods",
    "check_refund_policy": "Refund policy", "complaint": "Complaint", "contact_customer_service": "Contacting customer service",
    "contact_human_agent": "Speak to someone", "create_account": "New account", "delete_account": "Close my account",
    "delivery_options": "Delivery options", "delivery_period": "Delivery time", "edit_account": "Update my account",
    "get_invoice": "Invoice request", "get_refund": "Refund", "newsletter_subscription": "Newsletter",
    "payment_issue": "Payment problem", "place_order": "New order", "recover_password": "Password reset",
    "registration_problems": "Can't register", "review": "Feedback", "set_up_shipping_address": "Shipping address",
    "switch_account": "Switch account", "track_order": "Where is my order?", "track_refund": "Refund status",
}


def subject_from(request: str, intent: str) -> str:
    """The request itself when it is short, else a short subject for its intent."""
    words = re.sub(r"[?.!]+$", "", request).split()
    if len(words) <= 9:
        subject = " ".join(words)
        return subject[:1].upper() + subject[1:]
    return INTENT_SUBJECT.get(intent, "Question")


def as_email(rng: random.Random, request: str, intent: str, first: str, extra: str = "") -> tuple[str, str]:
    """Wrap a one-line request as an email most of the time; sometimes leave it bare (chat-like)."""
    request = sentence(request)
    shape = rng.randrange(10)
    if shape < 3:
        return ("", request + (" " + extra if extra else ""))
    parts = [rng.choice(GREETINGS), ""]
    body = request
    if intent in CONTEXT and rng.random() < 0.5:
        body += " " + rng.choice(CONTEXT[intent])
    if extra:
        body += " " + extra
    parts += [body, "", rng.choice(SIGN_OFFS), first]
    subject = subject_from(request, intent) if shape < 8 else ""
    return subject, "\n".join(parts)


def read_bitext(data: Path) -> tuple[list[dict[str, str]], dict[str, int]]:
    with open(data / BITEXT_27K, newline="", encoding="utf-8") as handle:
        trained = [row["text"] for row in csv.DictReader(handle)]
    seen = {norm(text) for text in trained}
    exact = set(trained)
    with open(data / BITEXT_SAMPLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    novel = [row for row in rows if norm(row["instruction"]) not in seen]
    stats = {
        "sample_rows": len(rows),
        "normalised_overlap": len(rows) - len(novel),
        "exact_overlap": sum(row["instruction"] in exact for row in rows),
        "novel": len(novel),
    }
    # Duplicates inside the sample itself are dropped too.
    unique: dict[str, dict[str, str]] = {}
    for row in novel:
        unique.setdefault(norm(row["instruction"]), row)
    return sorted(unique.values(), key=lambda row: (row["intent"], norm(row["instruction"]))), stats


def read_negative_comments(data: Path) -> list[tuple[str, str]]:
    """The hand-picked comments as (text, emotion), in NEGATIVE_IDS order."""
    found: dict[str, tuple[str, str]] = {}
    for name in GOEMOTIONS:
        with open(data / name, encoding="utf-8") as handle:
            for line in handle:
                text, labels, comment_id = line.rstrip("\n").split("\t")
                if comment_id in NEGATIVE_IDS and labels in NEGATIVE_LABELS:
                    found[comment_id] = (sentence(text), NEGATIVE_LABELS[labels])
    missing = [comment_id for comment_id in NEGATIVE_IDS if comment_id not in found]
    if missing:
        raise SystemExit(f"GoEmotions comments not found with a single negative label: {missing}")
    return [found[comment_id] for comment_id in NEGATIVE_IDS]


CLOSING = (
    ("Re: Your order update", "Thanks, that's all I needed!"),
    ("Re: Password reset", "Got it working, thank you."),
    ("Re: Invoice for order 55120", "Perfect, received. Thanks a lot."),
    ("Re: Delivery question", "ok thanks"),
    ("Re: Refund status", "Great news, thank you for sorting it out so quickly."),
    ("Re: Account access", "All sorted now, you can close this."),
    ("", "Thank you!!"),
    ("Re: Missing item", "It turned up today after all. Thanks anyway."),
)
OUT_OF_OFFICE = (
    ("Out of office", "I'm out of the office until {date} and will reply when I'm back."),
    ("Away until {date}", "Thanks for your email. I am on annual leave until {date} with limited access to email."),
    ("Absence", "I am currently away from the office until {date}. For urgent matters please call reception."),
    ("Re: your message", "I'm on holiday until {date} and not checking email. Your message has not been forwarded."),
    ("Out of office: back {date}", "Hello, I'm attending a conference and will be back on {date}."),
    ("Out of office", "I am on parental leave until {date}. Please contact my colleague for anything urgent."),
)
DATES = ("Monday 12 January", "19 January", "the 26th", "2 February", "Friday 9 January", "next Tuesday")
JOBS = (
    ("Application: warehouse assistant", "I would like to apply for the warehouse assistant role advertised on your website. My CV is attached."),
    ("Internship enquiry", "I'm a marketing student looking for a summer internship and wondered if you have any openings. I've attached my CV."),
    ("Job application - customer service", "Please find attached my CV and cover letter for the customer service advisor vacancy."),
    ("Open application", "Do you have any vacancies for delivery drivers? I have a clean licence and five years of experience."),
    ("Developer position", "I'm writing to apply for the backend developer job. I have attached my resume and a link to my projects."),
)
PITCHES = (
    ("Grow your online store", "We help web shops like yours rank on the first page of Google. Can I send you a free audit?"),
    ("Partnership opportunity", "We're a logistics start-up offering next-day delivery at 30% less. Could we book a quick call this week?"),
    ("Guest post on your blog", "I'd love to write a sponsored post for your blog with a couple of backlinks. What are your rates?"),
    ("Outsource your support", "Our team answers customer emails 24/7 from 2 dollars per ticket. Interested in a free trial?"),
    ("New website design", "Your website looks a little dated. Our agency offers web design services at a special price this month."),
)
SPAM = (
    ("You have won!", "Congratulations, your email won our lottery. Claim your prize of 500,000 by sending your bank details."),
    ("Crypto investment opportunity", "Double your money in 7 days with our guaranteed bitcoin trading bot. Limited places!"),
    ("Urgent: inheritance", "I am contacting you about an inheritance of 4.2 million dollars from a relative. Reply with your details."),
    ("Work from home", "Work from home and earn 500 a day with no experience. Click to join now."),
    ("Casino bonus", "Your casino bonus of 200 free spins is waiting. Sign up today, offer ends tonight."),
    ("Re: payment", "Dear friend, guaranteed returns of 40% per month on your crypto investment. Contact my manager."),
)

# (d) events/email fixtures whose label is obvious: file stem -> (intent, outcome).
FIXTURE_LABELS = {
    "routine_order_tracking": ("track_order", "routine"),
    "password_reset": ("recover_password", "routine"),
    "delivery_options": ("delivery_options", "routine"),
    "invoice_request": ("get_invoice", "routine"),
    "encoded_word_subject": ("delivery_period", "routine"),
    "non_english_spanish": ("track_order", "routine"),
    "angry_refund_demand": ("get_refund", "human"),
    "human_agent_request": ("contact_human_agent", "human"),
    "spanish_human_request": ("contact_human_agent", "human"),
    "german_human_request": ("contact_human_agent", "human"),
    "french_human_request": ("contact_human_agent", "human"),
    "html_only": ("change_shipping_address", "human"),
    "multipart_with_attachment": ("complaint", "human"),
    "out_of_office_autoreply": ("out_of_office", "no_reply"),
    "ooo_content_only": ("out_of_office", "no_reply"),
    "closing_thanks": ("closing", "no_reply"),
    "closing_ok_short": ("closing", "no_reply"),
    "job_application": ("out_of_scope", "human"),
    "sales_pitch": ("out_of_scope", "human"),
    "spam_plain": ("spam", "no_reply"),
    "legal_threat": ("complaint", "human"),
    "chargeback_dispute": ("payment_issue", "human"),
    "safety_injury": ("complaint", "human"),
    "bereavement": ("delete_account", "human"),
    "gdpr_erasure": ("delete_account", "human"),
    "refund_after_failure": ("get_refund", "human"),
    "mixed_request": ("change_shipping_address", "human"),
}
_QUOTE_HEADER = re.compile(r"^(On .+wrote:|-----Original Message-----|From: .+)$")


def fixture_text(path: Path) -> tuple[str, str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S | re.I)
        text = re.sub(r"<br\s*/?>|</p>|</div>|</tr>", "\n", text, flags=re.I)
        text = re.sub(r"<[^>]+>", " ", text)
        text = re.sub(r"&nbsp;", " ", text)
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").splitlines():
        if line.startswith(">") or _QUOTE_HEADER.match(line.strip()) or line.strip() == "--":
            break
        kept.append(line.rstrip())
    clean = "\n".join(kept).strip()
    clean = re.sub(r"[ \t]+", " ", re.sub(r"\n{3,}", "\n\n", clean))
    sender = message["from"].addresses[0].addr_spec.lower() if message["from"] else ""
    return str(message["subject"] or ""), clean, sender


def fixture_segment(sender: str) -> str:
    domain = sender.rpartition("@")[2]
    if domain in ("example.org", "example.net"):
        return "retail"
    return "healthcare" if any(word in domain for word in ("clinic", "dental", "health")) else "b2b"


def build(data: Path) -> tuple[list[dict[str, str]], dict[str, int]]:
    rng = random.Random(SEED)
    bitext, stats = read_bitext(data)
    by_intent: dict[str, list[dict[str, str]]] = {}
    for row in bitext:
        by_intent.setdefault(row["intent"], []).append(row)
    rows: list[dict[str, str]] = []

    def add(subject: str, text: str, sender: str, segment: str, intent: str, outcome: str, source: str) -> None:
        rows.append(
            {"subject": subject, "text": text, "sender": sender, "segment": segment, "intent": intent,
             "outcome": outcome, "source": source}
        )

    # (a) Bitext rows not seen in training, PER_INTENT per intent.
    reserve: list[dict[str, str]] = []
    for intent in sorted(by_intent):
        pool = list(by_intent[intent])
        rng.shuffle(pool)
        for row in pool[:PER_INTENT]:
            segment = pick_segment(rng)
            first, sender = make_sender(rng, segment)
            subject, text = as_email(rng, row["instruction"], intent, first)
            outcome = "routine" if intent in ROUTINE_INTENTS else "human"
            add(subject, text, sender, segment, intent, outcome, "bitext_unseen")
        if intent in ROUTINE_INTENTS:
            reserve += pool[PER_INTENT : PER_INTENT + 6]

    # (b) a routine request plus a negative GoEmotions comment: a person should answer.
    comments = read_negative_comments(data)
    rng.shuffle(reserve)
    rng.shuffle(comments)
    chosen = [comments[index % len(comments)] for index in range(NEGATIVE_ROWS)]  # each used twice or thrice
    for row, (comment, _emotion) in zip(reserve[:NEGATIVE_ROWS], chosen, strict=True):
        segment = pick_segment(rng)
        first, sender = make_sender(rng, segment)
        if rng.random() < 0.5:
            subject, text = as_email(rng, row["instruction"], row["intent"], first, extra=comment)
        else:  # the complaint first, then the request
            subject, text = as_email(rng, comment + " " + sentence(row["instruction"]), row["intent"], first)
        add(subject, text, sender, segment, row["intent"], "human", "bitext_unseen+goemotions")

    # (c) template messages.
    for subject, text in CLOSING:
        segment = pick_segment(rng)
        first, sender = make_sender(rng, segment)
        add(subject, f"{text}\n{first}", sender, segment, "closing", "no_reply", "template")
    for subject, text in OUT_OF_OFFICE:
        segment = pick_segment(rng)
        first, sender = make_sender(rng, segment)
        date = rng.choice(DATES)
        add(subject.format(date=date), f"{text.format(date=date)}\n\n{first}", sender, segment, "out_of_office",
            "no_reply", "template")
    for subject, text in JOBS:
        first, sender = make_sender(rng, "retail")
        add(subject, f"Dear hiring team,\n\n{text}\n\nKind regards,\n{first}", sender, "retail", "out_of_scope",
            "human", "template")
    for subject, text in PITCHES:
        first, sender = make_sender(rng, "b2b")
        add(subject, f"Hi there,\n\n{text}\n\nBest,\n{first}", sender, "retail", "out_of_scope", "human", "template")
    for subject, text in SPAM:
        first, sender = make_sender(rng, "retail")
        add(subject, text, sender, "retail", "spam", "no_reply", "template")

    # (d) our own fixtures.
    for stem, (intent, outcome) in sorted(FIXTURE_LABELS.items()):
        path = REPO / "events" / "email" / f"{stem}.eml"
        subject, text, sender = fixture_text(path)
        add(subject, text, sender, fixture_segment(sender), intent, outcome, f"fixture:{stem}.eml")

    rng.shuffle(rows)
    for number, row in enumerate(rows, 1):
        row["id"] = f"r{number:04d}"
    stats["goemotions_candidates"] = len(comments)
    return rows, stats


def to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with bitext_customer_support/ and goemotions/")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "labelled.csv")
    args = parser.parse_args(argv)
    rows, stats = build(args.data)
    args.out.write_text(to_csv(rows), encoding="utf-8", newline="")
    print(f"{len(rows)} rows -> {args.out}", file=sys.stderr)
    print(" ".join(f"{key}={value}" for key, value in stats.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
