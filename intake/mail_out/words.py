"""Pure: the applicant's language, and pieces and deadlines in French, Arabic or English.

The language is read from what the applicant wrote (quoted lines left out): mostly Arabic
letters -> Arabic; clearly more English function words than French ones -> English; French
otherwise. Three languages only, so script and function words are enough; no model to load.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..reports import words as fr_words

LANGUAGES = ("fr", "ar", "en")

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
_WORD = re.compile(r"[a-zà-ÿ']+")
EN_WORDS = frozenset("the and i my you your please find attached dear regards sincerely of for to "
                     "is am with this that position application would have best kind".split())
FR_WORDS = frozenset("le la les je mon ma mes vous votre veuillez trouver ci joint madame monsieur "
                     "cordialement salutations de des du pour est suis avec ce cette poste candidature "
                     "et bonjour".split())

# Labels of the standard pieces in Arabic and English (French labels come from the rules).
LABELS = {
    "en": {"cv": ("CV", "CVs"), "cover_letter": ("cover letter", "cover letters"),
           "references": ("reference", "references"), "methodology_note": ("methodology note", "methodology notes"),
           "financial_proposal": ("financial proposal", "financial proposals")},
    "ar": {"cv": ("السيرة الذاتية", "السيرة الذاتية"), "cover_letter": ("رسالة التحفيز", "رسائل التحفيز"),
           "references": ("مرجع", "مراجع"), "methodology_note": ("المذكرة المنهجية", "المذكرات المنهجية"),
           "financial_proposal": ("العرض المالي", "العروض المالية")},
}
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    # The month names written in Morocco.
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر",
           "نونبر", "دجنبر"),
}
ZONE_NAMES = {"Africa/Casablanca": {"fr": "heure du Maroc", "en": "Moroccan time", "ar": "بتوقيت المغرب"}}


def language_of(text: str) -> str:
    """'ar', 'en' or 'fr' (the default) for what a person wrote."""
    own = "\n".join(line for line in (text or "").splitlines() if not line.lstrip().startswith(">"))[:20_000]
    arabic, latin = len(_ARABIC.findall(own)), len(_LATIN.findall(own))
    if arabic > latin:
        return "ar"
    words = _WORD.findall(own.lower())
    english = sum(w in EN_WORDS for w in words)
    french = sum(w in FR_WORDS for w in words)
    return "en" if english >= 3 and english > 2 * french else "fr"


def label(piece: str, lang: str, labels: dict[str, str], count: int = 1) -> str:
    """A piece's name in `lang` (a posting's own piece keeps its French label)."""
    if lang in LABELS and piece in LABELS[lang]:
        one, many = LABELS[lang][piece]
        return many if count > 1 else one
    name = fr_words.piece_name(piece, labels)
    return fr_words.plural(name) if count > 1 and lang == "fr" else name


def received_words(pieces: dict[str, int], required: dict[str, int], labels: dict[str, str],
                   lang: str) -> list[str]:
    """'CV', '2 références' ...: each piece received, with its number when counted."""
    out = []
    for piece, n in pieces.items():
        if n <= 0:
            continue
        counted = n > 1 or required.get(piece, 1) > 1
        out.append(f"{n} {label(piece, lang, labels, n)}" if counted else label(piece, lang, labels))
    return out


def missing_words(missing: list[str], pieces: dict[str, int], required: dict[str, int],
                  labels: dict[str, str], lang: str) -> list[str]:
    """'lettre de motivation', '2 références (reçu : 1 sur 3)' ...: what is still missing."""
    out = []
    for piece in missing:
        wanted, have = required.get(piece, 1), pieces.get(piece, 0)
        if wanted <= 1:
            out.append(label(piece, lang, labels))
            continue
        need = wanted - have
        name = f"{need} {label(piece, lang, labels, need)}"
        out.append(name if have == 0 else name + {"fr": f" (reçu : {have} sur {wanted})", "en": f" (received: {have} of {wanted})",
                           "ar": f" (توصلنا بـ {have} من {wanted})"}[lang])
    return out


def deadline_words(deadline: datetime | None, zone: str, lang: str) -> str:
    """The deadline in local time, in words ('' when there is none)."""
    if deadline is None:
        return ""
    moment = deadline.astimezone(ZoneInfo(zone))
    zone_name = ZONE_NAMES.get(zone, {}).get(lang) or zone
    if lang == "fr":
        return f"{fr_words.deadline_words(moment.isoformat(), zone)}, {zone_name}"
    months = MONTHS[lang]
    text = f"{moment.day} {months[moment.month - 1]} {moment.year}"
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if lang == "en":
        text = f"{text} at {clock} ({zone_name})"
    else:
        text = f"{text} على الساعة {clock} ({zone_name})"
    if (moment.hour, moment.minute) == (0, 0):
        last = moment - timedelta(days=1)
        day = f"{last.day} {months[last.month - 1]}"
        text += f", last day: {day}" if lang == "en" else f"، آخر يوم: {day}"
    return text
