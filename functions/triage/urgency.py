"""How urgent a message is: explainable points from phrase families, the contact history and the emotion.

Deterministic and pure Python (compiled regular expressions, no third-party imports), so the same text always gets
the same score and every point can be shown to the person who reads the escalation.

Each family counts once, however many of its phrases appear (the cue lists them all):

============  ======  =================================================================================
family        points  what it matches (English, plus a few Spanish, German and French words)
============  ======  =================================================================================
safety        0.50    injury, fire, smoke, burn, allergic reaction, electric shock, unsafe, choking …;
                      "child"/"baby" only next to a hazard (a gift for a child is not an emergency)
legal         0.40    lawyer, attorney, court, sue, legal action, chargeback, regulator, ombudsman, GDPR …
immediacy     0.30    urgent, asap, immediately, right now, right away, emergency …
money         0.30    charged twice, double charged, fraud, unauthorised charge, stolen, overcharged …
time          0.25    today, tonight, tomorrow, by Friday, by end of day, within 24 hours, deadline, a
                      dated deadline ("by 3 May"), and with ``today`` given any date in the next 3 days
contacts      0.15    one or two earlier contacts, or the text says so ("still waiting", "already emailed")
              0.30    three or more earlier contacts, or the text says so ("third time", "several times")
emotion       0.10    the emotion head (or lexicon) reads anger
calm          −0.10   "not urgent", "no rush", "whenever convenient"; the negated words do not count
============  ======  =================================================================================

The score is the sum, clipped to [0, 1]. Levels: ``high`` at :data:`HIGH` (0.5) or more — a safety issue alone,
or two independent signals such as "urgent" + "today"; ``normal`` at :data:`NORMAL` (0.2) or more — any one
signal but contact history or anger alone; ``low`` below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from triage.cues import Phrases, distinct_phrases, exact_lower

Level = Literal["low", "normal", "high"]

HIGH = 0.5
NORMAL = 0.2
SOON_DAYS = 3

POINTS: dict[str, float] = {
    "safety": 0.5,
    "legal": 0.4,
    "immediacy": 0.3,
    "money": 0.3,
    "time": 0.25,
    "contacts": 0.15,
    "contacts_many": 0.3,
    "emotion": 0.1,
    "calm": -0.1,
}
MANY_CONTACTS = 3
ANGRY_EMOTIONS = frozenset({"anger"})

_FLAGS = re.IGNORECASE | re.VERBOSE

_CALM = Phrases(
    r"""
    \b(not|isn'?t|is\s+not|nothing)\s+(that\s+|very\s+|too\s+|super\s+)?(urgent|pressing|an\s+emergency)\b
    | \bno\s+(rush|hurry|urgency)\b | \bno\s+need\s+to\s+(rush|hurry)\b
    | \bwhenever\s+(you|it'?s|is)\s+(can|have\s+time|get\s+a\s+chance|convenient)\b
    | \bat\s+your\s+(convenience|leisure)\b | \bin\s+your\s+own\s+time\b
    | \bno\s+es\s+urgente\b | \bsin\s+prisa\b
    | \bnicht\s+(so\s+)?(dringend|eilig)\b | \bkeine\s+eile\b
    | \bpas\s+(très\s+)?urgent\b | \brien\s+ne\s+presse\b
    """,
    _FLAGS,
)

_SAFETY = Phrases(
    r"""
    \b(injur(y|ies|ed)|hurt\s+(my|him|her|them|himself|herself|myself)|wounded|bleeding|hospital|ambulance
      |caught\s+fire|on\s+fire|fire(?!\s*(tv|stick|tablet|hd|fox|pits?|places?|side|wood|guards?|screens?|bowls?|baskets?
        |starters?|lighters?|extinguishers?|proof|resistant|retardant|blankets?|doors?|irons?|bricks?|sets?)\b)|flames?
      |smoke(?!\s*(grey|gray|glass|blue|white|tinted|alarms?|detectors?|machine|effect|colou?r)\b)|smoking
      |burn(s|t|ed|ing)?(?!\s+(orange|sienna|umber|sugar|caramel|amber|copper|gold|toffee|oak|red|brown|question)\b)
      |scald(ed)?|allergic\s+reaction|anaphyla\w*|electric(al)?\s+shock|electrocut\w*|shock\s+from
      |sparks?|spark(ed|ing)|explod(e|ed|ing)|explosion|overheat(s|ed|ing)?|melt(ed|ing)
      |gas\s+leak|carbon\s+monoxide|poison(ed|ing|ous)?|chok(e|ed|ing)|swallowed
      |unsafe|dangerous|hazard(ous)?|safety\s+(issue|risk|hazard|concern))\b
    # Spanish / German / French
    | \b(herid[oa]|quemadura|incendio|humo|peligros[oa]|alergia|descarga\s+eléctrica)\b
    | \b(verletzt|verletzung|feuer|rauch|gefährlich|allergische|stromschlag|verbrennung)\b
    | \b(blessée?|brûlure|incendie|fumée|dangereux|dangereuse|allergique|électrocut\w*)\b
    """,
    _FLAGS,
    lazy=True,
)
# A child is a safety cue only beside a hazard ("my son choked"), never alone ("a gift for my child").
_CHILD = Phrases(
    r"\b(child|children|kids?|son|daughter|baby|babies|toddlers?|infants?|niñ[oa]s?|bebé|kinder|enfants?|bébé)\b",
    re.I,
    lazy=True,
)

_LEGAL = Phrases(
    r"""
    \b(lawyers?|attorneys?|solicitors?|legal\s+(action|advice|proceedings|team)|lawsuit|sue\s+(you|your|them|the\s+company|for|over)
      |(will|going\s+to|gonna|shall|i['’]ll|could|would|might)\s+sue|suing|(?<!\bfood\s)(?<!\btennis\s)court(?!\s+(shoes?|heels?|pumps?)\b)
      |courts
      |small\s+claims|chargebacks?|charge\s+back|regulators?|ombudsman|gdpr|data\s+protection
      |subject\s+access\s+request|dsar|trading\s+standards|consumer\s+protection|ftc|cfpb)\b
    # Spanish / German / French
    | \b(abogad[oa]|demanda|tribunal|denuncia|rgpd)\b
    | \b(anwalt|anwältin|rechtsanwalt|gericht|klage|verbraucherzentrale|dsgvo)\b
    | \b(avocate?|tribunal|plainte|poursuites|rgpd)\b
    """,
    _FLAGS,
    lazy=True,
)

_IMMEDIACY = Phrases(
    r"""
    \b(urgent(ly)?|urgency|asap|a\.s\.a\.p|as\s+soon\s+as\s+possible|immediate(ly)?|right\s+(now|away)
      |emergency|critical|at\s+once|straight\s+away|time[-\s]sensitive)\b
    # Spanish / German / French
    | \b(urgente|inmediat[oa](mente)?|lo\s+antes\s+posible|cuanto\s+antes|emergencia)\b
    | \b(dringend|sofort|umgehend|eilig|notfall|so\s+schnell\s+wie\s+möglich)\b
    | \b(urgente?|immédiatement|tout\s+de\s+suite|dès\s+que\s+possible|au\s+plus\s+vite|d'urgence)\b
    """,
    _FLAGS,
    lazy=True,
)

_MONEY = Phrases(
    r"""
    \b(charged\s+(me\s+)?(twice|double|two\s+times|three\s+times|again)|double[-\s]charged|duplicate\s+(charge|payment)
      |billed\s+twice|taken\s+twice|fraud(ulent)?|scam(med)?|unauthori[sz]ed(\s+(charge|payment|transaction))?
      |stolen|overcharged|without\s+my\s+(permission|consent|authori[sz]ation)|lost\s+(my\s+)?money
      |money\s+(was\s+)?taken|identity\s+theft)\b
    # Spanish / German / French
    | \b(cobrad[oa]\s+dos\s+veces|cobro\s+duplicado|fraude|no\s+autorizad[oa]|robad[oa])\b
    | \b(doppelt\s+(abgebucht|berechnet|belastet)|betrug|nicht\s+autorisiert|gestohlen)\b
    | \b(débitée?\s+deux\s+fois|prélevée?\s+deux\s+fois|fraude|non\s+autorisée?|volée?)\b
    """,
    _FLAGS,
    lazy=True,
)

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = "|".join(WEEKDAY_NAMES) + "|mon|tue|tues|wed|thu|thurs|fri|sat|sun"
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# A month as dates write it: its name or the name's first three letters ("sept" too). Also read by triage.entities.
MONTH_PATTERN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?"
)
_DAY_MONTH = rf"(?P<d1>\d{{1,2}})(st|nd|rd|th)?\s+(of\s+)?(?P<m1>{MONTH_PATTERN})\b"
_MONTH_DAY = rf"(?P<m2>{MONTH_PATTERN})\.?\s+(?P<d2>\d{{1,2}})(st|nd|rd|th)?\b"
_ISO = r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})"
_DATE = Phrases(rf"\b({_ISO}|{_DAY_MONTH}|{_MONTH_DAY})", re.IGNORECASE)

_TIME = Phrases(
    rf"""
    \b(today|tonight|tomorrow|this\s+(morning|afternoon|evening)|end\s+of\s+(the\s+)?(day|business)|eod|cob
      |(by|before|until|till|no\s+later\s+than)\s+(this\s+|next\s+)?({_WEEKDAYS}|noon|midnight|the\s+weekend)
      |within\s+(the\s+next\s+)?(\d+|an?|one|two|few|couple\s+of)\s+(hours?|hrs?|minutes?|mins?)
      |within\s+(the\s+next\s+)?([1-3]|a|one|two|three)\s+days?
      |in\s+the\s+next\s+(\d+|few)\s+(hours?|minutes?)|deadlines?|due\s+(today|tomorrow)
      |(by|before|until|no\s+later\s+than)\s+the\s+\d{{1,2}}(st|nd|rd|th)
      |leaving\s+(tomorrow|tonight|on\s+({_WEEKDAYS}))|flight\s+(is\s+)?(today|tomorrow|tonight))\b
    # Spanish / German / French ("mañana" and "Morgen" also mean "morning": not after la/por/guten/am/heute)
    | \b(hoy|esta\s+noche|(?<!la\s)(?<!por\s)mañana|plazo|fecha\s+límite)\b
    | \b(heute|(?<!guten\s)(?<!am\s)(?<!heute\s)morgen|bis\s+(montag|dienstag|mittwoch|donnerstag|freitag)|frist)\b
    | \b(aujourd'hui|ce\s+soir|demain|date\s+limite|délai)\b
    """,
    _FLAGS,
    lazy=True,
)
_DEADLINE_BEFORE_DATE = Phrases(
    r"\b(by|before|until|till|no\s+later\s+than|deadline(\s+is|\s+of|:)?)\s*(the\s+)?$", re.I, lazy=True
)

_REPEAT = Phrases(
    r"""
    \b((second|third|fourth|fifth|\d+(st|nd|rd|th))\s+(time|e-?mail|message|request|letter)
      # Times the customer wrote or called: "asked you three times". Not their own tries ("clicked it two times",
      # "typed it wrong too many times").
      |(asked|written|wrote|e-?mailed|mailed|called|rung|rang|phoned|contacted|messaged|chased|complained|reported|raised
        |requested|been\s+in\s+touch|tried\s+to\s+(reach|contact|get\s+hold\s+of))\s+(\w+\s+){0,4}
        (\d+|two|three|four|five|several|many|multiple)\s+times
      # ... or what we told them to do, done again and again: "followed them three times", "unsubscribed four times".
      |(followed\s+(them|it|those|these|the\s+\w+)|unsubscribed|opted\s+out)\s+(\w+\s+){0,2}(\d+|two|three|four|five|several|many
        |multiple)\s+times
      |already\s+(emailed|written|wrote|called|contacted|asked|reported|sent)|still\s+(waiting|no\s+(reply|answer|response))
      |per\s+my\s+(previous|last|earlier)\s+(e-?mail|message|request|letter)
      |as\s+(i\s+)?(said|mentioned|explained|stated|wrote)\s+(before|previously|earlier|in\s+my\s+(last|previous|earlier))
      |(your|a|one\s+of\s+your)\s+(colleagues?|agents?|representatives?|reps?|advisors?|advisers?|staff)\s+(\w+\s+){0,5}(promised|assured|told)
      |(i\s+was|we\s+were)\s+(promised|assured)
      |no\s*(one|body)\s+(has\s+)?(ever\s+)?(replied|answered|responded|got\s+back)|(haven['’]?t|have\s+not|never)\s+(heard\s+back|heard\s+(anything\s+)?from\s+(you|anyone|anybody|your\s+team|your\s+side)
        |received\s+a\s+(reply|response))
      |following\s+up|follow[-\s]up\s+on|chasing|again\s+and\s+again|yet\s+again
      # Our answer came and did not help: "this doesn't answer my question", "I did what your email said"
      |(your|the|this|that)\s+(reply|answer|response|e-?mail|automatic\s+reply|auto-?reply)\s+(doesn['’]?t|does\s+not|didn['’]?t|did\s+not)
        \s+(answer|address|help|solve|work)|(doesn['’]?t|does\s+not|didn['’]?t|did\s+not)\s+(even\s+)?answer\s+my\s+question
      |i\s+(already\s+)?(know|read|have\s+read|['’]ve\s+read)\s+your\s+((refund|returns?|cancellation|delivery|shipping)\s+)?(policy|faq|help\s+(page|centre|center)|instructions)
      |your\s+(reply|e-?mail|answer|message|response)\s+(said|says|told\s+me|suggested)|(your|the)\s+(last|previous|earlier|automatic|automated)\s+(message|e-?mail|reply|answer|response)
      |followed\s+(the|your|all\s+the|all\s+your)\s+(steps|instructions)|(link|page|instructions?|steps|article)\s+you\s+(sent|gave)\s+me
      |(did|followed|tried|done)\s+(exactly\s+)?what\s+(you|your\s+(e-?mail|reply|message)|the\s+(e-?mail|reply|instructions|template))\s+(said|says|told\s+me))\b
    | \b(sigo\s+esperando|ya\s+(les\s+)?(escribí|llamé)|todavía\s+no\s+(hay\s+)?respuesta)\b
    | \b(schon\s+wieder|warte\s+(immer\s+)?noch|bereits\s+(geschrieben|angerufen))\b
    | \b(encore\s+une\s+fois|toujours\s+pas|toujours\s+en\s+attente|déjà\s+(écrit|appelé))\b
    """,
    _FLAGS,
    lazy=True,
)


# The text itself says this is at least the third contact.
_MANY_REPEATS = Phrases(
    r"\b((third|fourth|fifth|\d+(rd|th))\s+(time|e-?mail|message|request|letter)"
    r"|([3-9]|\d\d|three|four|five|several|(?<!too\s)many|multiple)\s+times)\b",
    _FLAGS,  # verbose like the others, to join their union: it has no white space or "#" to read otherwise
    lazy=True,
)


# The families that earn points, searched as one union first: most messages hold none of their phrases, and then
# one search answers for all seven (the tables themselves compile on first need).
_URGENT = (_SAFETY, _LEGAL, _IMMEDIACY, _MONEY, _TIME, _REPEAT, _MANY_REPEATS)
_ANY_URGENT = Phrases.union(_URGENT)


@dataclass(frozen=True)
class Urgency:
    """``score`` in [0, 1], its ``level``, and the cues (``family:phrase``) that earned the points."""

    score: float
    level: Level
    cues: tuple[str, ...]


def level_for(score: float) -> Level:
    if score >= HIGH:
        return "high"
    if score >= NORMAL:
        return "normal"
    return "low"


def _phrases(pattern: re.Pattern[str], text: str) -> list[str]:
    return distinct_phrases(pattern.finditer(text))


def _soon_dates(text: str, today: date | None, lower: bool) -> list[str]:
    """Dates that are deadlines: written after by/before/until, or (with ``today``) within SOON_DAYS days."""
    found: list[str] = []
    for match in _DATE.compiled(lower).finditer(text):
        phrase = " ".join(match.group(0).lower().split())
        if _DEADLINE_BEFORE_DATE.compiled(lower).search(text[: match.start()]):
            found.append(phrase)
            continue
        if today is None:
            continue
        when = _resolve(match, today)
        if when is not None and timedelta(0) <= when - today <= timedelta(days=SOON_DAYS):
            found.append(phrase)
    return list(dict.fromkeys(found))


def _resolve(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    try:
        if groups["y3"]:
            return date(int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        month_text = (groups["m1"] or groups["m2"] or "").lower()
        day = int(groups["d1"] or groups["d2"])
        month = next(i for i, name in enumerate(MONTH_NAMES, 1) if name.startswith(month_text[:3]))
        candidate = date(today.year, month, day)
        # "3 Jan" written in late December means next year.
        return candidate if candidate >= today - timedelta(days=180) else date(today.year + 1, month, day)
    except (ValueError, StopIteration):
        return None


def assess_urgency(
    text: str, *, prior_contacts: int = 0, emotion: str | None = None, today: date | None = None
) -> Urgency:
    """Score how urgent ``text`` is (see the module docstring for the points and levels).

    ``prior_contacts``: earlier messages from the same customer about this matter; ``emotion``: the routing emotion
    (``triage.emotion``) of the message; ``today``: the date the message arrived, to recognise dates that are soon
    (without it only dates written as deadlines count).
    """
    cues: list[str] = []
    score = 0.0

    def add(family: str, phrases: list[str], points: str | None = None) -> None:
        nonlocal score
        if phrases:
            score += POINTS[points or family]
            cues.extend(f"{family}:{phrase}" for phrase in phrases)

    # Every phrase is reported lower-cased, so lower-cased text (where that is exact) finds the same ones, faster.
    lowered = exact_lower(text)
    lower = lowered is not None  # then search the lower-case forms (Phrases.compiled)
    text = lowered if lowered is not None else text
    calm = _phrases(_CALM.compiled(lower), text)
    # What a calm phrase negates ("not urgent") must not count as urgency.
    body = _CALM.compiled(lower).sub(" ", text) if calm else text
    quiet = _ANY_URGENT.compiled(lower).search(body) is None  # then none of _URGENT's tables finds anything

    def found(phrases: Phrases) -> list[str]:
        return [] if quiet else _phrases(phrases.compiled(lower), body)

    safety = found(_SAFETY)
    if safety:
        safety += _phrases(_CHILD.compiled(lower), body)
    add("safety", safety)
    add("legal", found(_LEGAL))
    add("immediacy", found(_IMMEDIACY))
    add("money", found(_MONEY))
    add("time", found(_TIME) + _soon_dates(body, today, lower))

    contacts = ([f"{prior_contacts} earlier"] if prior_contacts > 0 else []) + found(_REPEAT)
    many = prior_contacts >= MANY_CONTACTS or (not quiet and bool(_MANY_REPEATS.compiled(lower).search(body)))
    add("contacts", contacts, "contacts_many" if many else "contacts")
    if emotion in ANGRY_EMOTIONS:
        add("emotion", [emotion])
    add("calm", calm)

    score = round(min(max(score, 0.0), 1.0), 4)
    return Urgency(score=score, level=level_for(score), cues=tuple(cues))
