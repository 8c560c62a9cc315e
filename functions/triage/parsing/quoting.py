"""What the customer wrote this time: an email body without its quoted history and without its signature.

Our own rules, line based and table driven: every phrase lives in one of the tables below, so supporting another
mail client or language means adding a row, not a branch. No third-party import (this runs in the Lambda).
``triage.parsing.quoting_bench`` compares them with two maintained libraries on ``tests/fixtures/quoting``.

How a body is read, top to bottom:

1. Lines starting with ``>`` are quoted history and are dropped wherever they are, so a customer who answers
   between quoted lines (inline or below the quote) keeps their answers. An attribution line ("On <date>, <name>
   wrote:", also wrapped over up to three lines as Gmail does, its de/fr/es/nl/it/pt forms, and "<address>
   wrote:") that introduces such a ``>`` block is dropped with it, and so is an unquoted line that only
   continues a long quoted line (clients that wrap after quoting).
2. The first *unquoted* history marker ends the new text: an attribution not followed by ``>`` lines,
   "-----Original Message-----", an Outlook header block ("From:" then "Sent:"/"To:"/..., localized, with or
   without the "_____" rule above it) or a forward marker ("---------- Forwarded message ---------").
3. An external-sender warning that a mail gateway put on top ("[EXTERNAL] ... from outside ...") is dropped.
4. The signature is cut from what is left: the RFC 3676 "-- " line or the opening of a legal disclaimer and
   everything below it, a mail-client footer ("Sent from my iPhone", "Get Outlook for iOS") or a sign-off
   ("Best regards,", "Merci", "Thanks, Bob", ...) followed only by a few short signature-like lines (name,
   title, company, phone), possibly then a disclaimer.
5. If no more than a greeting is left above an unquoted history marker, the message is a forward (whatever the
   client calls it): the earlier message, past its header block, is read the same way and is the question.
   Otherwise a message that is only a greeting and a sign-off keeps the sign-off line ("Hi team, Thank you!").
6. Never empty for a non-blank input, never only a greeting: failing the above, the text without quotes (and
   with its signature), else the original, trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from triage import regex_code

SUPPORTED_LANGUAGES: Final[frozenset[str]] = frozenset({"en", "de", "fr", "es", "nl", "it", "pt"})

SIGNATURE_MAX_LINES: Final = 5  # after a sign-off: name, title, company, phone, one web/email line
SIGNATURE_MAX_LINE_CHARS: Final = 80
SIGNATURE_MAX_LINE_WORDS: Final = 8
SIGN_OFF_MAX_NAME_WORDS: Final = 3  # "Thanks, Mary Ann Smith"
PROSE_MIN_WORDS: Final = (
    4  # a tail line ending in "." or "!" with this many words is a sentence, not a signature
)
# A tail line of at least 3 words, 2 of them lower-case words of prose, is the customer writing, not a signature.
PROSE_LINE_MIN_WORDS: Final = 3
PROSE_LINE_MIN_LOWER_WORDS: Final = 2
ATTRIBUTION_MAX_CHARS: Final = 300  # one "On ... wrote:" header, wrapped or not
ATTRIBUTION_MAX_LINES: Final = 3  # Gmail wraps long headers: "On <date> Ana <" / "ana@example.org> wrote:"
QUOTE_WRAP_MIN_CHARS: Final = 60  # a quoted line this long, cut mid-sentence, may wrap onto an unquoted line
RULE_TO_HEADERS_MAX_LINES: Final = 2  # blank lines allowed between an Outlook "_____" rule and its "From:"
MAX_FORWARD_DEPTH: Final = 3
MAX_SIGNATURE_CUTS: Final = 4  # "Thanks, / Bob" above "Sent from my iPhone" above "-- ": cut again

# ---------------------------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------------------------

#: "On <date>, <name> wrote:" per language: (language, opening word, verb phrase before the final colon).
ATTRIBUTION_FORMS: Final[tuple[tuple[str, str, str], ...]] = (
    ("en", "On", r"wrote"),
    ("de", "Am", r"(?:schrieb|geschrieben)(?:\s.{0,150})?"),  # "Am 4. März 2025 um 09:30 schrieb Ana <a@x>:"
    ("fr", "Le", r"a\s+écrit"),
    ("es", "El", r"escribió"),
    ("nl", "Op", r"(?:schreef|geschreven)(?:\s.{0,150})?"),  # "Op 4 mrt 2025 om 09:30 schreef Jan <j@x>:"
    ("it", "Il", r"ha\s+scritto"),
    ("pt", "Em", r"escreveu"),
)

#: The same verbs after a bare sender address, without the date: "Ana Lima <ana@example.org> wrote:" (one line).
ADDRESS_ATTRIBUTION_VERBS: Final[tuple[str, ...]] = (
    r"wrote",
    r"schrieb",
    r"a\s+écrit",
    r"escribió",
    r"schreef",
    r"ha\s+scritto",
    r"escreveu",
)

#: Titles framed by dashes that start the previous message of a reply ("-----Original Message-----").
ORIGINAL_MESSAGE_TITLES: Final[tuple[str, ...]] = (
    "Original Message",
    "Ursprüngliche Nachricht",
    "Message d'origine",
    "Mensaje original",
    "Oorspronkelijk bericht",
    "Messaggio originale",
    "Mensagem original",
)

#: Titles framed by dashes that start a forwarded message ("---------- Forwarded message ---------").
FORWARD_TITLES: Final[tuple[str, ...]] = (
    "Forwarded message",
    "Weitergeleitete Nachricht",
    "Message transféré",
    "Mensaje reenviado",
    "Doorgestuurd bericht",
    "Messaggio inoltrato",
    "Mensagem encaminhada",
)

#: Apple Mail style forward introductions, followed by a colon.
FORWARD_INTRODUCTIONS: Final[tuple[str, ...]] = (
    "Begin forwarded message",
    "Anfang der weitergeleiteten Nachricht",
    "Début du message réexpédié",
    "Inicio del mensaje reenviado",
    "Begin doorgestuurd bericht",
    "Inizio messaggio inoltrato",
    "Início da mensagem reencaminhada",
)

#: Header names of the block a mail client writes above the previous message, per language; the first one is
#: the sender ("From:"), which must open the block.
HEADER_BLOCK_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("From", "Sent", "Date", "To", "Cc", "Bcc", "Subject", "Reply-To"),
    "de": ("Von", "Gesendet", "Datum", "An", "Cc", "Kopie", "Betreff"),
    "fr": ("De", "Envoyé", "Date", "À", "Cc", "Objet"),
    "es": ("De", "Enviado", "Fecha", "Para", "CC", "Asunto"),
    "nl": ("Van", "Verzonden", "Datum", "Aan", "CC", "Onderwerp"),
    "it": ("Da", "Inviato", "Data", "A", "Cc", "Oggetto"),
    "pt": ("De", "Enviada", "Enviado", "Data", "Para", "Cc", "Assunto"),
}

#: Footers that mail clients append: one of these openings, then a device or app name (a whole short line, not
#: a sentence: "Sent from my desk, which is easier" is no footer), optionally with a link in angle brackets.
CLIENT_FOOTERS: Final[tuple[str, ...]] = (
    r"Sent from my",
    r"Sent from (?:Outlook|Mail|Yahoo Mail|Gmail|Proton Mail|Samsung)",
    r"Sent (?:with|via)",
    r"Get Outlook for",
    r"Von meinem",  # "Von meinem iPhone gesendet"
    r"Gesendet (?:von|mit)",
    r"Outlook für",  # "Outlook für iOS herunterladen"
    r"Envoyé (?:de|depuis)",
    r"Télécharger Outlook pour",
    r"Enviado (?:desde|de|do|com)",
    r"Obtener Outlook para",
    r"Obter o Outlook para",
    r"Verzonden (?:vanaf|met|van)",
    r"Outlook voor",  # "Outlook voor iOS downloaden"
    r"Inviato da",
    r"Scarica Outlook per",
)
CLIENT_FOOTER_REST: Final = r"(?:\s[^.,;:!?<>]{1,40})?[.!]?(?:\s*<[^<>\s]+>)?"

#: Openings of legal disclaimers: from such a line on, everything is disclaimer (a signature start).
DISCLAIMER_STARTS: Final[tuple[str, ...]] = (
    r"(?:disclaimer|confidentiality(?:\s+notice)?|legal\s+notice|haftungsausschluss|avis\s+de\s+confidentialité)\s*:",
    r"this\s+(?:e-?mail|message|communication)\b.{0,60}?\b(?:is|are|may)\s+(?:be\s+)?"
    r"(?:confidential|privileged|intended|contain)",
    r"the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message)",
    r"if\s+you\s+(?:are\s+not\s+the\s+intended\s+recipient|have\s+received\s+this\s+(?:e-?mail|message)\s+in\s+error)",
    r"diese\s+(?:e-?mail|nachricht)\b.{0,60}?\b(?:vertraulich|ausschließlich|ausschliesslich)",
    r"ce\s+(?:message|courriel|e-?mail)\b.{0,60}?\b(?:confidentiel|destiné|strictement)",
    r"este\s+(?:mensaje|correo)\b.{0,60}?\b(?:confidencial|destinado|privilegiad)",
    r"questo\s+messaggio\b.{0,60}?\b(?:riservat|confidenzial|destinat)",
    r"dit\s+(?:bericht|e-?mailbericht|e-?mail)\b.{0,60}?\b(?:vertrouwelijk|uitsluitend|bestemd)",
    r"esta\s+mensagem\b.{0,60}?\b(?:confidencia|destinad|privilegiad)",
)

#: A warning that a gateway puts on top of mail from outside ("CAUTION: This email originated from outside of
#: the organization. ..."): a first paragraph that opens with one of these words and says "outside"/"external".
BANNER_OPENINGS: Final[tuple[str, ...]] = (
    r"\[?(?:caution|warning|attention|external|notice|achtung|vorsicht|warnung|extern|avertissement|externe"
    r"|precaución|aviso|atención|externo|attenzione|avviso|esterno|let\s+op|waarschuwing|atenção|cuidado)\]?",
)
BANNER_WORDS: Final[tuple[str, ...]] = (
    r"outside",
    r"external",
    r"extern\w*",
    r"au(?:ß|ss)erhalb",
    r"extérieur\w*",
    r"fuera",
    r"al\s+di\s+fuori",
    r"buiten",
    r"fora",
)
BANNER_MAX_LINES: Final = 4

#: Sign-offs per language (case-insensitive regex fragments). A sign-off line is one of these, optionally followed
#: by a name ("Thanks, Bob"); "Thanks, but that did not help" is not one. Two of them joined by a conjunction
#: ("Thanks and regards", "Danke und Gruß") are one too.
SIGN_OFFS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        r"(?:best|kind|kindest|warm|warmest|many)\s+regards",
        r"regards",
        r"best(?:\s+wishes)?",
        r"all\s+the\s+best",
        r"cheers",
        r"(?:yours\s+)?(?:sincerely|truly|faithfully)",
        r"(?:many\s+)?thanks(?:\s+(?:so\s+much|a\s+lot|again|in\s+advance))*",
        r"thank\s+you(?:\s+(?:so\s+much|very\s+much|again|in\s+advance))*",
        r"with\s+thanks",
        r"take\s+care",
    ),
    "de": (
        r"mit\s+freundlichen\s+gr(?:ü|ue)(?:ß|ss)en",
        r"(?:freundliche|viele|beste|liebe|herzliche|schöne)\s+gr(?:ü|ue)(?:ß|ss)e",
        r"(?:besten\s+|schönen\s+)?gru(?:ß|ss)",
        r"gr(?:ü|ue)(?:ß|ss)e",
        r"mfg",
        r"danke(?:\s+(?:schön|sehr|im\s+voraus))?",
        r"(?:vielen|besten)\s+dank(?:\s+im\s+voraus)?",
    ),
    "fr": (
        r"(?:bien\s+|très\s+)?cordialement",
        r"(?:sincères\s+|meilleures\s+)?salutations",
        r"bien\s+à\s+vous",
        r"merci(?:\s+(?:beaucoup|d'avance|par\s+avance|encore))?",
        r"bonne\s+journée",
        r"à\s+bientôt",
    ),
    "es": (
        r"(?:un\s+)?(?:cordial\s+)?saludos?(?:\s+cordiales)?",
        r"atentamente",
        r"cordialmente",
        r"(?:muchas\s+)?gracias(?:\s+de\s+antemano)?",
        r"un\s+abrazo",
    ),
    "nl": (
        r"(?:met\s+)?(?:vriendelijke|hartelijke)\s+groet(?:en)?",
        r"groet(?:en|jes)?",
        r"mvg",
        r"(?:alvast\s+)?bedankt",
        r"dank\s+(?:je|u)(?:\s+wel)?",
    ),
    "it": (
        r"(?:cordiali|distinti)\s+saluti",
        r"saluti",
        r"un\s+saluto",
        r"grazie(?:\s+mille)?(?:\s+in\s+anticipo)?",
        r"a\s+presto",
    ),
    "pt": (
        r"atenciosamente",
        r"(?:melhores\s+)?cumprimentos",
        r"abraços?",
        r"(?:muito\s+)?obrigad[oa]",
        r"saudações",
    ),
}

SIGN_OFF_CONJUNCTIONS: Final[tuple[str, ...]] = ("and", "&", "und", "et", "y", "e", "en")

#: Greetings: new text that is only a greeting ("Hi team,") is no new content (a forward's note, a lone thanks).
GREETINGS: Final[tuple[str, ...]] = (
    r"hi",
    r"hello",
    r"hey",
    r"dear",
    r"good\s+(?:morning|afternoon|evening)",
    r"hallo",
    r"guten\s+(?:tag|morgen|abend)",
    r"sehr\s+geehrte[rs]?",
    r"liebe[rs]?",
    r"bonjour",
    r"bonsoir",
    r"salut",
    r"hola",
    r"buen(?:os|as)\s+(?:días|tardes|noches)",
    r"estimad[oa]s?",
    r"goedemorgen",
    r"goedemiddag",
    r"beste",
    r"ciao",
    r"buongiorno",
    r"gentile",
    r"olá",
    r"oi",
    r"bom\s+dia",
    r"boa\s+tarde",
    r"prezad[oa]s?",
)

# ---------------------------------------------------------------------------------------------------------------
# Compiled patterns (matched against a cleaned line: no invisible characters, non-breaking spaces as spaces,
# surrounding whitespace stripped)
# ---------------------------------------------------------------------------------------------------------------


def _alternation(fragments: tuple[str, ...] | list[str]) -> str:
    return "|".join(f"(?:{fragment})" for fragment in fragments)


_INVISIBLE = regex_code.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_ODD_SPACES = regex_code.compile("[\u00a0\u2007\u202f\t]")
_WORDS = regex_code.compile(r"\S+")
# Words no name, title or company in a signature is made of: "Thanks. Never Arrived." is not signed by Never Arrived.
_NOT_A_NAME_TEXT = (
    "never arrived wrong size cancel everything just great not still broken missing late again damaged refund help "
    "no nothing nobody useless terrible awful disappointed angry sorry but though "
    # One word after a closing that is a verdict, not a name: "Received. Cracked.", "Great. Typical."
    "empty cracked smashed shattered dented torn ripped soaked leaking ruined faulty defective unusable rubbish typical "
    "unbelievable ridiculous pathetic shocking disgraceful appalling seriously whatever"
)
NOT_A_NAME = frozenset(_NOT_A_NAME_TEXT.split())
# Lower-case words a signature line may hold ("Head of Sales", "Anna von Berg", "Sent via Acme Mail").
_SIGNATURE_SMALL_TEXT = "from my for of and the at on via in to by sent von van der de la le du et und y"
_SIGNATURE_SMALL_WORDS = frozenset(_SIGNATURE_SMALL_TEXT.split())
_CONTACT_TOKEN = regex_code.compile(r"[@\d/.]|^www|^https?")
# "PS:", "P.S.", "PPS -", "P.P.S.": a postscript, not a company called "PS Systems" or a word like "Psychology".
_POSTSCRIPT = regex_code.compile(r"p\.?\s?p?\.?\s?s(\.|:|\s*[-–—])", re.IGNORECASE)

_ATTRIBUTION = regex_code.compile(
    _alternation([rf"{opener}\s.+?\b{verb}\s*:" for _, opener, verb in ATTRIBUTION_FORMS])
)
_ADDRESS_ATTRIBUTION = regex_code.compile(
    rf".{{0,200}}?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?\)?\s*(?:{_alternation(ADDRESS_ATTRIBUTION_VERBS)})\s*:"
)
_ATTRIBUTION_OPENER = regex_code.compile(_alternation([rf"{opener}\s" for _, opener, _ in ATTRIBUTION_FORMS]))
_ATTRIBUTION_EVIDENCE = regex_code.compile(
    r"[\d@]"
)  # a date, a time or an address: "On Monday I wrote:" is not one

_HISTORY_MARKER = regex_code.compile(
    rf"-{{2,}}\s*(?:{_alternation(ORIGINAL_MESSAGE_TITLES + FORWARD_TITLES)})\s*-{{2,}}"
    rf"|(?:{_alternation(FORWARD_INTRODUCTIONS)})\s*:",
    re.IGNORECASE,
)
_FORWARD_MARKER = regex_code.compile(
    rf"-{{2,}}\s*(?:{_alternation(FORWARD_TITLES)})\s*-{{2,}}|(?:{_alternation(FORWARD_INTRODUCTIONS)})\s*:",
    re.IGNORECASE,
)
_RULE = regex_code.compile(r"[_-]{10,}")

_FROM_KEY = regex_code.compile(
    rf"\*{{0,2}}(?:{_alternation(sorted({keys[0] for keys in HEADER_BLOCK_KEYS.values()}))})\*{{0,2}}\s?:"
)
_HEADER_KEY = regex_code.compile(
    rf"\*{{0,2}}(?:{_alternation(sorted({key for keys in HEADER_BLOCK_KEYS.values() for key in keys}))})"
    r"\*{0,2}\s?:(?:\s|\*|$)"
)

_SIGNATURE_DELIMITER = "--"  # RFC 3676 "-- ", whose trailing space many clients drop
_CLIENT_FOOTER = regex_code.compile(rf"(?:{_alternation(CLIENT_FOOTERS)}){CLIENT_FOOTER_REST}", re.IGNORECASE)
_DISCLAIMER_START = regex_code.compile(_alternation(DISCLAIMER_STARTS), re.IGNORECASE)
_BANNER = regex_code.compile(
    rf"(?:{_alternation(BANNER_OPENINGS)})\b.{{0,200}}?\b(?:{_alternation(BANNER_WORDS)})\b", re.IGNORECASE
)

_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w.'’-]*"
_ANY_SIGN_OFF = _alternation([fragment for fragments in SIGN_OFFS.values() for fragment in fragments])
_SIGN_OFF = regex_code.compile(
    rf"(?i:(?:{_ANY_SIGN_OFF})(?:,?\s+(?:{_alternation(SIGN_OFF_CONJUNCTIONS)})\s+(?:{_ANY_SIGN_OFF}))?)"
    rf"[\s,.!;:–—-]*(?:{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,{SIGN_OFF_MAX_NAME_WORDS - 1}}}[\s,.!]*)?"
)
_GREETING = regex_code.compile(rf"(?i:{_alternation(GREETINGS)})(?:\s[\w .'’-]{{0,40}})?[,!.:]?")


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------


def extract_reply(text: str, *, language_hint: str | None = None) -> str:
    """Return what the customer wrote this time: ``text`` without quoted history and without signature.

    ``text`` is a decoded plain-text body (``\\r\\n`` or ``\\n``). The result uses ``\\n``, has no trailing
    spaces and at most one blank line in a row, and is empty only if ``text`` is blank.

    ``language_hint`` (an ISO 639-1 code) is accepted for callers that know the customer's language, but the
    rules of every supported language always apply: quote headers are written in the language of the *mail
    client* of whoever wrote earlier (often not the customer's), so narrowing by the hint only loses matches.
    """
    del language_hint  # see the docstring: deliberately not used to narrow the rules
    if not text.strip():
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reply = _extract(lines, depth=0)
    if reply:
        return reply
    unquoted = _tidy(_split(lines).new)
    return unquoted or "\n".join(lines).strip()


def reads_as_signature(block: str) -> bool:
    """Every line of ``block`` could be a signature's: a sign-off, names, titles, companies, contact details, a mail
    client's footer ("Sent from my iPhone"), a disclaimer; not a sentence ("Still can't log in though")."""
    for raw_line in block.splitlines():
        line = _clean(raw_line)
        if (
            not line
            or line == _SIGNATURE_DELIMITER
            or _CLIENT_FOOTER.fullmatch(line)
            or _SIGN_OFF.fullmatch(line)
        ):
            continue
        if _DISCLAIMER_START.match(line):
            return True  # the rest is the disclaimer
        words = _WORDS.findall(line)
        if len(words) > SIGNATURE_MAX_LINE_WORDS:
            return False
        for word in words:
            bare = word.strip(".,:;|()[]-–—'\"")
            if bare.lower() in NOT_A_NAME or (
                bare[:1].islower() and bare not in _SIGNATURE_SMALL_WORDS and not _CONTACT_TOKEN.search(bare)
            ):
                return False
    return True


def marks_a_forward(text: str) -> bool:
    """``text`` holds a forward's marker ("---------- Forwarded message ---------", "Begin forwarded message:", in
    the languages of ``FORWARD_TITLES`` and ``FORWARD_INTRODUCTIONS``)."""
    return _FORWARD_MARKER.search(text) is not None


def below_the_reply(text: str) -> str:
    """What ``extract_reply`` cut below the customer's new words, above any quoted history: the signature, or lines
    read as one ("Thanks / Sent from my iPhone / Still can't log in though"). Empty when nothing was cut there."""
    if not text.strip():
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    split = _split(lines)
    new, clean = _without_banner(split.new, split.new_clean)
    end = _cut_signature(clean)
    if _has_content(clean[:end]):
        return _tidy(new[end:])
    if end < len(clean) and _SIGN_OFF.fullmatch(clean[end]):
        return _tidy(new[end + 1 :])  # a lone "Thank you!" is the reply: what follows it is below
    return ""


def earlier_words_of(history: str, writer: tuple[str, ...]) -> str:
    """What ``history`` (the lines below a reply's new words) quotes of the earlier messages of ``writer``: the
    messages whose header ("On <date>, Ana wrote:", "Ana <ana@example.org> wrote:", an Outlook "From: Ana …" block)
    names one of ``writer`` (an address or a whole name anywhere in it, a single name as one of its words; compared
    case-folded, names of three letters or more), without their quote marks and signatures. Empty when none is
    theirs.

    A customer asking "any update?" on top of their own earlier mail still means what that mail said ("the battery
    burned a hole in the carpet"), and a person should read it; the words of others in a thread (our notices and
    replies, a courier's) are not the customer's and are not returned."""
    names = tuple(name.casefold() for name in writer if len(name) > 2)
    if not names or not history.strip():
        return ""
    clean = [_clean(_QUOTE_MARKS.sub("", line)) for line in history.replace("\r\n", "\n").split("\n")]
    blocks: list[str] = []
    owned: list[str] | None = None  # the lines of the current message, when its header names the writer
    index = 0
    while index < len(clean):
        span = _attribution_span(clean, index) if clean[index] else 0
        if not span and _header_block_at(clean, index):
            span = 1
        if not span:
            if owned is not None:
                owned.append(clean[index])
            index += 1
            continue
        if owned:
            blocks.append(_extract(owned, MAX_FORWARD_DEPTH))
        header = " ".join(clean[index : index + span]).casefold()
        words = set(_HEADER_WORD.findall(header))
        # An address or a whole name anywhere in the header; a single word only as a word of it ("Ana", not "Ananya")
        named = any(name in header if ("@" in name or " " in name) else name in words for name in names)
        owned = [] if named else None
        index += span
    if owned:
        blocks.append(_extract(owned, MAX_FORWARD_DEPTH))
    return "\n\n".join(block for block in blocks if block)


# ---------------------------------------------------------------------------------------------------------------
# Implementation
# ---------------------------------------------------------------------------------------------------------------

_QUOTE_MARKS = regex_code.compile(r"^[>\s]*>\s?")
_HEADER_WORD = regex_code.compile(r"\w+")


@dataclass(frozen=True)
class _Split:
    new: list[str]  # the unquoted lines above the history
    new_clean: list[str]  # the same lines cleaned (``_clean``), each line cleaned once per body
    earlier: list[str] | None  # the earlier message below an unquoted history marker, past its headers


def _extract(lines: list[str], depth: int) -> str:
    split = _split(lines)
    new, clean = _without_banner(split.new, split.new_clean)
    end = _cut_signature(clean)
    body, signature = new[:end], new[end:]
    if _has_content(clean[:end]):
        return _tidy(body)
    if split.earlier is not None and depth < MAX_FORWARD_DEPTH:
        forwarded = _extract(split.earlier, depth + 1)
        if forwarded:
            return forwarded
    if signature and _SIGN_OFF.fullmatch(clean[end]):
        return _tidy(body + signature[:1])  # the message is a lone "Thank you!": keep it, not the name below
    return ""  # a cut that leaves at most a greeting was wrong, or there is nothing but a signature


def _clean(line: str) -> str:
    if line.isascii():  # of the characters the two patterns replace, only the tab is ASCII
        return line.replace("\t", " ").strip()
    return _ODD_SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def _split(lines: list[str]) -> _Split:
    clean = [_clean(line) for line in lines]
    new: list[str] = []
    new_clean: list[str] = []
    index = 0
    while index < len(lines):
        line = clean[index]
        if not line:  # a blank line is none of the markers below (each needs a character): new text
            new.append(lines[index])
            new_clean.append(line)
            index += 1
            continue
        if line.startswith(">") or _continues_quote(clean, index):
            index += 1
            continue
        span = _attribution_span(clean, index)
        if span:
            following = _next_non_blank(clean, index + span)
            if following is not None and clean[following].startswith(">"):
                index += span  # the header of a quoted block goes with it
                continue
            return _Split(new, new_clean, lines[index + span :])
        # Each test only where its pattern could match the whole line: a marker holds "-" or ":", a rule starts
        # with one of its characters.
        if ("-" in line or ":" in line) and _HISTORY_MARKER.fullmatch(line):
            return _Split(new, new_clean, _skip_header_block(lines, clean, index + 1))
        if line[0] in "_-" and _RULE.fullmatch(line):
            following = _next_non_blank(clean, index + 1)
            if (
                following is not None
                and following - index <= RULE_TO_HEADERS_MAX_LINES
                and _header_block_at(clean, following)
            ):
                return _Split(new, new_clean, _skip_header_block(lines, clean, following))
        if _header_block_at(clean, index):
            return _Split(new, new_clean, _skip_header_block(lines, clean, index))
        new.append(lines[index])
        new_clean.append(line)
        index += 1
    return _Split(new, new_clean, None)


def _continues_quote(clean: list[str], index: int) -> bool:
    """An unquoted line that is the wrapped tail of the long quoted line above it, with more quote below.

    Some clients wrap quoted text after adding the ``>``: "> ... kale chips" / "brooklyn four dollar toast" /
    "> ...". A customer's inline answer follows a finished question ("?", ".") or a blank line instead.
    """
    if index == 0 or index + 1 >= len(clean):
        return False
    above, line, below = clean[index - 1], clean[index], clean[index + 1]
    quoted_text = above.lstrip("> ")
    return (
        above.startswith(">")
        and below.startswith(">")
        and len(quoted_text) >= QUOTE_WRAP_MIN_CHARS
        and quoted_text[-1].isalnum()
        and line[:1].islower()
    )


def _attribution_span(clean: list[str], index: int) -> int:
    """How many lines (0 to ``ATTRIBUTION_MAX_LINES``) an attribution header starting at ``index`` takes."""
    line = clean[index]
    if len(line) > ATTRIBUTION_MAX_CHARS:
        return 0
    if line.endswith(":") and "@" in line and _ADDRESS_ATTRIBUTION.fullmatch(line):
        return 1
    if not _ATTRIBUTION_OPENER.match(line):
        return 0
    for span in range(1, ATTRIBUTION_MAX_LINES + 1):
        parts = clean[index : index + span]
        if len(parts) < span or not parts[-1]:
            return 0
        joined = " ".join(parts)
        if len(joined) > ATTRIBUTION_MAX_CHARS:
            return 0
        if joined.endswith(":") and _ATTRIBUTION_EVIDENCE.search(joined) and _ATTRIBUTION.fullmatch(joined):
            return span
    return 0


def _header_block_at(clean: list[str], index: int) -> bool:
    """A sender line ("From:", "Von:", "De :", ...) directly followed by another header line."""
    return (
        index + 1 < len(clean)
        and ":" in clean[index]  # every sender line has one
        and _FROM_KEY.match(clean[index]) is not None
        and _HEADER_KEY.match(clean[index + 1]) is not None
    )


def _skip_header_block(lines: list[str], clean: list[str], start: int) -> list[str]:
    """The lines after the header block that starts at ``start`` (blank lines before it included)."""
    index = _next_non_blank(clean, start)
    if index is None:
        return []
    while index < len(lines) and clean[index]:
        is_continuation = lines[index][:1] in (" ", "\t")
        if not (_HEADER_KEY.match(clean[index]) or is_continuation):
            break
        index += 1
    return lines[index:]


def _next_non_blank(clean: list[str], start: int) -> int | None:
    return next((index for index in range(start, len(clean)) if clean[index]), None)


def _without_banner(lines: list[str], clean: list[str]) -> tuple[list[str], list[str]]:
    """``lines`` (and their cleaned ``clean``) without an external-sender warning as their first paragraph."""
    start = _next_non_blank(clean, 0)
    if start is None:
        return lines, clean
    end = next((index for index in range(start, len(clean)) if not clean[index]), len(clean))
    if end - start <= BANNER_MAX_LINES and _BANNER.match(" ".join(clean[start:end])):
        return lines[end:], clean[end:]
    return lines, clean


class _SignatureLines:
    """One body's cleaned lines with their signature tests, each test run at most once per line.

    Every cut of ``_cut_signature`` reads again all lines above the previous cut, and the sign-off pattern alone
    costs about a microsecond per line.
    """

    def __init__(self, clean: list[str]) -> None:
        self.clean = clean
        self.disclaimer = [bool(_DISCLAIMER_START.match(line)) for line in clean]
        # A client footer or a sign-off; None: not tested yet.
        self.opener: list[bool | None] = [None] * len(clean)


def _cut_signature(clean: list[str]) -> int:
    """Where the signature starts in the cleaned lines ``clean`` (their length if there is none): at a delimiter,
    a disclaimer, a client footer or a sign-off.

    Cut again on what is left ("Thanks, / Bob" above a "-- " block), a bounded number of times.
    """
    lines = _SignatureLines(clean)
    end = len(clean)
    for _ in range(MAX_SIGNATURE_CUTS):
        start = _signature_start(lines, end)
        if start is None:
            break
        end = start
    return end


def _signature_start(lines: _SignatureLines, end: int) -> int | None:
    """The first line of ``lines.clean[:end]`` that starts the signature, or None."""
    for index in range(end):
        line = lines.clean[index]
        if line == _SIGNATURE_DELIMITER or lines.disclaimer[index]:
            return index
        opener = lines.opener[index]
        if opener is None:
            opener = lines.opener[index] = bool(_CLIENT_FOOTER.fullmatch(line) or _SIGN_OFF.fullmatch(line))
        if opener and _is_signature_tail(lines, index + 1, end):
            return index
    return None


def _is_signature_tail(lines: _SignatureLines, start: int, end: int) -> bool:
    """Whether ``lines.clean[start:end]`` is a few short lines that read like name, title, company, phone (not
    sentences), possibly followed by a disclaimer."""
    count = 0
    for index in range(start, end):
        line = lines.clean[index]
        if not line:
            continue
        if lines.disclaimer[index]:
            return True
        count += 1
        if count > SIGNATURE_MAX_LINES or not _is_signature_line(line):
            return False
    return True


def _is_prose_word(word: str) -> bool:
    """A lower-case word of a sentence: not a label ("mobile:"), a contact detail or a small word of a title."""
    bare = word.strip(".,;!?()[]'\"")
    return (
        not word.endswith(":")
        and len(bare) > 1
        and bare[:1].islower()
        and bare not in _SIGNATURE_SMALL_WORDS
        and not _CONTACT_TOKEN.search(bare)
    )


def _is_signature_line(line: str) -> bool:
    if _POSTSCRIPT.match(line):
        return False  # "PS: let me talk to a person" below "Thanks, Bob" is the customer writing, not a signature
    found = _WORDS.findall(line)
    words = len(found)
    if (
        words >= PROSE_LINE_MIN_WORDS
        and sum(map(_is_prose_word, found)) >= PROSE_LINE_MIN_LOWER_WORDS
        and not _CLIENT_FOOTER.fullmatch(line)
    ):
        # "my daughter burned her neck with them", "card stolen after buying from you" below "Thanks / Anna": a
        # sentence without its full stop. Names, titles, companies and contact details are capitalised, digits or
        # labels ("tel:", "m:").
        return False
    is_sentence = line.endswith(("?", ":")) or (line.endswith((".", "!")) and words >= PROSE_MIN_WORDS)
    return len(line) <= SIGNATURE_MAX_LINE_CHARS and words <= SIGNATURE_MAX_LINE_WORDS and not is_sentence


def _has_content(clean: list[str]) -> bool:
    """Whether the cleaned lines ``clean`` say more than a greeting."""
    return any(line and not _GREETING.fullmatch(line) for line in clean)


def _tidy(lines: list[str]) -> str:
    """Join with ``\\n``: no trailing spaces, no run of blank lines, no blank edges."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
