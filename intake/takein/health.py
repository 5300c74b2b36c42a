"""After each poll of a mailbox, how it went (MailboxHealth): read by `intake status` and the
report's opening problems, so that a wrong password is not a quiet day.

The poller records whatever error it caught for the mailbox, whatever raised it (a refused
login, a revoked OAuth2 token, a dead server, a folder gone), as one printable English line
and a kind the report words in French for recruiters (intake/health.py).
"""
from __future__ import annotations

from datetime import datetime

from ..db import Database
from ..models import MailboxHealth, utcnow
from ..safetext import printable
from . import imap

MAX_ERROR_CHARS = 500
KINDS = ("auth", "tls", "timeout", "unreachable", "folder", "config", "other")


def error_kind(exc: BaseException | None, text: str = "") -> str:
    """auth, tls, timeout, unreachable, folder, config or other, from the exception caught
    (or, for a folder's error kept as text, from the text)."""
    said = f"{type(exc).__name__ if exc else ''} {exc if exc else ''} {text}".lower()
    if isinstance(exc, imap.LoginRefused) or any(w in said for w in (
            "authenticationfailed", "refused the login", "token", "invalid_grant", "unauthori")):
        return "auth"
    if isinstance(exc, imap.TlsRefused) or any(w in said for w in ("tls", "ssl", "certificate")):
        return "tls"
    if isinstance(exc, imap.Ended) or any(w in said for w in ("timed out", "timeout", "deadline",
                                                              "took over")):
        return "timeout"
    if isinstance(exc, imap.FolderMissing) or "cannot be opened" in said:
        return "folder"
    if isinstance(exc, imap.ConfigProblem):
        return "config"
    if isinstance(exc, (imap.ConnectionLost, OSError)) or "cannot connect" in said:
        return "unreachable"
    return "other"


def one_line(text: str) -> str:
    text = printable(text).strip()
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "…"


def record_poll(db: Database, mailbox: str, *, error: str | None, kind: str | None = None,
                now: datetime | None = None) -> None:
    """A success clears the run of failures; a failure keeps the first failure's time."""
    now = now or utcnow()
    with db.transaction() as session:
        row = session.get(MailboxHealth, mailbox)
        if row is None:
            row = MailboxHealth(mailbox=mailbox)
            session.add(row)
        if error is None:
            row.last_success_at, row.failing_since = now, None
            return
        row.last_error, row.error_kind, row.last_error_at = one_line(error), kind or "other", now
        row.failing_since = row.failing_since or now
