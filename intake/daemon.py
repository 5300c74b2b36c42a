"""`intake run`: poll on schedule, send the nightly report, follow rules edits, stop cleanly.

Mailboxes with `idle = true` are also watched with IMAP IDLE (takein/idle.py): new mail there
is polled and understood as soon as the server announces it, besides the scheduled poll.

Jobs run in an APScheduler BackgroundScheduler while the main thread waits for SIGTERM/SIGINT;
a signal sets the stop event, the poll in progress ends after the message in hand, and the
scheduler is shut down waiting for it. One daemon per database: a second `intake run` on the
same database refuses to start (a file lock beside a SQLite database, a PostgreSQL advisory
lock otherwise).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .app import App, log_invalid_rules, open_app
from .backoff import backoff_delay
from .config import MailboxConfig, Settings
from .errors import UserError
from .instance import single_instance
from .commands import check_mailboxes, poll_and_understand
from .takein.idle import IdleMailboxes
from .takein.poller import Poller
from .understand import Summary, mark_for_reprocessing
from .rules import check_rules

log = logging.getLogger(__name__)

RULES_CHECK_SECONDS = 15
MAX_BACKOFF_SECONDS = 3600


class Daemon:
    def __init__(self, app: App, stop: threading.Event | None = None, ssl_context=None):
        self.app, self.settings = app, app.settings
        self.stop = stop or threading.Event()
        self.poller = Poller(app, stop=self.stop, ssl_context=ssl_context)
        self.rules = RulesWatcher(app)
        self.backoff = MailboxBackoff(self.settings.schedule.poll_interval_seconds)
        self.turn = threading.Lock()   # one thread understands at a time
        self.idle = IdleMailboxes(self.settings.mailboxes, self.announced,
                                  self.stop, ssl_context=ssl_context, tokens=self.poller.tokens)

    def poll(self) -> None:
        """The poll job: due mailboxes, then understanding of what came in."""
        self.rules.reload_if_changed()
        due = [m for m in self.settings.mailboxes if self.backoff.due(m.name)]
        self.poll_now(due)
        self.acknowledge()

    def announced(self, mailbox: MailboxConfig) -> None:
        """IMAP IDLE announced new mail in this mailbox: poll it now, and send the
        acknowledgements that are due, as the scheduled poll does (not an hour later)."""
        self.poll_now([mailbox])
        self.acknowledge()

    def poll_now(self, mailboxes: list[MailboxConfig]) -> None:
        """Poll these mailboxes now and understand what they brought (the scheduled poll, and
        IMAP IDLE's announcements of new mail, one thread per mailbox)."""
        summary = Summary()
        for result in poll_and_understand(self.app, self.poller, mailboxes, summary, turn=self.turn):
            self.backoff.record(result.mailbox, failed=result.error is not None)
        if summary.outcomes:
            log.info("understood: %s", summary.describe())

    def acknowledge(self) -> None:
        """Send the acknowledgements due (written by understanding); a failure is logged."""
        from .mail_out.send import send_outbox

        try:
            sent = send_outbox(self.app, stop=self.stop)
        except UserError as exc:
            log.error("acknowledgements not sent: %s", exc)
            return
        if sent.outcomes:
            log.info("acknowledgements: %s", sent.describe())

    def nightly_report(self) -> None:
        try:
            send_nightly(self.app)
        except Exception as exc:  # noqa: BLE001 - the daemon goes on; the report says why
            log.error("nightly report not sent: %s: %s", type(exc).__name__, exc)

    def nightly_purge(self) -> None:
        """What outlived its retention is erased (docs/privacy.md), after the report."""
        from .privacy.erase import purge

        try:
            result = purge(self.app, by="intake (nightly)")
        except Exception as exc:  # noqa: BLE001 - the daemon goes on; tried again next night
            log.error("nightly purge failed: %s: %s", type(exc).__name__, exc)
            return
        if result.erasure_id is not None:
            log.info("nightly purge: %s", ", ".join(f"{n} {what}" for what, n in result.counts.items()))

    def nightly(self) -> None:
        self.nightly_report()
        self.nightly_purge()

    def scheduler(self) -> BackgroundScheduler:
        schedule = self.settings.schedule
        scheduler = BackgroundScheduler(timezone=schedule.timezone,
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": 3600})
        scheduler.add_job(_logged(self.poll, "poll"), IntervalTrigger(
            seconds=schedule.poll_interval_seconds), id="poll", name="poll",
            next_run_time=datetime.now(timezone.utc))
        hour, minute = (int(x) for x in schedule.report_time.split(":"))
        scheduler.add_job(_logged(self.nightly, "nightly report"),
                          CronTrigger(hour=hour, minute=minute, timezone=schedule.timezone),
                          id="report", name="nightly report")
        scheduler.add_job(_logged(self.rules.reload_if_changed, "rules check"),
                          IntervalTrigger(seconds=RULES_CHECK_SECONDS), id="rules",
                          name="rules check")
        return scheduler


def run(settings: Settings, *, stop: threading.Event | None = None, ssl_context=None) -> int:
    """`intake run`. Returns the exit code once stopped by SIGTERM/SIGINT (or `stop`)."""
    if not settings.mailboxes:
        raise UserError("nothing to run: add a [[mailboxes]] entry to the config file "
                        "(see config.example.toml and docs/mailboxes.md)")
    if settings.web.listen:   # the web view too: refuse to start without its secret
        from .web.links import web_secret
        web_secret(settings)
    check_mailboxes(settings)
    app = open_app(settings)
    try:
        with single_instance(app.db.engine):
            daemon = Daemon(app, stop, ssl_context)
            _on_signals(daemon.stop)
            web = _web_view(app)
            scheduler = daemon.scheduler()
            scheduler.start()
            daemon.idle.start()
            log.info("intake run: polling %d mailbox(es) every %d s; report at %s %s; "
                     "pid %d", len(settings.mailboxes), settings.schedule.poll_interval_seconds,
                     settings.schedule.report_time, settings.schedule.timezone, os.getpid())
            while not daemon.stop.wait(1):
                pass
            log.info("stopping: finishing the message in hand")
            if web is not None:
                web.stop()
            daemon.idle.stop_all()
            scheduler.shutdown(wait=True)
            log.info("stopped cleanly")
    finally:
        app.close()
    return 0


def _web_view(app: App):
    """The recruiters' web view in a thread, when [web] listen is set (see intake/web/)."""
    if not app.settings.web.listen:
        return None
    from .web.server import Background
    return Background(app, app.settings.web.listen).start()


class RulesWatcher:
    """Reloads the rules when a file in the rules folder changes. A file with errors disables
    its posting only (logged once, when it changed); the mail taken in is sorted again with the
    new rules, so a fixed file's waiting mail goes to its posting."""

    def __init__(self, app: App):
        self.app = app
        self.seen = self.fingerprint()
        self.lock = threading.Lock()

    def fingerprint(self) -> tuple:
        folder = self.app.settings.rules_dir
        try:
            return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                                for p in folder.glob("*.toml")))
        except OSError:
            return ()

    def reload_if_changed(self) -> bool:
        with self.lock:
            now = self.fingerprint()
            if now == self.seen:
                return False
            self.seen = now
            try:
                ruleset = check_rules(self.app.settings.rules_dir)
            except UserError as exc:
                log.error("rules not reloaded: %s; the last good rules stay in force", exc)
                return False
            log_invalid_rules(ruleset)
            self.app.rules = ruleset
            again = mark_for_reprocessing(self.app.db)
            log.info("rules reloaded: %d posting(s), %d file(s) with errors; the %d message(s) "
                     "already taken in are sorted again with them at the next poll",
                     len(ruleset.postings), len(ruleset.invalid), again)
            return True


