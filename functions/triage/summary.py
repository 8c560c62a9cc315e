"""The summary an agent reads before answering: what the customer wants, what already happened, what they expect.

Two backends sit behind :class:`Summariser`:

- :class:`ExtractiveSummariser` (the default) is deterministic: the same input gives the same summary. It only
  quotes or shortens the customer's own words and frames them with facts we hold (dates, intents, our decisions);
  it never invents.
- :class:`BedrockSummariser` (optional, off by default) asks a model on Amazon Bedrock (Converse API) to write the
  prose fields (wants, happened, expects, key points). Facts (entities, emotion, history, reason, draft) always come
  from the extractive pass, and any error or out-of-bounds answer falls back to the extractive summary.

Every field is bounded (key points ≤ :data:`KEY_POINTS_MAX_WORDS` words in total) so the escalation message stays
small, and e-mail addresses, phone numbers, street addresses and card/IBAN numbers are masked before anything is
quoted (:func:`mask_addresses`). Nothing here logs message text.

:func:`summarise` is the first, key-points-only summary, kept for callers that have not moved to
:class:`AgentSummary` yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triage import regex_code
from triage.cues import compile_skipping, negative_cues
from triage.emotion import NEUTRAL, EmotionReading
from triage.entities import Entities, extract_entities
from triage.observability import logger
from triage.urgency import MONTH_NAMES, WEEKDAY_NAMES

MAX_KEY_POINTS = 3
MAX_WORDS = 60

# Bounds of the agent summary.
KEY_POINTS_MAX_WORDS = 100
KEY_POINTS_MAX = 4
KEY_POINT_MAX_WORDS = 45
WANTS_MAX_WORDS = 40
EXPECTS_MAX_WORDS = 35
HAPPENED_MAX = 8
HAPPENED_ENTRY_MAX_WORDS = 36
GIST_MAX_WORDS = 18
SHORT_SENTENCE_WORDS = 6
EMOTION_MAX_CUES = 4
REASON_MAX_CHARS = 400
DRAFT_MAX_CHARS = 2000
PRODUCTS_MAX = 5
DRAFT_MARK = "[DRAFT – edit before sending]"
SENT_MARK = "[ALREADY SENT – our automatic reply in this thread; do not send it again]"

# Where a sentence ends: white space after . ! or ?, or a line break. Searched from those four characters alone (a
# pattern led by a look-behind is tried at every character, several times slower); ``_sentence_split`` keeps the mark.
_SENTENCE_END = compile_skipping(r"[.!?]\s+|\n+")


def _sentence_split(text: str) -> list[str]:
    """``re.split(r"(?<=[.!?])\\s+|\\n+", text)``: the pieces between sentence ends, each keeping its . ! or ?."""
    parts: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        cut = end.start()
        parts.append(text[start : cut + (text[cut] != "\n")])
        start = end.end()
    parts.append(text[start:])
    return parts


_GREETING_OR_CLOSING = regex_code.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks?|thank you|many thanks|best|regards|kind regards|"
    r"cheers|sincerely|hola|buenos días|gracias|saludos|hallo|guten tag|danke|bonjour|merci|cordialement)\b[^.?!]{0,40}$",
    re.IGNORECASE,
)
_LEADING_GREETING = regex_code.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^,!.]{0,25}[,!]\s*", re.I
)
_REQUEST = regex_code.compile(
    r"\?|\b(please|could you|can you|would you|i want|i need|i'd like|i would like|when|where|how|why|"
    r"refund|cancel|help|urgent|asap|still|never|not received|broken|damaged|wrong)\b",
    re.IGNORECASE,
)
# A message that only thanks or says the matter is settled.
_CLOSING = regex_code.compile(
    r"\b(thanks?|thank you|cheers|that (worked|did it|helped)|works (now|again)|all (good|sorted|set)|sorted|"
    r"solved|resolved|fixed|you can close|no longer need|never mind|gracias|danke|merci)\b",
    re.IGNORECASE,
)

_THANKS_FOR_HELP = regex_code.compile(
    r"\bthanks?( you)? (so much |very much )?for (all )?(your|the) help\b", re.IGNORECASE
)


# --- masking --------------------------------------------------------------------------------------------------

_EMAIL = regex_code.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = regex_code.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# 13-19 digits, grouped by spaces, dashes or dots ("4111 1111 1111 1111", "5500.0000.0000.0004").
_CARD = regex_code.compile(r"(?<![\w-])\d(?:[ .-]?\d){12,18}(?![\w-])")
_PHONE = regex_code.compile(r"(?<![\w.,/-])(?:\+|\b00)?\(?\d[\d ().-]{4,18}\d(?![\w-])")
_PHONE_CUE = regex_code.compile(
    r"\b(phone|tel|telephone|mobile|cell|call me|text me|whatsapp|móvil|teléfono|handy)\W{0,12}$", re.I
)
_ORDER_CUE = regex_code.compile(
    r"(\b(order|invoice|ticket|case|pedido|bestellung|commande|tracking|reference|ref)\b[\w .:#-]{0,12}|#\s?)$",
    re.I,
)
_DATE_LIKE = regex_code.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
_STREET_WORDS = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq|Terrace|Close|"
    "Crescent|Highway|Hwy|Parkway|Row|Gardens|Mews"
)
_NOT_A_STREET_NAME = r"(?!(?i:the|a|an|on|in|to|down|up|of|my|your|for|and|at|from|by|with|per|more|other)\b)"
# Case matters in English: "221B Baker Street" is an address, "2 days on the road" is not.
_STREETS = (
    # 221B Baker Street, 4 Mill Ct.
    regex_code.compile(
        rf"\b\d{{1,5}}[A-Za-z]?,?[ \t]+(?:[A-Z][\w'’.-]*[ \t]+){{1,3}}(?:{_STREET_WORDS})\b\.?"
    ),
    # 12 elm road (lower case: only the unmistakable street words, at most two name words)
    regex_code.compile(
        rf"\b\d{{1,5}}[a-z]?,?[ \t]+(?:{_NOT_A_STREET_NAME}[a-z][\w'’-]*[ \t]+){{1,2}}(?:street|road|avenue|boulevard)\b"
    ),
    # Hauptstraße 5, Lindenweg 12a
    regex_code.compile(
        r"\b[\wäöüßÄÖÜ-]*(?i:straße|strasse|str\.|weg|gasse|allee|platz)[ \t]+\d{1,4}[a-z]?\b"
    ),
    # Calle Mayor 7, Avenida de la Paz 12
    regex_code.compile(
        r"(?i:\b(?:calle|c/|avenida|avda\.?|plaza|paseo|carrer|camino))[ \t]+(?:[\w'’.-]+[ \t]+){0,4}?\d{1,4}\b"
    ),
    # 12 rue de la Paix, 3 bis avenue Foch
    regex_code.compile(
        r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|quai|place)"
        r"(?:[ \t]+(?:d['’]|de|du|des|la|le|les))*[ \t]*[A-Z][\w'’-]*(?:[ -][A-Z][\w'’-]*){0,2}"
    ),
)


def _luhn(digits: str) -> bool:
    """The payment-card check digit holds (ISO/IEC 7812): true for every real card number."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card_or_keep(text: str, match: re.Match[str]) -> str:
    """A card number is masked whatever precedes it ("order 5512 paid with 4111 …" names the order, not the
    card); a long digit run that fails the card check stays readable only after an order word."""
    found = match.group(0)
    if _luhn("".join(char for char in found if char.isdigit())):
        return "[number]"
    return found if _ORDER_CUE.search(text[max(0, match.start() - 40) : match.start()]) else "[number]"


