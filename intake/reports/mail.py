"""The report mail: subject, recipients, HTML with a plain-text alternative, spreadsheets.

When the full mail would be too large for mail servers, a short report goes instead (the
first items of each list, without file lists, the XLSX attached); the copy saved by
deliver.py stays complete.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from . import words
from .render import render_many
from .view import build_view

log = logging.getLogger(__name__)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAX_MAIL_BYTES = 10 * 2**20  # many servers refuse more; Gmail clips long bodies anyway
SHORT_LIMIT = 25  # items per list in the short report sent when the full one is too big


def subject(report: dict) -> str:
    view = build_view(report)
    new = view.totals["new"]
    todo = (f"{words.count_words(len(view.problems), 'problème à régler', 'problèmes à régler')}, "
            if view.problems else "")
    return (f"Rapport des candidatures du {view.generated_date} "
            f"({todo}{words.count_words(new, 'nouveau dossier', 'nouveaux dossiers')})")


def build_message(report: dict, sender: str, recipients: list[str],
                  parts: dict[str, bytes]) -> EmailMessage:
    """The report mail: text, HTML alternative, XLSX and CSV attached."""
    msg = EmailMessage()
    msg["Subject"] = subject(report)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid("rapport", domain=_domain(sender))
    msg.set_content(parts["text"].decode("utf-8"))
    msg.add_alternative(parts["html"].decode("utf-8"), subtype="html")
    day = report["generated_at"][:10]
    if "xlsx" in parts:
        msg.add_attachment(parts["xlsx"], *XLSX_TYPE, filename=f"candidatures-{day}.xlsx")
    if "csv" in parts:
        msg.add_attachment(parts["csv"], "text", "csv", filename=f"candidatures-{day}.csv",
                           params={"charset": "utf-8"})
    return msg


def fitting_message(report: dict, sender: str, recipients: list[str],
                    parts: dict[str, bytes], max_bytes: int = MAX_MAIL_BYTES) -> EmailMessage:
    """The full report mail, or when it is larger than max_bytes a short one (the first
    SHORT_LIMIT items of each list, no file lists, XLSX only): the saved copy stays full."""
    msg = build_message(report, sender, recipients, parts)
    size = len(msg.as_bytes())
    if size <= max_bytes:
        return msg
    short = {**render_many(report, ("text", "html"), limit=SHORT_LIMIT), "xlsx": parts["xlsx"]}
    msg = build_message(report, sender, recipients, short)
    log.warning("the full report mail is %.1f MB (limit %.1f MB): sending a short report "
                "with the XLSX attached (%.1f MB)", size / 2**20, max_bytes / 2**20,
                len(msg.as_bytes()) / 2**20)
    return msg


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"
