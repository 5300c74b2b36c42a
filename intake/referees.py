"""Referees named under a "Références" heading (in a document, a CV section or a mail body).

A referee is a block of lines with a sign of a person to contact: an honorific, a job title,
an e-mail address or a phone number. Blocks naming the same address, phone or name are one
referee. The section ends at the next heading of another piece or at a closing formula.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .vocabulary import normalise, phrase_pattern

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+|00)?\d[\d .()/-]{7,}\d")
_MARKER = re.compile(r"^\s*(?:[-•*·▪►–—o]|\d{1,2}[.)-]|[a-z][.)])\s+", re.I)
_HONORIFIC = re.compile(  # an honorific followed by a capitalised name (not "Professeur, ...")
    r"^(?i:m\.?|mr\.?|mme|mlle|mrs\.?|ms\.?|dr\.?|pr\.?|prof\.?|me|monsieur|madame|docteur|"
    r"professeur|السيد|السيدة|الدكتور|الدكتورة|الأستاذ|الأستاذة|ذ\.)\s+(?=[A-ZÀ-Þ\u0621-\u064a])")
_TITLE_WORDS = ("directeur", "directrice", "president", "presidente", "coordinateur",
                "coordinatrice", "responsable", "chef", "professeur", "manager", "director",
                "coordinator", "head of", "supervisor", "superviseur", "charge de", "chargee de",
                "مدير", "مديرة", "رئيس", "رئيسة", "منسق", "منسقة", "استاذ")
_ON_REQUEST = ("sur demande", "upon request", "on request", "available on", "عند الطلب")
_CLOSINGS = ("cordialement", "veuillez agreer", "bien a vous", "salutations", "best regards",
             "kind regards", "sincerely", "regards", "merci", "مع خالص", "تقبلوا", "والسلام")


def find_referees(text: str, headings: Iterable[str], stops: Iterable[str]) -> list[str]:
    """Distinct referees (one identity key each) in every references section of ``text``."""
    heads = [p for p in map(phrase_pattern, headings) if p]
    stop_heads = [p for p in map(phrase_pattern, stops) if p]
    blocks: list[list[str]] = []
    for section in _sections(text.splitlines(), heads, stop_heads):
        blocks.extend(_blocks(section))
    return _distinct(b for b in blocks if _is_referee(b))


def _heading_rest(line: str, heads) -> str | None:
    """The text after a references heading that starts ``line``, or None if it is no heading."""
    norm = normalise(_MARKER.sub("", line))
    for head in heads:
        match = head.match(norm)
        if not match:
            continue
        raw_rest = line.split(":", 1)[1] if ":" in line else ""
        if ":" in line or len(norm[match.end():].split()) <= 2:
            return raw_rest.strip()
    return None


def _sections(lines: list[str], heads, stop_heads) -> Iterable[list[str]]:
    current: list[str] | None = None
    for line in lines:
        rest = _heading_rest(line, heads)
        if rest is not None:
            if current:
                yield current
            current = [part for part in re.split(r"\s*;\s*", rest) if part]
        elif current is not None:
            if _ends_section(line, stop_heads):
                yield current
                current = None
            else:
                current.append(line)
    if current:
        yield current


def _ends_section(line: str, stop_heads) -> bool:
    norm = normalise(line)
    if not norm or len(norm.split()) > 6:
        return False
    return any(norm.startswith(c) for c in _CLOSINGS) or any(h.match(norm) for h in stop_heads)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Split a section at blank lines, list markers and lines starting with an honorific."""
    blocks: list[list[str]] = [[]]
    for raw in lines:
        line = raw.strip()
        starts = bool(_MARKER.match(line) or _HONORIFIC.match(line))
        if not line or (starts and blocks[-1]):
            blocks.append([])
        if line:
            blocks[-1].append(_MARKER.sub("", line))
    return [b for b in blocks if b]


def _is_referee(block: list[str]) -> bool:
    text = " ".join(block)
    norm = normalise(text)
    if any(p in norm for p in _ON_REQUEST) and not EMAIL.search(text):
        return False
    return bool(EMAIL.search(text) or _phones(text) or _HONORIFIC.match(block[0])
                or any(w in norm for w in _TITLE_WORDS))


def _phones(text: str) -> list[str]:
    digits = (re.sub(r"\D", "", p) for p in PHONE.findall(text))
    return [d for d in digits if 9 <= len(d) <= 15]


def _keys(block: list[str]) -> set[str]:
    text = " ".join(block)
    keys = {e.lower() for e in EMAIL.findall(text)}
    keys |= {p[-9:] for p in _phones(text)}
    first = re.split(r"[,|(:]|\s[-–—]\s", block[0])[0]
    name = " ".join(normalise(_HONORIFIC.sub("", first)).split()[:3])
    if name and "@" not in name and not any(c.isdigit() for c in name):
        keys.add("name:" + name)
    return keys


def _distinct(blocks: Iterable[list[str]]) -> list[str]:
    """One key per referee: blocks sharing an address, a phone or a name are the same person."""
    people: list[set[str]] = []
    for block in blocks:
        keys = _keys(block)
        emails = [k for k in keys if "@" in k]
        if len(emails) > 1:  # one unsplit block listing several people
            people.extend({e} for e in emails if not any(e in p for p in people))
            continue
        same = next((p for p in people if p & keys), None)
        if same is not None:
            same |= keys
        else:
            people.append(keys)
    return [sorted(p)[0] for p in people]
