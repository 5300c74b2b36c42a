"""Referees named under a "Références" heading (in a document, a CV section or a mail body).

A referee is a block of lines with a sign of a person to contact: an honorific, a job title,
an e-mail address or a phone number. Blocks naming the same address, phone or name are one
referee. The section ends at the next heading of another piece or at a closing formula.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..vocabulary import normalise, phrase_pattern

# Linear on any text: an address starts where a run of address characters starts (the
# look-behind), and no quantifier gives back what it took (a 40,000-letter word is read once).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
DEFAULT_REGION = "MA"
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


def find_referees(text: str, headings: Iterable[str], stops: Iterable[str],
                  introductions: Iterable[str] = (), region: str = DEFAULT_REGION) -> list[str]:
    """Distinct referees (one identity key each) in every references section of ``text``: under
    a heading, or after a sentence that ends with ":" and announces them."""
    heads = [p for p in map(phrase_pattern, headings) if p]
    intros = [p for p in map(phrase_pattern, introductions) if p]
    stop_heads = [p for p in map(phrase_pattern, stops) if p]
    blocks: list[list[str]] = []
    lines = text.splitlines()
    for section in _sections(lines, _normalised_lines(lines), heads, stop_heads, intros):
        blocks.extend(_blocks(section))
    return _distinct((b for b in blocks if _is_referee(b, region)), region)


def _normalised_lines(lines: list[str]) -> list[str]:
    """normalise() of each line without its list marker, in one pass over the text (line by
    line it cost a third of the time of classifying a document)."""
    norms = normalise("\n".join(_MARKER.sub("", line) for line in lines)).split("\n")
    if len(norms) != len(lines):   # never seen: normalise() keeps every newline and adds none
        norms = [normalise(_MARKER.sub("", line)) for line in lines]
    return norms


def _heading_rest(line: str, norm: str, heads) -> str | None:
    """The text after a references heading that starts ``line`` (``norm``: the line without
    its list marker, normalised), or None if it is no heading."""
    for head in heads:
        match = head.match(norm)
        if not match:
            continue
        raw_rest = line.split(":", 1)[1] if ":" in line else ""
        if ":" in line or len(norm[match.end():].split()) <= 2:
            return raw_rest.strip()
    return None


def _introduces(line: str, intros) -> bool:
    """A sentence that ends with ":" and whose last words announce a list of referees."""
    stripped = line.rstrip()
    if not stripped.endswith(":") or not intros:
        return False
    tail = normalise(stripped[:-1])[-120:]
    return any(p.search(tail) for p in intros)


def _sections(lines: list[str], norms: list[str], heads, stop_heads, intros=()) -> Iterable[list[str]]:
    current: list[str] | None = None
    for line, norm in zip(lines, norms):
        if not line.strip():   # a blank line is never a heading (and costs nothing)
            if current is not None:
                current.append(line)
            continue
        rest = _heading_rest(line, norm, heads)
        if rest is None and _introduces(line, intros):
            rest = ""
        if rest is not None:
            if current:
                yield current
            current = [part.strip() for part in rest.split(";") if part.strip()]
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


def _is_referee(block: list[str], region: str = DEFAULT_REGION) -> bool:
    text = " ".join(block)
    norm = normalise(text)
    if any(p in norm for p in _ON_REQUEST) and not EMAIL.search(text):
        return False
    return bool(EMAIL.search(text) or phones(text, region) or _HONORIFIC.match(block[0])
                or any(w in norm for w in _TITLE_WORDS))


def phones(text: str, region: str = DEFAULT_REGION) -> list[str]:
    """Real phone numbers (E.164), read by libphonenumber: a date range such as
    "01/2019 - 12/2021" is not one. Numbers without +code are read in `region`."""
    import phonenumbers

    found = []
    for match in phonenumbers.PhoneNumberMatcher(text[:20_000], region,
                                                 leniency=phonenumbers.Leniency.VALID):
        found.append(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return found


def _keys(block: list[str], region: str = DEFAULT_REGION) -> set[str]:
    text = " ".join(block)
    keys = {e.lower() for e in EMAIL.findall(text)}
    keys |= set(phones(text, region))
    first = re.split(r"[,|(:]|\s[-–—]\s", block[0])[0]
    name = " ".join(normalise(_HONORIFIC.sub("", first)).split()[:3])
    if name and "@" not in name and not any(c.isdigit() for c in name):
        keys.add("name:" + name)
    return keys


def _distinct(blocks: Iterable[list[str]], region: str = DEFAULT_REGION) -> list[str]:
    """One key per referee: blocks sharing an address, a phone or a name are the same person."""
    people: list[set[str]] = []
    for block in blocks:
        keys = _keys(block, region)
        if not keys:   # no address, no phone, no name ("2019–2021 : chargée de projet, ..."):
            continue   # a CV line that merely sounds like one, and nobody to contact
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
