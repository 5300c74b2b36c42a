"""The words that recognise each piece of an application, and how text is compared with them.

Defaults live in intake/defaults/pieces.toml (edited by admins, not programmers); a posting's
rules file adds words and pieces on top (rules.py merges them before calling classify).
"""
from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path

import pydantic

from .text import COMBINING_MARKS

DEFAULTS = Path(__file__).parent / "defaults" / "pieces.toml"


class PieceVocab(pydantic.BaseModel, extra="forbid"):
    label: str                     # French label shown in reports
    names: list[str] = []          # words recognised in a file name
    content: list[str] = []        # words recognised anywhere in the text (1 point each)
    headings: list[str] = []       # section titles: 2 points each when alone on a short line
    introductions: list[str] = []  # words that end a sentence ending in ":" and announce a list
    min_score: int = pydantic.Field(default=4, ge=1)  # points needed to credit by content
    rivals: list[str] = []         # pieces a single document cannot also be (the stronger wins)


@functools.cache
def load_default_vocabulary() -> dict[str, PieceVocab]:
    """The shipped defaults, read once (callers copy the dict before changing it)."""
    return load_vocabulary(DEFAULTS)


def load_vocabulary(path: Path) -> dict[str, PieceVocab]:
    with open(path, "rb") as handle:
        raw = tomllib.load(handle)
    return {piece: PieceVocab.model_validate(fields) for piece, fields in raw.items()}


# --- comparing text with words -------------------------------------------------------------

_ARABIC_FOLD = str.maketrans({"ى": "ي", "ة": "ه", "ـ": None, "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})
_NOT_WORD = re.compile(r"[^\w\n@]+|_")
_SPACES = re.compile(r"[ ]+")
_LINE_ENDS = re.compile(r" ?\n ?")


def normalise(text: str) -> str:
    """Lower case, no accents or Arabic vowel marks, punctuation as spaces; newlines kept."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)
    text = COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text))
    text = _SPACES.sub(" ", _NOT_WORD.sub(" ", text))   # only spaces are left between words
    return _LINE_ENDS.sub("\n", text).strip(" ")


@functools.lru_cache(maxsize=16384)
def normalise_phrase(phrase: str) -> str:
    """normalise(), remembered: for the vocabulary's phrases, compared again and again."""
    return normalise(phrase)


def normalise_filename(filename: str) -> str:
    """The last path component without extension; CamelCase and digits split into words."""
    name = filename.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 5:
        name = stem
    name = re.sub(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])|(?<=[^\W\d])(?=\d)|(?<=\d)(?=[^\W\d])", " ", name)
    return normalise(name).replace("\n", " ")


@functools.lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """A phrase as a regex over normalised text: whole Latin words (plural s/x allowed);
    Arabic words may carry attached prefixes and suffixes (ال, و, ب, ...)."""
    words = normalise(phrase).split()
    if not words:
        return None
    parts = [re.escape(w) + ("[sx]?" if w[-1].isascii() and w[-1].isalpha() else "") for w in words]
    body = r"\s+".join(parts)
    left = r"(?<![a-z0-9])" if words[0][0].isascii() else ""
    right = r"(?![a-z0-9])" if words[-1][-1].isascii() else ""
    return re.compile(left + body + right)