class MailboxBackoff:
    """A mailbox that failed is polled again after 1, 2, 4 ... poll intervals (at most an
    hour), so a wrong password is not hammered; one success resets it."""

    def __init__(self, interval: float, clock=time.monotonic):
        self.interval, self.clock = interval, clock
        self.failures: dict[str, int] = {}
        self.not_before: dict[str, float] = {}

    def due(self, mailbox: str) -> bool:
        return self.clock() >= self.not_before.get(mailbox, 0.0)

    def record(self, mailbox: str, *, failed: bool) -> None:
        if not failed:
            self.failures.pop(mailbox, None)
            self.not_before.pop(mailbox, None)
            return
        n = self.failures[mailbox] = self.failures.get(mailbox, 0) + 1
        wait = min(backoff_delay(n, self.interval) - self.interval, MAX_BACKOFF_SECONDS)
        self.not_before[mailbox] = self.clock() + wait
        if wait:
            log.warning("mailbox %r failed %d times in a row: next try in %.0f s", mailbox, n,
                        wait + self.interval)


def send_nightly(app: App) -> None:
    """The nightly report: the same path as `intake report --send` (one mail per person)."""
    from .reports.audience import readers
    from .reports.deliver import send_to_readers

    if not readers(app.settings.report.recipients, app.rules):
        log.warning("nightly report skipped: no [report] recipients in the config "
                    "and no recipients in the rules files")
        return
    send_to_readers(app)


def _logged(job, name: str):
    def run_job() -> None:
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - one failed run must not end the daemon
            log.error("%s failed: %s: %s", name, type(exc).__name__, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))
    run_job.__name__ = name
    return run_job


def _on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # tests drive `stop` directly

    def handler(signum, _frame) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
