"""Text → the terms the bundled model counts. Pure Python, shared by training and the numpy scorer.

Training hands :func:`normalise` to scikit-learn's own analyzers. Their terms are re-implemented here
(``word_ngrams``, ``char_wb_ngrams``; a parity test proves both agree) so the Lambda never imports scikit-learn;
the scorer counts the same terms as hashes (``triage.termhash``, held to these functions by its own tests).
"""

from __future__ import annotations

import re

from triage import regex_code

# Bitext writes entities as {{Order Number}}; real mail writes #A-48213 or 55120. Both become one token.
_PLACEHOLDER = regex_code.compile(r"\{\{\s*([^}]*?)\s*\}\}")
_NUMBERISH = regex_code.compile(r"(?<![\w])[#]?(?=[\w-]*\d)[\w-]{2,}")
_URL = regex_code.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = regex_code.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_DIGITS = regex_code.compile(r"\d+")  # every _NUMBERISH match holds one
_NUMBER_PLACEHOLDER_WORDS = ("number", "id", "amount", "date", "phone", "zip", "code")

NUMBER_TOKEN = "zznum"
ENTITY_TOKEN = "zzentity"
URL_TOKEN = "zzurl"
EMAIL_TOKEN = "zzemail"

WORD_TOKEN = regex_code.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = regex_code.compile(r"\s\s+")  # scikit-learn's whitespace folding for char_wb


def _placeholder(match: re.Match[str]) -> str:
    name = match.group(1).lower()
    token = NUMBER_TOKEN if any(word in name for word in _NUMBER_PLACEHOLDER_WORDS) else ENTITY_TOKEN
    return f" {token} "


def normalise(text: str) -> str:
    """Lower case, with entities (numbers, ids, urls, addresses, template placeholders) folded to one token each.

    Each fold runs only where the text holds what every match must contain ("{{", "://" or "www.", "@", a digit):
    the same result, without the regex engine trying every position of a message that has none (most have no
    address or link, and the e-mail pattern is the slowest of the four). Numbers fold run by run.
    """
    if "{{" in text:
        text = _PLACEHOLDER.sub(_placeholder, text)
    # Caseless "www." can only be "www." once lower-cased: no other character folds to "w" or ".".
    if "://" in text or "www." in text.lower():
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
    return _fold_numbers(text).lower()


def _in_run(char: str) -> bool:
    """A character of _NUMBERISH's matches: \\w (as re reads it in a str), "#" or "-"."""
    return char.isalnum() or char in "_#-"


def _fold_numbers(text: str) -> str:
    """``_NUMBERISH.sub(" zznum ", text)``, run only on the runs of ``_in_run`` characters that hold a digit.

    A match never spans another character, and a run's first character follows one (or the start of the text),
    where _NUMBERISH's look-behind reads the same as at the start of the run alone: so each run folds alike on its
    own, and a run without a digit has no match. The digits are found in C; the whole text (most of it words)
    is not tried position by position: 16 -> 4 µs for a mail with an order number.
    """
    parts: list[str] = []
    done = 0  # the text before this is in parts
    for digits in _DIGITS.finditer(text):
        start, end = digits.span()
        if start < done:
            continue  # in a run already folded
        while start > done and _in_run(text[start - 1]):
            start -= 1
        while end < len(text) and _in_run(text[end]):
            end += 1
        parts += [text[done:start], _NUMBERISH.sub(f" {NUMBER_TOKEN} ", text[start:end])]
        done = end
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def word_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Same terms as ``TfidfVectorizer(analyzer="word", preprocessor=normalise, ngram_range=...)``."""
    return word_ngrams_of_normalised(normalise(text), ngram_range)


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Same terms as ``TfidfVectorizer(analyzer="char_wb", preprocessor=normalise, ngram_range=...)``."""
    return char_wb_ngrams_of_normalised(normalise(text), ngram_range)


def word_ngrams_of_normalised(normalised: str, ngram_range: tuple[int, int]) -> list[str]:
    tokens = WORD_TOKEN.findall(normalised)
    low, high = ngram_range
    terms = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return terms


def char_wb_ngrams_of_normalised(normalised: str, ngram_range: tuple[int, int]) -> list[str]:
    """The same multiset of terms as scikit-learn's ``char_wb`` analyzer (grouped by n rather than by word:
    only the counts matter). A padded word no longer than ``high`` also yields itself once, whole."""
    low, high = ngram_range
    padded = [f" {word} " for word in _WHITE_SPACES.sub(" ", normalised).split()]
    terms = [word for word in padded if len(word) <= high]
    for n in range(low, high + 1):
        terms += [word[i : i + n] for word in padded if len(word) > n for i in range(len(word) - n + 1)]
    return terms
