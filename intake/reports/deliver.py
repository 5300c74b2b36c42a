"""Deliver the report: a private copy under data_dir/reports/, then ONE mail over SMTP.

The mail is HTML with a plain-text alternative, with the XLSX (and the CSV the interface
promises) attached. Transient failures (4xx replies, dropped or refused connections) are
retried with exponential back-off; each failure is logged. The caller moves its "since"
point only when the result says `delivered`.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Callable, Protocol

from intake.errors import ConfigError
from intake.reports import words
from intake.reports.render import render_many
from intake.reports.view import build_view

log = logging.getLogger(__name__)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SECURITY = ("ssl", "starttls", "none")
MAX_MAIL_BYTES = 10 * 2**20  # many servers refuse more; Gmail clips long bodies anyway
SHORT_LIMIT = 25  # items per list in the short report sent when the full one is too big


class SmtpSettings(Protocol):
    host: str
    port: int
    security: str
    username: str | None
    password_env: str | None
    sender: str
    timeout: float


class SmtpConfigError(ConfigError):
    """The [smtp] settings cannot work as they are; the message says what to change."""


@dataclass
class DeliveryResult:
    delivered: bool
    recipients: list[str]
    attempts: int = 0
    saved: list[Path] = field(default_factory=list)
    error: str | None = None
    refused: dict[str, str] = field(default_factory=dict)


def all_recipients(report: dict, recipients: list[str]) -> list[str]:
    """The global list plus every posting's own recipients, without duplicates."""
    seen, out = set(), []
    for address in [*recipients, *(r for p in report.get("postings", [])
                                   for r in p.get("recipients") or [])]:
        key = parseaddr(address)[1].casefold() or address.strip().casefold()
        if address.strip() and key not in seen:
            seen.add(key)
            out.append(address.strip())
    return out


def subject(report: dict) -> str:
    view = build_view(report)
    new = view.totals["new"]
    return (f"Rapport des candidatures du {view.generated_date} "
            f"({words.count_words(new, 'nouveau dossier', 'nouveaux dossiers')})")


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


def save_copy(report: dict, data_dir: str | os.PathLike, parts: dict[str, bytes]) -> list[Path]:
    """Write the report to data_dir/reports/<timestamp>.{html,txt,xlsx} (0700 dir, 0600 files)."""
    folder = Path(data_dir) / "reports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    moment = datetime.fromisoformat(report["generated_at"]).astimezone(timezone.utc)
    stem = moment.strftime("%Y-%m-%dT%H%M%SZ")
    saved = []
    for fmt, ext in (("html", "html"), ("text", "txt"), ("xlsx", "xlsx")):
        saved.append(_write_private(folder / f"{stem}.{ext}", parts[fmt]))
    return saved


def send_report(report: dict, smtp: SmtpSettings, recipients: list[str],
                data_dir: str | os.PathLike, *, attempts: int = 4, backoff: float = 30.0,
                sleep: Callable[[float], None] = time.sleep,
                max_bytes: int = MAX_MAIL_BYTES) -> DeliveryResult:
    """Save a copy, then mail the report. Raises SmtpConfigError for unusable settings."""
    parts = render_many(report, ("text", "html", "xlsx", "csv"))
    result = DeliveryResult(False, all_recipients(report, recipients))
    try:
        result.saved = save_copy(report, data_dir, parts)
    except OSError as exc:  # still try to send: the mail is then the only copy
        log.error("could not save the report under %s/reports: %s", data_dir, exc)
    password = _password(smtp)
    if not result.recipients:
        result.error = ("no recipients: set recipients under [report] in the config file "
                        "(or in a posting's rules file)")
        log.error("report not sent: %s", result.error)
        return result
    msg = fitting_message(report, smtp.sender, result.recipients, parts, max_bytes)
    for attempt in range(1, attempts + 1):
        result.attempts = attempt
        try:
            result.refused = _send_once(msg, smtp, password, result.recipients)
            result.delivered, result.error = True, None
            log.info("report sent to %d recipient(s) via %s:%s (attempt %d)",
                     len(result.recipients) - len(result.refused), smtp.host, smtp.port, attempt)
            for address, why in result.refused.items():
                log.warning("report refused for %s by %s: %s", address, smtp.host, why)
            return result
        except (OSError, smtplib.SMTPException) as exc:
            result.error = f"{smtp.host}:{smtp.port}: {_describe(exc)}"
            transient = _is_transient(exc)
            if not transient or attempt == attempts:
                log.error("report mail attempt %d/%d failed (%s), giving up: %s", attempt,
                          attempts, "temporary" if transient else "permanent", result.error)
                return result
            delay = backoff * 2 ** (attempt - 1)
            log.warning("report mail attempt %d/%d failed: %s; retrying in %.0f s", attempt,
                        attempts, result.error, delay)
            sleep(delay)
    return result


