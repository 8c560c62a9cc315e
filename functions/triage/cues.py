"""Phrases that decide on their own: a request for a person, and language that shows anger or distress.

These are deliberately explicit tables (English, Spanish, German, French): a customer who asks for a person gets
one even when the model reads the message as something else, and visible anger never gets a robot's answer.
"""

from __future__ import annotations

import re

_HUMAN_REQUEST = re.compile(
    r"""
    \b(real|actual|live)\s+(person|human|agent|people)\b
    | \bhuman\s+(being|agent|support)\b
    | \b(speak|talk|chat)\s+(to|with)\s+(a|an|some|your)?\s*(human|person|agent|representative|manager|supervisor|someone|somebody)\b
    | \bnot\s+(a|another|your)\s+(bot|robot|machine|automated)\b
    | \b(stop|no\s+more)\s+(the\s+)?(bots?|automated\s+(replies|answers|messages))\b
    # Spanish
    | \bhablar\s+con\s+(una\s+persona|un\s+humano|alguien|un\s+agente|un\s+asesor|un\s+operador)\b
    | \bpersona\s+real\b | \bun\s+humano\b
    # German
    | \b(mit\s+)?(einem|einer)\s+(menschen|mitarbeiter(in)?|person)\s+(sprechen|reden)\b
    | \becht(en|er|e)\s+(menschen|person|mitarbeiter)\b
    # French
    | \bparler\s+(à|a|avec)\s+(un\s+humain|une\s+personne|quelqu'un|un\s+conseiller|un\s+agent)\b
    | \b(vrai|véritable)\s+(humain|conseiller)\b | \bvraie\s+personne\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

_NEGATIVE_PHRASES = re.compile(
    r"""
    \b(ridiculous|unacceptable|outrageous|disgusting|disgusted|furious|livid|appalled|appalling|angry|pathetic
      |useless|incompetent|horrible|terrible|awful|worst|scam|scammers?|fraud|fraudulent|rip-?off|shameful
      |fed\s+up|sick\s+of|had\s+enough|never\s+again|last\s+time\s+i|i\s+am\s+done|so\s+disappointed|very\s+disappointed
      |extremely\s+disappointed|lawyers?|attorney|legal\s+action|sue\s+you|small\s+claims|chargeback|charge\s+back
      |dispute\s+the\s+charge|report\s+you|consumer\s+protection|trading\s+standards)\b
    # Spanish / German / French
    | \b(inaceptable|vergonzoso|estafa|furioso|furiosa|harto|harta|abogado|denuncia)\b
    | \b(unverschämt|inakzeptabel|betrug|wütend|frechheit|anwalt|enttäuscht)\b
    | \b(inadmissible|inacceptable|arnaque|furieux|furieuse|scandaleux|honteux|avocat|déçu|déçue)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_EXCLAMATIONS = re.compile(r"!{2,}|\?+!|!\?+")
_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_WORD = re.compile(r"\b[^\W\d_]{3,}\b")
_COMMON_ACRONYMS = frozenset(
    {"USA", "FAQ", "PDF", "SMS", "USD", "EUR", "GBP", "ASAP", "UPS", "DHL", "TNT", "FEDEX"}
)
SHOUTING_MIN_WORDS = 3
SHOUTING_MIN_SHARE = 0.25


def asks_for_human(text: str) -> list[str]:
    """The phrases in ``text`` that ask for a person (empty when none)."""
    return list(dict.fromkeys(" ".join(match.group(0).split()) for match in _HUMAN_REQUEST.finditer(text)))


def negative_cues(text: str) -> list[str]:
    """Phrases that show anger, strong disappointment or threats, plus shouting and !!! runs."""
    cues = [" ".join(match.group(0).split()) for match in _NEGATIVE_PHRASES.finditer(text)]
    if _EXCLAMATIONS.search(text):
        cues.append("!!")
    shouted = [word for word in _SHOUTED_WORD.findall(text) if word not in _COMMON_ACRONYMS]
    words = _WORD.findall(text)
    if len(shouted) >= SHOUTING_MIN_WORDS and len(shouted) >= SHOUTING_MIN_SHARE * max(len(words), 1):
        cues.append("SHOUTING")
    elif len(shouted) >= SHOUTING_MIN_WORDS:
        cues.extend(shouted[:3])
    return list(dict.fromkeys(cues))
