"""Text normalisation shared by routing and rules checking (pure functions)."""
from __future__ import annotations

import re
import unicodedata

# Reply/forward prefixes in the languages applicants use: RE:, TR:, Fwd:, Réf :, AW:, WG:, رد: ...
# Possessive quantifiers (*+) throughout: no pattern here may backtrack over a long run of
# spaces an applicant typed (a 40,000-space subject once took 51 s), see docs/robustness.md.
_PREFIX = re.compile(
    r"^\s*+(?:(?:re|ré|rep|réf|ref|fw|fwd|tr|trs|aw|wg|sv|vs|rv|antw|r|f|رد|إعادة توجيه|توجيه)"
    r"\s*+(?:(?:\[\d++\]|\(\d++\))\s*+)?[:：]\s*+|\[[^\]]{0,40}\]\s*+)+",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
# Words that carry no meaning for matching a subject (French, English).
STOPWORDS = frozenset(
    "a au aux de des du d l la le les un une et en pour par sur the of for to an and in "
    "mon ma mes votre vos objet subject".split()
)


def fold(text: str) -> str:
    """Casefold and strip accents (NFKD), keep Arabic letters as they are."""
    if text.isascii():   # nothing to decompose or strip: NFKD and NFC leave ASCII as it is
        return text.casefold()
    return unicodedata.normalize("NFC", strip_marks(unicodedata.normalize("NFKD", text))).casefold()


def _combining_marks() -> re.Pattern[str]:
    """Every combining mark (accents, Arabic vowel signs) of the Basic Multilingual Plane, as
    one character class of ranges: removed by the regex engine in C (a translate table with an
    entry per mark cost a fifth of the time of classifying a document)."""
    marks = [cp for cp in range(0x10000) if unicodedata.combining(chr(cp))]
    ranges, start = [], marks[0]
    for prev, cp in zip(marks, marks[1:] + [None]):
        if cp != prev + 1:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
            start = cp
    return re.compile(f"[{''.join(ranges)}]+")


COMBINING_MARKS = _combining_marks()


def strip_marks(text: str) -> str:
    """The text without its combining marks, wherever they are in Unicode (beyond the Basic
    Multilingual Plane too, character by character: three times slower, and rare)."""
    if not text or max(text) <= "\uffff":
        return COMBINING_MARKS.sub("", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def strip_prefixes(subject: str) -> str:
    return _PREFIX.sub("", subject or "").strip()


def _stem(word: str) -> str:
    """Crude French plural/feminine folding so chargé·e, chargée, chargé(e), chargés match."""
    for _ in range(2):
        for suffix in ("es", "e", "s"):
            if len(word) > 2 + len(suffix) and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
    return word


def words(text: str) -> list[str]:
    """Meaningful, folded, stemmed words of a subject or title."""
    tokens = _SEPARATORS.split(fold(text))
    return [_stem(t) for t in tokens if t and t not in STOPWORDS and not (len(t) <= 2 and t.isalpha() and t.isascii())]


def subject_words(subject: str) -> list[str]:
    return words(strip_prefixes(subject))
