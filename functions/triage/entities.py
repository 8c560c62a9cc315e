"""Facts a reply or an agent needs at a glance: order numbers, amounts, dates."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from triage import regex_code
from triage.cues import Phrases, exact_lower
from triage.urgency import MONTH_PATTERN

# A phrase table (matched regardless of case): the numbers are cut from the text as written.
_ORDER = Phrases(
    r"""
    (?:\b(?:order|pedido|bestellung|commande|ordine|encomenda|invoice|factura|rechnung|facture|ticket|case)
        (?:\s*(?:number|num|no|nr|n°|nº|id|\#|:|-)\.?)*\s*\#?\s*
       (?P<labelled>[a-z0-9][a-z0-9-]{3,19}))
    | (?:\#\s?(?P<hashed>[a-z0-9][a-z0-9-]{3,19}))
    """,
    re.VERBOSE,
)
_AMOUNT = regex_code.compile(
    r"(?:[$€£]\s?\d[\d.,]*\d?|\b\d[\d.,]*\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b)", re.IGNORECASE
)
_DATE = regex_code.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN})\b\.?"
    rf"(?:\s+\d{{4}})?|(?:{MONTH_PATTERN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r"|(?:last|next|this)\s+(?:week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|yesterday|today)",
    re.IGNORECASE,
)


class Entities(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_numbers: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


def _unique(values: list[str], limit: int = 5) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))[:limit]


def order_numbers(text: str) -> tuple[str, ...]:
    """The order, invoice or ticket numbers in ``text`` (each holds a digit), first five, in order. A reply needs
    only these: the amounts and dates cost twice as much to find."""
    orders = []
    for match in _ORDER.finditer(text, exact_lower(text)):
        group = "labelled" if match.start("labelled") >= 0 else "hashed"
        number = text[match.start(group) : match.end(group)]  # lower-casing keeps positions where it is exact
        if any(char.isdigit() for char in number):
            orders.append(number)
    return _unique(orders)


def extract_entities(text: str) -> Entities:
    return Entities(
        order_numbers=order_numbers(text),
        amounts=_unique(_AMOUNT.findall(text)),
        dates=_unique(_DATE.findall(text)),
    )