def send_and_record(app, report: dict) -> bool:
    """Mail the report with the app's [smtp] and [report] settings; record the run.

    The run is recorded at the report's generated_at, the "new since" point of the next
    report, and counts as that point only when delivered. Config errors are recorded, then
    raised (the command line exits 2 with the message).
    """
    settings = app.settings
    try:
        result = send_report(report, settings.smtp, settings.report.recipients,
                             settings.data_dir)
    except SmtpConfigError as exc:
        _record(app, report, DeliveryResult(
            False, all_recipients(report, settings.report.recipients), error=str(exc)))
        raise
    _record(app, report, result)
    if not result.delivered:
        print(f"report not sent: {result.error}; a copy is kept in "
              f"{Path(settings.data_dir) / 'reports'}", file=sys.stderr)
    return result.delivered


def _record(app, report: dict, result: DeliveryResult) -> None:
    from intake.models import ReportRun

    with app.db.session() as session:
        session.add(ReportRun(started_at=datetime.fromisoformat(report["generated_at"]),
                              delivered=result.delivered, recipients=result.recipients,
                              error=result.error))
        session.commit()


def _send_once(msg: EmailMessage, smtp: SmtpSettings, password: str | None,
               recipients: list[str]) -> dict[str, str]:
    timeout = getattr(smtp, "timeout", None) or 60
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, password or "")
        refused = client.send_message(msg, parseaddr(smtp.sender)[1],
                                      [parseaddr(r)[1] or r for r in recipients])
    return {addr: f"{code} {text.decode(errors='replace')}" for addr, (code, text)
            in refused.items()}


def _password(smtp: SmtpSettings) -> str | None:
    if smtp.security not in SECURITY:
        raise SmtpConfigError(f"[smtp] security = {smtp.security!r} is not known: "
                              f"use one of {', '.join(SECURITY)}")
    if not parseaddr(smtp.sender)[1]:
        raise SmtpConfigError(f"[smtp] sender = {smtp.sender!r} has no e-mail address: "
                              "write it like \"Recrutement <recrutement@example.org>\"")
    if not smtp.username:
        return None
    name = smtp.password_env
    if not name:
        raise SmtpConfigError(f"[smtp] username = {smtp.username!r} needs password_env: the "
                              "name of the environment variable that holds the password")
    password = os.environ.get(name)
    if not password:
        raise SmtpConfigError(f"the SMTP password for {smtp.username} is missing: set the "
                              f"environment variable {name} ([smtp] password_env)")
    return password


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, (ssl.SSLCertVerificationError, smtplib.SMTPNotSupportedError)):
        return False
    return isinstance(exc, OSError)  # refused or dropped connection, timeout


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + "; ".join(
            f"{a} ({c} {t.decode(errors='replace')})" for a, (c, t) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"server replied {exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _write_private(path: Path, data: bytes) -> Path:
    """Atomic write of a 0600 file: temporary file, fsync, rename."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path
