"""French wording for reports: statuses, pieces, reasons, dates and durations.

Pure functions, no locale dependency (month names are spelled here), so the
report reads the same on every machine.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_LABELS = {
    "cv": "CV",
    "cover_letter": "lettre de motivation",
    "references": "référence",
    "methodology_note": "note méthodologique",
    "financial_proposal": "proposition financière",
}

STATUS_LABELS = {"complete": "complet", "incomplete": "incomplet", "late": "hors délai"}
STATUS_PLURALS = {"complete": "complets", "incomplete": "incomplets", "late": "hors délai"}

IGNORED_REASONS = {
    "bounce": "message de non-remise (rebond)",
    "auto-reply": "réponse automatique",
    "bulk": "envoi en nombre (lettre d'information, publicité)",
    "own-mail": "message envoyé par l'organisation elle-même",
}

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")

_LINKING_WORDS = {"de", "du", "des", "d'", "à", "au", "aux", "en", "sur", "pour"}


def status_label(status: str) -> str:
    """'complete' -> 'complet'; an unknown code is shown as it is."""
    return STATUS_LABELS.get(status, status)


def reason_label(code: str) -> str:
    """Reason code of an ignored message in French ('auto-reply' -> 'réponse automatique')."""
    return IGNORED_REASONS.get(code, code)


def plural(label: str) -> str:
    """French plural of a short noun phrase: 'lettre de motivation' -> 'lettres de motivation'."""
    words = label.split(" ")
    out = []
    for i, word in enumerate(words):
        if word in _LINKING_WORDS or word.startswith("d'"):
            out.extend(words[i:])
            break
        out.append(word if word[-1:] in "sxzSXZ" or word.isupper() else word + "s")
    return " ".join(out)


def piece_name(piece: str, labels: dict[str, str] | None = None) -> str:
    """The label of a piece id, from the posting's labels, else the defaults, else the id."""
    return (labels or {}).get(piece) or DEFAULT_LABELS.get(piece) or piece.replace("_", " ")


def piece_label(piece: str, labels: dict[str, str] | None = None,
                count: int | None = None, required: int | None = None) -> str:
    """A piece in words: 'CV'; a counted piece: '1 référence sur 3' ('3 références' if none)."""
    name = piece_name(piece, labels)
    if required is None or required <= 1:
        return name
    have = count or 0
    if have == 0:
        return f"{required} {plural(name)}"
    return f"{have} {plural(name) if have >= 2 else name} sur {required}"


def missing_words(missing: list[str], pieces: dict[str, int], required: dict[str, int],
                  labels: dict[str, str] | None = None) -> list[str]:
    """Missing piece ids in words, each with how many were found when counted."""
    return [piece_label(p, labels, pieces.get(p, 0), required.get(p, 1)) for p in missing]


def pieces_words(pieces: dict[str, int], labels: dict[str, str] | None = None,
                 required: dict[str, int] | None = None) -> str:
    """Pieces found: 'CV, lettre de motivation, 1 référence' ('aucune' when empty).

    A piece is shown with its number when more than one was found or the posting counts it.
    """
    found = []
    for piece, n in pieces.items():
        if n <= 0:
            continue
        name = piece_name(piece, labels)
        counted = n > 1 or (required or {}).get(piece, 1) > 1
        found.append(f"{n} {plural(name) if n > 1 else name}" if counted else name)
    return ", ".join(found) or "aucune"