def _phone_or_keep(text: str, match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(char.isdigit() for char in found)
    before = text[max(0, match.start() - 40) : match.start()]
    if _DATE_LIKE.search(found):
        return found
    # "ticket 99, call me 020 7946 0958": the phone word right before the number wins over an earlier order word.
    if _PHONE_CUE.search(before) and digits >= 6:
        return "[phone]"
    if _ORDER_CUE.search(before):
        return found
    international = found.startswith(("+", "00"))
    separated = bool(re.search(r"\d[ ().-]+\d", found))
    if (
        (international and 8 <= digits <= 15)
        or (separated and 9 <= digits <= 15)
        or (not separated and 10 <= digits <= 12)
    ):
        return "[phone]"
    return found


def mask_addresses(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers, street addresses and card/IBAN-like numbers replaced.

    E-mail → ``[email]``, phone → ``[phone]``, street address → ``[address]``, IBAN or card-like digit run →
    ``[number]``. A digit run that passes the card check (Luhn) is masked wherever it stands; other digits written
    after an order word (``order #``, ``invoice``, ``ticket``…) and dates are kept.
    Errs on the side of masking: a false ``[address]`` costs the agent a glance, a leaked one costs privacy.
    """
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub("[number]", text)
    text = _CARD.sub(lambda m: _card_or_keep(text, m), text)
    for street in _STREETS:
        text = street.sub("[address]", text)
    return _PHONE.sub(lambda m: _phone_or_keep(text, m), text)


# --- the thread and its summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One earlier message of the thread, oldest first."""

    role: Literal["customer", "auto_reply", "agent"]
    at: datetime
    text: str  # what was written (already quote-stripped)
    intent: str | None = None
    decision: str | None = None  # "auto_reply" | "escalate" | "no_reply" for customer turns


@dataclass(frozen=True)
class CustomerHistory:
    contacts_30d: int = 0
    last_outcome: str | None = None  # e.g. "auto_reply: track_order, 2026-11-20"
    auto_replies_30d: int = 0
    came_back_after_auto_reply: bool = False


@dataclass(frozen=True)
class SummaryInput:
    subject: str
    text: str  # the current message (quote-stripped)
    turns: tuple[Turn, ...] = ()
    history: CustomerHistory = field(default_factory=CustomerHistory)
    intent: str | None = None
    runner_up: str | None = None  # a second reading close to ``intent`` (see ``close_second``), or None
    emotion: EmotionReading | None = None
    reason: str = ""  # the plain-words reason the AI stepped aside (a REASON_TEXT value)
    draft: str | None = None  # the would-be reply (a template fill), or None
    already_sent: str | None = None  # the automatic reply the customer already got in this thread, or None


class AgentEntities(Entities):
    """:class:`triage.entities.Entities` plus the products the customer names (from masked text)."""

    product_names: tuple[str, ...] = ()


class AgentSummary(BaseModel):
    """What an agent reads on the escalation: complete on its own, bounded, addresses masked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wants: str
    happened: tuple[str, ...] = ()
    expects: str | None = None
    key_points: tuple[str, ...] = ()
    emotion: str | None = None
    entities: AgentEntities = AgentEntities()
    history: str = ""
    reason: str = ""
    draft: str | None = Field(None, description=f"Starts with {DRAFT_MARK!r}; never sent as is.")
    already_sent: str | None = Field(
        None,
        description=f"Starts with {SENT_MARK!r}: the automatic reply the customer already got; not a draft.",
    )
    backend: Literal["extractive", "bedrock"] = "extractive"


class Summariser(Protocol):
    def summarise(self, item: SummaryInput) -> AgentSummary: ...


# --- text helpers ---------------------------------------------------------------------------------------------


# A line break inside a paragraph is the sender's client wrapping at ~72 columns, not the end of a sentence; a
# line that starts a list item, or follows a line ending in ':' or punctuation, stays a break.
_WRAP_STOPS = frozenset(".!?:;")
_ITEM_MARKS = frozenset("-*•>")


def _unwrapped(text: str) -> str:
    """Each line break inside a paragraph, with the blanks before it, made one space: ``re.sub(r"(?<=[^\\s.!?:;])
    [ \\t]*\\n(?=[ \\t]*[^\\s\\-*•>\\d])", " ", text)``, read line by line (the pattern, led by a look-behind, is
    tried at every character)."""
    lines = text.split("\n")
    joined = [lines[0]]
    for line in lines[1:]:
        before = joined[-1].rstrip(" \t")
        after = line.lstrip(" \t")
        if (
            before
            and not before[-1].isspace()
            and before[-1] not in _WRAP_STOPS
            and after
            and not after[0].isspace()
            and after[0] not in _ITEM_MARKS
            and not after[0].isdecimal()
        ):
            joined[-1] = f"{before} {line}"
        else:
            joined.append(line)
    return "\n".join(joined)


# A sentence that says nothing but "is anyone there": "Hello??", "Hi!", "Anyone?".
_CONTENT_FREE = regex_code.compile(
    r"^(?:(?:hi|hello+|hey|hallo|hola|bonjour|anyone|anybody|someone|hello there|hi there)\b[\s,]*)+"
    r"(?:there|again|team|all)?[\s?!.,]*$",
    re.IGNORECASE,
)
# A quote's attribution line the quote reader left behind ("On Thu wrote:"): not the customer's words.
_ATTRIBUTION = regex_code.compile(
    r"^(?:on|am|le|el)\b.{0,120}\b(?:wrote|schrieb|a écrit|escribió)\s?:$", re.IGNORECASE
)
_PARAGRAPH = regex_code.compile(r"\n[ \t]*\n")
# "Jane", "Priya Raman", "J. Smith", "Mary-Jane O'Neil": capitalised words only, no digits, no punctuation at the end.
_NAME_LINE = regex_code.compile(r"^[ \t]*(?:[A-ZÀ-Þ][\w'’.-]*[ \t]+){0,3}[A-ZÀ-Þ][\w'’-]*[ \t]*$")
SIGNATURE_MAX_LINES = 6


def _without_sign_off(text: str) -> str:
    """``text`` without a last paragraph that is the sender's name and signature ("Jane", or "Priya Raman /
    Senior Analyst / Mobile: …"): a short paragraph that opens with a name line and asks nothing. The first
    paragraph always stays."""
    paragraphs = _PARAGRAPH.split(text.strip())
    if len(paragraphs) < 2:
        return text
    last = [line for line in paragraphs[-1].splitlines() if line.strip()]
    name = last[0] if last else ""
    if (
        len(last) <= SIGNATURE_MAX_LINES
        and _NAME_LINE.match(name)
        and not any(char.isdigit() for char in name)
        and not any(word.isupper() and len(word) > 1 for word in name.split())
        and not _REQUEST.search(name)
        and not negative_cues(name)
    ):
        return "\n\n".join(paragraphs[:-1])
    return text


def request_sentences(text: str) -> list[str]:
    """The sentences of what a customer wrote, without greeting, sign-off, signature or a quote's attribution line."""
    parts = (" ".join(part.split()) for part in _sentence_split(_unwrapped(_without_sign_off(text))))
    kept = (part for part in parts if len(part) > 2 and not _GREETING_OR_CLOSING.match(part))
    greeted = (_LEADING_GREETING.sub("", part) for part in kept)
    return [
        part for part in greeted if part and not _CONTENT_FREE.match(part) and not _ATTRIBUTION.match(part)
    ]


# A sentence that asks: a question, or one that opens as a request does ("Could you …", "I'd like …", "When …"), not
# an exclamation ("What a week it has been").
_ASKING = regex_code.compile(
    r"\?|^(could|can|would|will|please|i['’]?d\s+like|i\s+would\s+like|i\s+need|i\s+want|how|what(?!\s+an?\b)|when|where"
    r"|is\s+there|do\s+you|does)\b",
    re.IGNORECASE,
)


def asks(sentence: str) -> bool:
    """``sentence`` (one of ``request_sentences``) asks something: what a chatty mail wants, not its small talk."""
    return _ASKING.search(sentence) is not None


def _clip(sentence: str, words_left: int) -> str:
    words = sentence.split()
    return sentence if len(words) <= words_left else " ".join(words[:words_left]) + " …"


def _clip_words(text: str, limit: int) -> str:
    """At most ``limit`` words; a clipped text ends in "…" glued to its last word (no extra word)."""
    words = text.split()
    return " ".join(words) if len(words) <= limit else " ".join(words[:limit]) + "…"


def _clip_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _word_count(texts: Iterable[str]) -> int:
    return sum(len(text.split()) for text in texts)


def _request_score(sentence: str) -> int:
    return len(_REQUEST.findall(sentence)) + 2 * bool(negative_cues(sentence))


def _best_sentence(sentences: Sequence[str]) -> str | None:
    """The sentence that carries the request (most request signals, earliest on a tie)."""
    if not sentences:
        return None
    return min(enumerate(sentences), key=lambda pair: (-_request_score(pair[1]), pair[0]))[1]


def _passage(sentences: Sequence[str]) -> str | None:
    """The best sentence; a short one ("Where is it?") with its neighbour, which usually says what "it" is."""
    best = _best_sentence(sentences)
    if best is None or len(best.split()) >= SHORT_SENTENCE_WORDS or len(sentences) < 2:
        return best
    index = sentences.index(best)
    pair = sentences[index - 1 : index + 1] if index > 0 else sentences[index : index + 2]
    return " ".join(pair)


def _quote(text: str, limit: int) -> str:
    return f"“{_clip_words(text, limit)}”"


CLOSE_SECOND = 0.5  # a second reading at half the best one's probability or more is named beside it


def close_second(top_k: Sequence[tuple[str, float]]) -> str | None:
    """The second reading of ``top_k`` when it is close to the first (``CLOSE_SECOND``): "I want a FULL REFUND to
    my card" read as a refund-policy question at 0.62 and as a refund at 0.31 names both to the agent, not the
    first alone as if it were sure."""
    if len(top_k) < 2 or top_k[0][1] <= 0:
        return None
    return top_k[1][0] if top_k[1][1] >= CLOSE_SECOND * top_k[0][1] else None


def _label(intent: str) -> str:
    return intent.replace("_", " ").replace("-", " ").strip()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _is_closing(text: str) -> bool:
    """Only thanks or "it's sorted": no question, no request, at least one closing word."""
    lines = [" ".join(part.split()) for part in _sentence_split(text) if part.strip()]
    asks = _REQUEST.search(_THANKS_FOR_HELP.sub(" ", text))
    return bool(lines) and not asks and any(_CLOSING.search(line) for line in lines)


# --- entities: products ---------------------------------------------------------------------------------------

_PRODUCT_NOUNS = (
    "blender|kettle|toaster|chair|sofa|couch|table|desk|lamp|mattress|pillow|duvet|rug|shelf|wardrobe|"
    "jacket|coat|dress|shirt|jeans|shoes|boots|sneakers|trainers|backpack|suitcase|handbag|wallet|"
    "headphones|earbuds|speaker|charger|cable|laptop|tablet|monitor|keyboard|mouse|printer|router|camera|"
    "watch|smartwatch|vacuum|hoover|microwave|fridge|freezer|oven|dishwasher|coffee machine|espresso machine|"
    "air fryer|fryer|bike|bicycle|scooter|helmet|stroller|pram|car seat|tent"
)
# "my Vitamix blender", "the new kettle", "your Oslo chairs": optional brand words, then a known product noun.
_KNOWN_PRODUCT = regex_code.compile(
    rf"\b(?i:my|the|your|our|this|that|a|an)\s+(?:(?i:new|old|broken|faulty|damaged|replacement)\s+)?"
    rf"(?P<name>(?:[A-Z][\w'-]*\s+){{0,3}}(?:(?![a-z]+(?:ed|ing)\s)[a-z]+\s+)?(?i:{_PRODUCT_NOUNS})(?i:e?s)?)\b"
)
# "the AeroPress Go I ordered": a capitalised phrase after my/the/your in a sentence about an order.
_NAMED_PRODUCT = regex_code.compile(
    r"\b(?:[Mm]y|[Tt]he|[Yy]our)\s+(?P<name>[A-Z][\w'-]+(?:\s+[A-Z0-9][\w'-]*){0,3})"
)
_ORDER_WORDS = regex_code.compile(
    r"\b(order(ed)?|bought|purchased?|deliver(y|ed)|arrived?|parcel|package|shipment|shipped|received)\b",
    re.I,
)
_NOT_PRODUCTS = (
    frozenset(
        [
            "i",
            "order",
            "orders",
            "invoice",
            "ticket",
            "case",
            "parcel",
            "package",
            "delivery",
            "shipment",
            "customer",
            "support",
            "team",
            "company",
            "store",
            "shop",
            "website",
            "app",
            "account",
            "email",
            "refund",
            "money",
        ]
    )
    | frozenset(WEEKDAY_NAMES)
    | frozenset(MONTH_NAMES)
)


def extract_products(text: str) -> tuple[str, ...]:
    """Product names a customer mentions: a known product noun with its brand words, or a capitalised name
    after my/the/your in a sentence about an order. Light on purpose; run it on masked text."""
    found: list[str] = []
    for sentence in _sentence_split(text):
        found += [" ".join(match.group("name").split()) for match in _KNOWN_PRODUCT.finditer(sentence)]
        if _ORDER_WORDS.search(sentence):
            for match in _NAMED_PRODUCT.finditer(sentence):
                words = match.group("name").split()
                while words and words[-1].lower() in _NOT_PRODUCTS:
                    words.pop()
                if words and words[0].lower() not in _NOT_PRODUCTS and not words[0].isupper():
                    found.append(" ".join(words))
    unique: dict[str, str] = {}
    for name in found:
        unique.setdefault(name.lower(), name)
    # A name inside a longer one ("blender" in "Vitamix blender") adds nothing.
    names = list(unique.values())
    kept = [n for n in names if not any(n.lower() != o.lower() and n.lower() in o.lower() for o in names)]
    return tuple(kept[:PRODUCTS_MAX])


def _tidy(values: tuple[str, ...]) -> tuple[str, ...]:
    # extract_entities keeps a sentence's full stop on a value at its end ("€64.99."): one value, not two.
    return tuple(dict.fromkeys(value.rstrip(".,;:") for value in values))


def _entities(texts: Sequence[str]) -> AgentEntities:
    joined = "\n".join(texts)
    base = extract_entities(joined)
    return AgentEntities(
        order_numbers=base.order_numbers,
        amounts=_tidy(base.amounts),
        dates=_tidy(base.dates),
        product_names=extract_products(joined),
    )


# --- the extractive summariser --------------------------------------------------------------------------------

_EXPECTATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "refund",
        regex_code.compile(
            r"\b(refund(ed)?|money back|reimburse(ment|d)?|reembolso|erstattung|rembourse)", re.I
        ),
    ),
    ("replacement", regex_code.compile(r"\b(replace(ment|d)?|send (me )?(a )?new one|exchange)\b", re.I)),
    ("cancellation", regex_code.compile(r"\bcancel", re.I)),
    ("callback", regex_code.compile(r"\b(call me( back)?|callback|call back|phone me|ring me)\b", re.I)),
    (
        "delivery",
        regex_code.compile(r"\b(deliver(ed|y)?|arrive|ship(ped)?)\s+(by|before|within|until)\b", re.I),
    ),
    ("a reply", regex_code.compile(r"\b(reply|respond|answer|get back to me|hear (back )?from you)\b", re.I)),
)
_WEEKDAY = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DEADLINE = regex_code.compile(
    rf"""
    \b(?:by|before|until|no\s+later\s+than)\s+
      (?:today|tonight|tomorrow|(?:this\s+|next\s+)?(?:{_WEEKDAY}|week(?:end)?)|the\s+\d{{1,2}}(?:st|nd|rd|th)?
        |end\s+of\s+(?:the\s+)?(?:day|week|month)|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?
        |(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?
        |\d{{1,2}}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)
    | \bwithin\s+(?:\d+|a|one|two|three)\s+(?:working\s+|business\s+)?(?:hours?|days?|weeks?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "today" or "asap" is a deadline only when the sentence asks for something ("I need it today", not "I wrote today").
_SOFT_DEADLINE = regex_code.compile(
    r"\b(today|tonight|tomorrow|asap|as soon as possible|right away|immediately)\b", re.I
)
_NEED = regex_code.compile(r"\b(need|want|expect|must|have to|please|require|demand)\b", re.I)


def _deadline(sentence: str) -> str | None:
    match = _DEADLINE.search(sentence) or (_NEED.search(sentence) and _SOFT_DEADLINE.search(sentence)) or None
    return " ".join(match.group(0).split()) if match else None


_NEGATED = regex_code.compile(r"\b(not|no|never|don['’]?t|without|rather than|instead of)\b", re.I)


def _wanted(pattern: re.Pattern[str], sentence: str) -> bool:
    """The sentence asks for it: "I am NOT interested in a replacement" does not expect a replacement."""
    match = pattern.search(sentence)
    return match is not None and not _NEGATED.search(sentence[max(0, match.start() - 40) : match.start()])


def _expectation(sentences: Sequence[str]) -> str | None:
    for sentence in sentences:
        kinds = [kind for kind, pattern in _EXPECTATIONS if _wanted(pattern, sentence)]
        deadline = _deadline(sentence)
        if kinds and kinds[-1] == "a reply" and len(kinds) > 1:
            kinds.pop()  # "reply with a refund": the refund is the expectation
        if kinds == ["a reply"] and not deadline:
            continue  # "please answer" alone is not an expectation worth a line
        if kinds or deadline:
            what = " ".join(part for part in (", ".join(kinds), deadline) if part)
            return f"{what}: {_quote(sentence, EXPECTS_MAX_WORDS)}"
    return None


def _emotion_line(reading: EmotionReading | None, text: str) -> str | None:
    if reading is None:
        reading = EmotionReading.from_cues(negative_cues(text))
    if reading.label == NEUTRAL and not reading.cues:
        return None
    cues = ", ".join(f"'{_clip_chars(mask_addresses(cue), 40)}'" for cue in reading.cues[:EMOTION_MAX_CUES])
    line = f"{reading.label} ({reading.confidence:.2f})"
    return f"{line}: {cues}" if cues else line


_LAST_OUTCOME = regex_code.compile(r"^\s*(?P<what>[\w-]+)\s*:\s*(?P<intent>[\w-]+)\s*,\s*(?P<when>\S+)\s*$")


def _history_line(history: CustomerHistory) -> str:
    contacts = history.contacts_30d
    parts = [
        "first contact in 30 days" if contacts <= 1 else f"{contacts} contacts in 30 days",
    ]
    if history.last_outcome:
        match = _LAST_OUTCOME.match(history.last_outcome)
        last = (
            f"{match['what']} ({match['intent']}) on {match['when']}"
            if match
            else _clip_chars(history.last_outcome, 80)
        )
        parts.append(f"last: {last}")
    if history.auto_replies_30d:
        plural = "y" if history.auto_replies_30d == 1 else "ies"
        parts.append(f"{history.auto_replies_30d} automatic repl{plural} in 30 days")
    if history.came_back_after_auto_reply:
        parts.append("came back after an automatic reply")
    return "; ".join(parts)


def _gist(text: str) -> str | None:
    """A customer's turn: the passage that carries the request."""
    passage = _passage(request_sentences(mask_addresses(text)))
    return _quote(passage, GIST_MAX_WORDS) if passage else None


def _opening(text: str) -> str | None:
    """Our agent's turn: how it opens (what was done or promised comes first in a reply)."""
    opening = " ".join(request_sentences(mask_addresses(text)))
    return _quote(opening, GIST_MAX_WORDS) if opening else None


def _happened(turns: Sequence[Turn], current_has_text: bool) -> tuple[str, ...]:
    entries: list[str] = []
    customer_seen = 0
    index = 0
    while index < len(turns):
        turn = turns[index]
        when = turn.at.date().isoformat()
        gist = _opening(turn.text) if turn.role == "agent" else _gist(turn.text)
        if turn.role == "customer":
            customer_seen += 1
            topic = f" about {_label(turn.intent)}" if turn.intent else ""
            verb = f"customer asked{topic}" if customer_seen == 1 else f"customer wrote again{topic}"
            entry = f"{when} {verb}" + (f": {gist}" if gist else "")
            replied = turn.decision == "auto_reply"
            if index + 1 < len(turns) and turns[index + 1].role == "auto_reply":
                replied = True
                index += 1
            if replied:
                entry += "; we auto-replied"
            elif turn.decision == "escalate":
                entry += "; passed to a person"
            elif turn.decision == "no_reply":
                entry += "; no reply sent"
        elif turn.role == "auto_reply":
            replied = True
            entry = f"{when} we auto-replied" + (f" ({_label(turn.intent)})" if turn.intent else "")
        else:
            replied = False
            entry = f"{when} an agent replied" + (f": {gist}" if gist else "")
        if replied:
            later = next((t for t in turns[index + 1 :] if t.role == "customer"), None)
            if later is not None:
                entry += f"; the customer wrote back on {later.at.date().isoformat()}"
            elif current_has_text:
                entry += "; the customer wrote back (this message)"
        entries.append(_clip_words(entry, HAPPENED_ENTRY_MAX_WORDS))
        index += 1
    if len(entries) > HAPPENED_MAX:
        skipped = len(entries) - (HAPPENED_MAX - 1)
        entries = [*entries[:2], f"… {skipped} more turns …", *entries[-(HAPPENED_MAX - 3) :]]
    return tuple(entries)


def _wants(item: SummaryInput, text: str, sentences: Sequence[str], subject: str) -> str:
    earlier = [turn for turn in item.turns if turn.role == "customer"]
    intent = item.intent or next((t.intent for t in reversed(earlier) if t.intent), None)
    topic = _label(intent) if intent else None
    if topic and item.intent and item.runner_up:
        topic = f"{topic} or {_label(item.runner_up)}"
    position = f", writing again ({_ordinal(len(earlier) + 1)} message in this thread)" if earlier else ""
    if text.strip() and _is_closing(text):
        about = f" about {topic}" if topic else ""
        closing = " ".join(text.split())
        return _clip_words(
            f"Nothing new{about}: the customer is closing the thread: {_quote(closing, 20)}", 40
        )
    best = _best_sentence(sentences) or subject or None
    if best is None and earlier:
        best = next(
            (
                s
                for t in reversed(earlier)
                if (s := _best_sentence(request_sentences(mask_addresses(t.text))))
            ),
            None,
        )
    if best is None:
        return "Unclear: the message has no readable text." + (f" Topic: {topic}." if topic else "")
    head = (topic[:1].upper() + topic[1:]) if topic else "Request"
    return _clip_words(f"{head}{position}: {_quote(best, WANTS_MAX_WORDS - 8)}", WANTS_MAX_WORDS)


def _key_points(sentences: Sequence[str], subject: str) -> tuple[str, ...]:
    ranked = sorted(range(len(sentences)), key=lambda i: (-_request_score(sentences[i]), i))
    chosen = sorted(ranked[:KEY_POINTS_MAX])
    points: list[str] = []
    words_left = KEY_POINTS_MAX_WORDS
    for index in chosen:
        if words_left <= 0:
            break
        point = _clip_words(sentences[index], min(words_left, KEY_POINT_MAX_WORDS))
        points.append(point)
        words_left -= len(point.split())
    if not points and subject:
        points.append(_clip_words(subject, KEY_POINT_MAX_WORDS))
    return tuple(points)


def _draft(draft: str | None, mark: str = DRAFT_MARK) -> str | None:
    if not draft or not draft.strip():
        return None
    return _clip_chars(f"{mark}\n\n{mask_addresses(draft.strip())}", DRAFT_MAX_CHARS)


class ExtractiveSummariser:
    """Deterministic: quotes and shortens the customer's own words, frames them with the facts we hold."""

    def summarise(self, item: SummaryInput) -> AgentSummary:
        subject = " ".join(mask_addresses(item.subject).split())
        text = mask_addresses(item.text)
        sentences = request_sentences(text)
        earlier_customer = [mask_addresses(t.text) for t in item.turns if t.role == "customer"]
        current_first = [subject, text, *reversed(earlier_customer)]
        expects = _expectation(
            [*sentences, *(s for t in reversed(earlier_customer) for s in request_sentences(t))]
        )
        return AgentSummary(
            wants=_wants(item, text, sentences, subject),
            happened=_happened(item.turns, bool(item.text.strip())),
            expects=expects,
            key_points=_key_points(sentences, subject),
            emotion=_emotion_line(item.emotion, item.text),
            entities=_entities(current_first),
            history=_history_line(item.history),
            reason=_clip_chars(" ".join(item.reason.split()), REASON_MAX_CHARS),
            draft=_draft(item.draft),
            already_sent=_draft(item.already_sent, SENT_MARK),
        )


_EXTRACTIVE = ExtractiveSummariser()


# --- the Bedrock summariser -----------------------------------------------------------------------------------

_SYSTEM_PROMPT = (
    "You summarise a customer-support conversation for the human agent who will answer it. "
    "Use only what the messages say; never invent facts, names, numbers or promises. "
    "Answer with one JSON object and nothing else, with exactly these keys: "
    '"wants" (string: what the customer wants now, one sentence), '
    '"happened" (array of strings: what already happened, oldest first, one short line per earlier turn), '
    '"expects" (string or null: what the customer expects, such as a refund, a deadline or a callback, '
    "only when stated), "
    f'"key_points" (array of at most {KEY_POINTS_MAX} strings, at most {KEY_POINTS_MAX_WORDS} words in total).'
)
PROMPT_TEXT_MAX_WORDS = 1500
PROMPT_TURN_MAX_WORDS = 200
_FENCE = regex_code.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


class _ModelAnswer(BaseModel):
    """The model's JSON, checked strictly: no coercion, every field present."""

    model_config = ConfigDict(extra="ignore", strict=True)

    wants: str = Field(min_length=1)
    happened: list[str]
    expects: str | None
    key_points: list[str]


class SummaryRejected(ValueError):
    """The model's answer cannot be used (not JSON, a field missing or of the wrong type, too long)."""


def _prompt(item: SummaryInput) -> str:
    lines = []
    if item.turns:
        lines.append("Earlier turns, oldest first:")
        for turn in item.turns:
            tag = {"customer": "customer", "auto_reply": "our automatic reply", "agent": "our agent"}[
                turn.role
            ]
            extra = f", intent {turn.intent}" if turn.intent else ""
            body = _clip_words(mask_addresses(turn.text), PROMPT_TURN_MAX_WORDS)
            lines.append(f"[{turn.at.date().isoformat()} {tag}{extra}] {body}")
        lines.append("")
    lines.append(
        "Current message from the customer" + (f" (intent {item.intent})" if item.intent else "") + ":"
    )
    lines.append(f"Subject: {_clip_words(mask_addresses(item.subject), 40)}")
    lines.append(_clip_words(mask_addresses(item.text), PROMPT_TEXT_MAX_WORDS) or "(no text)")
    return "\n".join(lines)


def parse_model_answer(text: str) -> dict[str, Any]:
    """The prose fields from the model's text, bounded and masked; :class:`SummaryRejected` otherwise."""
    try:
        answer = _ModelAnswer.model_validate(json.loads(_FENCE.sub("", text)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise SummaryRejected(type(exc).__name__) from None
    if _word_count(answer.key_points) > KEY_POINTS_MAX_WORDS or len(answer.key_points) > KEY_POINTS_MAX:
        raise SummaryRejected("key points too long")
    if len(answer.wants.split()) > WANTS_MAX_WORDS:
        raise SummaryRejected("wants too long")
    if answer.expects is not None and len(answer.expects.split()) > EXPECTS_MAX_WORDS:
        raise SummaryRejected("expects too long")
    if len(answer.happened) > HAPPENED_MAX or any(
        len(line.split()) > HAPPENED_ENTRY_MAX_WORDS for line in answer.happened
    ):
        raise SummaryRejected("happened too long")
    return {
        "wants": mask_addresses(" ".join(answer.wants.split())),
        "happened": tuple(mask_addresses(" ".join(line.split())) for line in answer.happened if line.strip()),
        "expects": mask_addresses(" ".join(answer.expects.split())) if answer.expects else None,
        "key_points": tuple(
            mask_addresses(" ".join(point.split())) for point in answer.key_points if point.strip()
        ),
    }


def _answer_text(response: Any) -> str:
    if response.get("stopReason") not in {"end_turn", "stop_sequence"}:
        raise SummaryRejected(f"stop reason {response.get('stopReason')}")
    content = response["output"]["message"]["content"]
    return "".join(block["text"] for block in content if "text" in block)


class BedrockSummariser:
    """Prose fields from a Bedrock model (Converse API); facts from the extractive pass; extractive on any error."""

    def __init__(
        self,
        client: Any,
        model_id: str,
        fallback: Summariser = _EXTRACTIVE,
        max_tokens: int = 400,
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.fallback = fallback
        self.max_tokens = max_tokens

    def summarise(self, item: SummaryInput) -> AgentSummary:
        base = self.fallback.summarise(item)
        try:
            response = self.client.converse(
                modelId=self.model_id,
                system=[{"text": _SYSTEM_PROMPT}],
                messages=[{"role": "user", "content": [{"text": _prompt(item)}]}],
                inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0},
            )
            prose = parse_model_answer(_answer_text(response))
            return AgentSummary.model_validate({**base.model_dump(), **prose, "backend": "bedrock"})
        except Exception as exc:  # any failure: the agent still gets the extractive summary
            details = getattr(exc, "response", None)
            code = details.get("Error", {}).get("Code") if isinstance(details, dict) else None
            logger.warning(
                "bedrock summary unavailable; using the extractive summary",
                extra={"error": type(exc).__name__, "error_code": code, "model_id": self.model_id},
            )
            return base


class _LazyClient:
    """Builds the Bedrock client on first use, so an extractive-only run never imports or configures it."""

    def __init__(self, factory: Callable[[str], Any], region: str) -> None:
        self._factory = factory
        self._region = region
        self._client: Any = None

    def converse(self, **kwargs: Any) -> Any:
        if self._client is None:
            self._client = self._factory(self._region)
        return self._client.converse(**kwargs)


def _bedrock_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    # Few retries and short timeouts: the extractive summary is a good answer too, so never wait long.
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=15)
    return boto3.client("bedrock-runtime", region_name=region, config=config)


def summariser_from(settings_like: Any, client_factory: Callable[[str], Any] | None = None) -> Summariser:
    """The summariser the settings ask for: ``summariser`` is "extractive" (default) or "bedrock"
    (``bedrock_model_id`` required, ``bedrock_region`` default us-east-1). The client is built lazily."""
    kind = str(getattr(settings_like, "summariser", "extractive") or "extractive").strip().lower()
    if kind == "extractive":
        return ExtractiveSummariser()
    if kind != "bedrock":
        raise ValueError(f"unknown summariser {kind!r}: expected 'extractive' or 'bedrock'")
    model_id = str(getattr(settings_like, "bedrock_model_id", "") or "").strip()
    if not model_id:
        raise ValueError("summariser 'bedrock' needs bedrock_model_id")
    region = str(getattr(settings_like, "bedrock_region", "") or "us-east-1").strip()
    return BedrockSummariser(_LazyClient(client_factory or _bedrock_client, region), model_id)


# --- rendering ------------------------------------------------------------------------------------------------


def _entities_line(entities: AgentEntities) -> str:
    parts = [
        (label, values)
        for label, values in (
            ("orders", entities.order_numbers),
            ("amounts", entities.amounts),
            ("dates", entities.dates),
            ("products", entities.product_names),
        )
        if values
    ]
    return "; ".join(f"{label}: {', '.join(values)}" for label, values in parts) or "(none found)"


def render_summary(summary: AgentSummary) -> str:
    """A plain-text block for the agent CLI."""

    def items(values: Sequence[str], empty: str) -> list[str]:
        return [f"  - {value}" for value in values] or [f"  {empty}"]

    lines = [
        f"Wants: {summary.wants}",
        "Happened:",
        *items(summary.happened, "(first message in this thread)"),
        f"Expects: {summary.expects or '(not stated)'}",
        "Key points:",
        *items(summary.key_points, "(none)"),
        f"Emotion: {summary.emotion or '(none shown)'}",
        f"Entities: {_entities_line(summary.entities)}",
        f"History: {summary.history or '(none)'}",
        f"Why a person: {summary.reason or '(not given)'}",
        "Draft:",
        *(f"  {line}" if line else "" for line in (summary.draft or "(no draft)").splitlines()),
        *(
            ["Already sent:", *(f"  {line}" if line else "" for line in summary.already_sent.splitlines())]
            if summary.already_sent
            else []
        ),
        f"(summary: {summary.backend})",
    ]
    return "\n".join(lines)


# --- the first summary (key points only) ----------------------------------------------------------------------


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key_points: tuple[str, ...] = ()
    entities: Entities = Entities()
    emotion_cues: tuple[str, ...] = ()
    word_count: int = 0


def summarise(subject: str, text: str) -> Summary:
    """Key points, entities and emotion cues of one message (addresses masked)."""
    subject, text = mask_addresses(subject), mask_addresses(text)
    sentences = request_sentences(text)
    ranked = sorted(range(len(sentences)), key=lambda i: (-_request_score(sentences[i]), i))
    chosen = sorted(ranked[:MAX_KEY_POINTS])
    points: list[str] = []
    words_left = MAX_WORDS
    for index in chosen:
        if words_left <= 0:
            break
        point = _clip(sentences[index], words_left)
        points.append(point)
        words_left -= len(point.split())
    if not points and subject:
        points.append(_clip(subject, MAX_WORDS))
    return Summary(
        key_points=tuple(points),
        entities=extract_entities(f"{subject}\n{text}"),
        emotion_cues=tuple(negative_cues(text)[:5]),
        word_count=sum(len(point.split()) for point in points),
    )
