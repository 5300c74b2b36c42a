"""safe_filename: a file name an applicant chose, made harmless for disks, logs and reports."""
from __future__ import annotations

import re
import unicodedata

FALLBACK = "piece-jointe"
MAX_LENGTH = 120  # characters; generous for a human name, far below any filesystem limit

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_RESERVED = re.compile(r'[<>:"|?*]')


def safe_filename(name: str | None) -> str:
    """Keep only the last path component, without control characters, of bounded length.

    >>> safe_filename("../../etc/passwd")
    'passwd'
    """
    if not name:
        return FALLBACK
    text = unicodedata.normalize("NFC", str(name))
    text = _CONTROL.sub("", text)
    text = re.split(r"[\\/]", text)[-1]
    text = _RESERVED.sub("_", text).strip().strip(".").strip()
    if not text:
        return FALLBACK
    return _shorten(text)


def _shorten(text: str) -> str:
    if len(text) <= MAX_LENGTH:
        return text
    stem, dot, ext = text.rpartition(".")
    if dot and 0 < len(ext) <= 10 and stem:
        return stem[: MAX_LENGTH - len(ext) - 1].rstrip() + "." + ext
    return text[:MAX_LENGTH]
