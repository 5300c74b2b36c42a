"""Deliver the report: a private copy under data_dir/reports/, then ONE mail over SMTP.

The mail (mail.py) is HTML with a plain-text alternative, with the XLSX (and the CSV the
interface promises) attached. Transient failures (4xx replies, dropped or refused
connections) are retried with exponential back-off; each failure is logged. The caller
moves its "since" point only when the result says `delivered`.
"""
from __future__ import annotations

import logging
import os
import smtplib
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from intake.reports.mail import MAX_MAIL_BYTES, all_recipients, fitting_message
from intake.reports.render import render_many
from intake.reports.smtp import (SmtpConfigError, SmtpSettings, describe, is_transient,
                                 password_for, send_once)

__all__ = ["DeliveryResult", "SmtpConfigError", "all_recipients", "save_copy", "send_report",
           "send_and_record"]

log = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    delivered: bool
    recipients: list[str]
    attempts: int = 0
    saved: list[Path] = field(default_factory=list)
    error: str | None = None
    refused: dict[str, str] = field(default_factory=dict)


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
    password = password_for(smtp)
    if not result.recipients:
        result.error = ("no recipients: set recipients under [report] in the config file "
                        "(or in a posting's rules file)")
        log.error("report not sent: %s", result.error)
        return result
    msg = fitting_message(report, smtp.sender, result.recipients, parts, max_bytes)
    for attempt in range(1, attempts + 1):
        result.attempts = attempt
        try:
            result.refused = send_once(msg, smtp, password, result.recipients)
            result.delivered, result.error = True, None
            log.info("report sent to %d recipient(s) via %s:%s (attempt %d)",
                     len(result.recipients) - len(result.refused), smtp.host, smtp.port, attempt)
            for address, why in result.refused.items():
                log.warning("report refused for %s by %s: %s", address, smtp.host, why)
            return result
        except (OSError, smtplib.SMTPException) as exc:
            result.error = f"{smtp.host}:{smtp.port}: {describe(exc)}"
            transient = is_transient(exc)
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
