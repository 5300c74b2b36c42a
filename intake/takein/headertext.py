"""Header text in any charset: RFC 2047 encoded words, mislabelled charsets, raw 8-bit bytes."""
from __future__ import annotations

import re
import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header

# What mail clients really mean by these labels: the superset each one names in practice
# (as the WHATWG Encoding Standard maps them for browsers).
SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "iso-8859-9": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874",
    "unicode-1-1-utf-7": "utf-7", "iso-8859-6": "cp1256",
}
_RAW_8BIT = re.compile("[\udc80-\udcff]")
# Raw 8-bit header bytes with no label: the charsets senders of this mailbox actually use.
GUESSES = ("cp1252", "cp1256", "gb18030", "cp932", "cp949", "cp1251")
_SCRIPTS = ("LATIN", "ARABIC", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "CYRILLIC", "GREEK", "HEBREW")


def codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip('"').lower()
    return SUPERSETS.get(label, label)


def bytes_to_text(data: bytes, *charsets: str | None) -> str:
    """The first of the charsets that decodes the bytes cleanly; else latin-1 (never fails)."""
    for name in (*charsets, "utf-8"):
        try:
            return data.decode(codec(name)) if name else data.decode("utf-8")
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


def plausibility(text: str) -> float:
    """How much decoded text looks like words: each word in one script, and Latin words mostly
    plain ASCII (French has a few accents per word; mojibake is all accents)."""
    total = score = 0.0
    for word in re.findall(r"[^\W\d_]+", text):
        scripts = {next((s for s in _SCRIPTS if unicodedata.name(ch, "").startswith(s)), "OTHER") for ch in word}
        value = 0.0 if len(scripts) > 1 or "OTHER" in scripts else 1.0
        if scripts == {"LATIN"} and sum(not ch.isascii() for ch in word) > max(1, len(word) // 3):
            value = 0.2
        total += len(word)
        score += value * len(word)
    return score / total if total else 0.0


def guess_text(data: bytes, declared: str | None) -> str:
    """Unlabelled 8-bit bytes: UTF-8 or the declared charset when they decode, else the likeliest."""
    for name in ("utf-8", declared):
        try:
            return data.decode(codec(name)) if name else data.decode("utf-8")
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    decoded = []
    for name in GUESSES:
        try:
            decoded.append(data.decode(name))
        except UnicodeDecodeError:
            continue
    return max(decoded, key=plausibility, default=data.decode("latin-1"))


def header_text(value, fallback: str | None = None) -> str:
    """Readable text of a raw header value. Raw 8-bit bytes (kept by the parser as surrogate
    escapes) are read as UTF-8, else in the message's own charset (`fallback`)."""
    value = str(value)
    if _RAW_8BIT.search(value):
        value = guess_text(value.encode("ascii", "surrogateescape"), fallback)
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except (ValueError, IndexError, TypeError, AssertionError, HeaderParseError):
        return value   # a broken encoded word ("=?iso-8859-6?b?x?=") is kept as written
    return "".join(chunk if isinstance(chunk, str) else bytes_to_text(chunk, charset, fallback)
                   for chunk, charset in chunks)
