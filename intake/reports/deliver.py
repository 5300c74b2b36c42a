"""Deliver the report: a private copy under data_dir/reports/, then one mail per person.

Who gets what is decided in audience.py: each person's mail holds just their postings (HTML,
text, XLSX and CSV alike), and its links sign that person in to the web view. A mail (mail.py)
is HTML with a plain-text alternative, with the XLSX and the CSV attached. Transient failures
(4xx replies, dropped or refused connections) are retried with exponential back-off; each
failure is logged. "New since the last report" moves, per person and posting, only for a mail
that was delivered.
"""
from __future__ import annotations

import json
import logging
import os
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..backoff import backoff_delay
from ..errors import ConfigError
from ..fsutil import write_atomic
from .audience import Reader, bare, readers
from .mail import MAX_MAIL_BYTES, fitting_message
from .render import render_many
from .smtp import (SmtpConfigError, SmtpConfig, describe, is_transient,
                                 password_for, send_once)

__all__ = ["DeliveryResult", "SmtpConfigError", "save_copy", "send_report", "send_to_readers"]

log = logging.getLogger(__name__)
COPY_FORMATS = ("text", "html", "xlsx")
SOURCE_SUFFIX = ".source.json"   # the report's data, kept beside each copy


@dataclass
class DeliveryResult:
    delivered: bool
    recipients: list[str]
    attempts: int = 0
    saved: list[Path] = field(default_factory=list)
    error: str | None = None
    refused: dict[str, str] = field(default_factory=dict)


def save_copy(report: dict, data_dir: str | os.PathLike,
              parts: dict[str, bytes] | None = None, *, temp_prefix: str = ".tmp-") -> list[Path]:
    """Write the report to data_dir/reports/<timestamp>.{html,txt,xlsx} (0700 dir, 0600 files),
    and the data it was rendered from (<timestamp>.source.json), from which an erasure renders
    the copy again without the people erased (intake/privacy/copies.py)."""
    parts = parts if parts is not None else render_many(report, COPY_FORMATS)
    folder = Path(data_dir) / "reports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    moment = datetime.fromisoformat(report["generated_at"]).astimezone(timezone.utc)
    stem = moment.strftime("%Y-%m-%dT%H%M%SZ")
    saved = []
    for fmt, ext in (("html", "html"), ("text", "txt"), ("xlsx", "xlsx")):
        saved.append(write_atomic(folder / f"{stem}.{ext}", parts[fmt], prefix=temp_prefix))
    source = json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")
    saved.append(write_atomic(folder / f"{stem}{SOURCE_SUFFIX}", source, prefix=temp_prefix))
    return saved


def send_report(report: dict, smtp: SmtpConfig, recipients: list[str],
                data_dir: str | os.PathLike, *, attempts: int = 4, backoff: float = 30.0,
                sleep: Callable[[float], None] = time.sleep,
                max_bytes: int = MAX_MAIL_BYTES, save: bool = True) -> DeliveryResult:
    """Save a copy (unless `save` is false), then mail this report to exactly `recipients`.
    Raises SmtpConfigError for unusable settings."""
    parts = render_many(report, ("text", "html", "xlsx", "csv"))
    result = DeliveryResult(False, unique(recipients))
    if save:
        result.saved = keep_copy(report, data_dir, parts)
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
            delay = backoff_delay(attempt, backoff)
            log.warning("report mail attempt %d/%d failed: %s; retrying in %.0f s", attempt,
                        attempts, result.error, delay)
            sleep(delay)
    return result


def send_to_readers(app, posting_id: str | None = None, *, now: datetime | None = None,
                    backoff: float = 30.0) -> bool:
    """The report mails with the app's settings: a complete copy saved, then one mail per
    person holding just their postings; each mail is recorded. True when every one went.
    Config errors are recorded, then raised (the command line exits 2 with the message)."""
    from ..health import report_problems
    from .build import build_report

    settings = app.settings
    now = now or datetime.now(timezone.utc)
    audience = [r for r in readers(settings.report.recipients, app.rules)
                if posting_id is None or r.sees(posting_id)]
    base_url, secret = _web_links(settings)
    problems = report_problems(app)

    def report_for(reader: Reader | None) -> dict:
        token = None
        if reader is not None and base_url and secret:
            from ..web.links import make_token
            token = make_token(secret, reader.address)
        with app.db.session() as session:
            return build_report(session, app.rules, data_dir=settings.data_dir,
                                posting_id=posting_id, now=now, reader=reader,
                                report_timezone=settings.schedule.timezone,
                                base_url=base_url, token=token, problems=problems)

    full = report_for(None)
    keep_copy(full, settings.data_dir, render_many(full, COPY_FORMATS))
    if not audience:
        error = ("no recipients: set recipients under [report] in the config file "
                 "(or in a posting's rules file)")
        log.error("report not sent: %s; a copy is kept in %s", error,
                  Path(settings.data_dir) / "reports")
        _record(app, full, DeliveryResult(False, [], error=error), None)
        return False
    try:
        password_for(settings.smtp)
    except SmtpConfigError as exc:
        _record(app, full, DeliveryResult(False, [r.address for r in audience],
                                          error=str(exc)), None)
        raise
    every = True
    for reader in audience:
        report = report_for(reader)
        result = send_report(report, settings.smtp, [reader.address], settings.data_dir,
                             save=False, backoff=backoff)
        _record(app, report, result, [p["id"] for p in report["postings"]])
        if not result.delivered:
            every = False
            log.error("report not sent to %s: %s; a copy is kept in %s", reader.address,
                      result.error, Path(settings.data_dir) / "reports")
    return every


def unique(addresses: list[str]) -> list[str]:
    """Addresses without duplicates (compared without case or display name)."""
    seen, out = set(), []
    for address in addresses:
        if address.strip() and (key := bare(address)) not in seen:
            seen.add(key)
            out.append(address.strip())
    return out


def keep_copy(report: dict, data_dir, parts: dict[str, bytes]) -> list[Path]:
    try:
        return save_copy(report, data_dir, parts)
    except OSError as exc:  # still try to send: the mail is then the only copy
        log.error("could not save the report under %s/reports: %s", data_dir, exc)
        return []


def _web_links(settings) -> tuple[str | None, str | None]:
    """[web] base_url, and the secret that signs each person's links (None when unset: the
    mail then links to the sign-in page)."""
    base_url = settings.web.base_url
    if not base_url:
        return None, None
    from ..web.links import web_secret
    try:
        return base_url, web_secret(settings)
    except ConfigError as exc:
        log.warning("report links will not sign their readers in: %s", exc)
        return base_url, None


def _record(app, report: dict, result: DeliveryResult, postings: list[str] | None) -> None:
    """The run, and in the audit log each posting each person received (never its content)."""
    from .. import audit
    from ..models import ReportRun

    with app.db.transaction() as session:
        session.add(ReportRun(started_at=datetime.fromisoformat(report["generated_at"]),
                              delivered=result.delivered,
                              recipients=[bare(r) for r in result.recipients],
                              postings=postings, error=result.error))
        if result.delivered:
            for address in (bare(r) for r in result.recipients if r not in result.refused):
                for posting_id in postings or [None]:
                    audit.record(session, "intake", audit.REPORT_SENT, posting_id=posting_id,
                                 detail={"to": address})