def late_words(seconds: int | float | None) -> str:
    """How late, in words: '2 h 30 après la date limite', '3 jours après la date limite'."""
    if seconds is None:
        return "hors délai"
    s = max(int(seconds), 0)
    days, rest = divmod(s, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days >= 2:
        amount = f"{days} jours"
    elif days == 1:
        amount = "1 jour" + (f" {hours} h" if hours else "")
    elif hours:
        amount = f"{hours} h" + (f" {minutes:02d}" if minutes else "")
    elif minutes:
        amount = f"{minutes} min"
    else:
        amount = "moins d'une minute"
    return f"{amount} après la date limite"


def days_left_words(days_left: int | None, closed: bool, has_deadline: bool) -> str:
    """'clôturé', 'dernier jour', 'encore 1 jour', 'encore 12 jours', 'sans date limite'."""
    if closed:
        return "clôturé"
    if not has_deadline or days_left is None:
        return "sans date limite"
    if days_left <= 0:
        return "dernier jour"
    return f"encore {days_left} jour" + ("s" if days_left > 1 else "")


def to_local(iso: str | None, tz: str) -> datetime | None:
    """Parse an ISO 8601 date-time and convert it to the time zone `tz`."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        raise ValueError(f"date-time without a time zone in the report: {iso!r}")
    return moment.astimezone(ZoneInfo(tz))


def long_datetime(iso: str | None, tz: str) -> str:
    """'4 mai 2026 à 16 h 00' in the given time zone ('—' when absent)."""
    moment = to_local(iso, tz)
    if moment is None:
        return "—"
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year} à {moment.hour} h {moment.minute:02d}"


def deadline_words(iso: str | None, tz: str) -> str:
    """'4 mai 2026 à 16 h 00'; a midnight deadline also names the last day, which is what the
    posting said ("avant le 24 septembre" = last day 23 September)."""
    moment = to_local(iso, tz)
    if moment is None:
        return "aucune"
    text = long_datetime(iso, tz)
    if (moment.hour, moment.minute) == (0, 0):
        last = moment - timedelta(days=1)
        day = "1er" if last.day == 1 else str(last.day)
        text += f" (dernier jour : {day} {MONTHS[last.month - 1]} {last.year})"
    return text


def long_date(iso: str, tz: str) -> str:
    """'23 novembre 2026' in the given time zone."""
    moment = to_local(iso, tz)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year}"


def short_datetime(iso: str | None, tz: str) -> str:
    """'28/04/2026 10:12' in the given time zone ('' when absent)."""
    return short(to_local(iso, tz))


def short(moment: datetime | None) -> str:
    """'28/04/2026 10:12' ('' when absent)."""
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year} {moment.hour:02d}:" \
           f"{moment.minute:02d}" if moment else ""


def count_words(n: int, singular: str, plural_form: str | None = None) -> str:
    """'0 dossier', '1 dossier', '3 dossiers' (French: 0 and 1 take the singular)."""
    return f"{n} {singular if n < 2 else (plural_form or plural(singular))}"


ACK_STATES = {"sent": "envoyé le {at}", "queued": "en attente d'envoi", "sending": "en cours d'envoi",
              "uncertain": "envoi incertain le {at} (interrompu ; chercher {message_id} dans les messages envoyés)",
              "failed": "échec de l'envoi le {at} : {error}", "cancelled": "annulé le {at} : {error}"}


def acknowledged_words(items: list[dict], tz: str, labels: dict[str, str], required: dict[str, int]) -> str:
    """The last acknowledgement to an applicant in words: 'envoyé le 28/04/2026 10:12 (manquait :
    lettre de motivation)'; how many were sent in all when more than one ('' when none)."""
    if not items:
        return ""
    # what the applicant was last told (or is about to be); a cancelled one only when alone
    last = next((i for i in reversed(items) if i.get("state") != "cancelled"), items[-1])
    text = ACK_STATES.get(last.get("state"), last.get("state", "")).format(
        at=short_datetime(last.get("at"), tz), message_id=last.get("message_id") or "",
        error=last.get("error") or "")
    missing = missing_words(last.get("missing") or [], last.get("pieces") or {}, required, labels)
    text += f" (manquait : {', '.join(missing)})" if missing else " (dossier complet)"
    sent = sum(i.get("state") == "sent" for i in items)
    return text + (f" ; {sent} envoyés en tout" if sent > 1 else "")
def decision_words(d: dict, pieces: dict[str, str], tz: str) -> str:
    """A recruiter's decision (reports/build.py's dict) in French, with who and when."""
    when = long_datetime(d["at"], tz)
    if d["kind"] == "assign":
        what = "message attribué à cette offre"
    elif d["kind"] == "checked":
        what = f"« {d['file']} » vérifié ({d['reason']})"
    elif d["count"]:
        label = pieces.get(d["piece"], d["piece"])
        what = (f"« {d['file']} » est : {label}" if d["count"] == 1 else
                f"« {d['file']} » compte {d['count']} × {label}")
    else:
        what = f"« {d['file']} » n'est pas : {pieces.get(d['piece'], d['piece'])}"
    return f"{what} — par {d['by']}, le {when}"
