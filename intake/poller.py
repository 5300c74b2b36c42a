"""Poll the configured IMAP mailboxes into the take-in, like a careful sync tool.

Per folder: UIDVALIDITY and the highest UID taken in (MailboxState) advance in the same
transaction as the messages, a batch at a time, so a crash at any moment either repeats work
harmlessly (take_in is idempotent) or has not started it. A UIDVALIDITY change resets the
watermark: the folder is read again and take_in recognises the messages it already has.
A fault stays inside its mailbox: it is logged, retried with back-off, and the other mailboxes
are polled as usual. A message the server will not return holds the watermark below it, so it
is asked for again at the next poll and never skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select

from .app import App, open_app
from .config import Settings
from .errors import UserError
from .models import MailboxState
from .process import Summary, understand_pending
from .progress import Progress
from .sources import imap
from .takein import take_in

log = logging.getLogger("intake.poller")

COMMIT_EVERY = 50
RETRIES = 3
BACKOFF_SECONDS = 2.0


@dataclass
class FolderResult:
    folder: str
    found: int = 0  # messages above the watermark
    new: int = 0  # messages intake did not have before
    known: int = 0  # already had (another mailbox, a copy, a re-scan)
    unreturnable: list[int] = field(default_factory=list)
    rescanned: bool = False
    error: str | None = None
    complete: bool = False


@dataclass
class MailboxResult:
    mailbox: str
    folders: list[FolderResult] = field(default_factory=list)
    error: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.error is None and not f.unreturnable
                                          for f in self.folders)


def source_key(mailbox: str, folder: str, uidvalidity: int, uid: int) -> str:
    return f"imap:{mailbox}/{folder}/{uidvalidity}/{uid}"


class Poller:
    """Polls mailboxes into one App's database and store. `stop` ends a poll after the
    message in hand (set by the daemon on SIGTERM)."""

    def __init__(self, app: App, *, stop: threading.Event | None = None, ssl_context=None,
                 retries: int = RETRIES, backoff: float = BACKOFF_SECONDS):
        self.app = app
        self.stop = stop or threading.Event()
        self.ssl_context, self.retries, self.backoff = ssl_context, retries, backoff

    def poll(self, cfg: imap.MailboxConfig) -> MailboxResult:
        """Poll every folder of one mailbox; never raises for a mailbox fault."""
        result = MailboxResult(cfg.name)
        done: dict[str, FolderResult] = {}
        while not self.stop.is_set():
            result.attempts += 1
            try:
                self._poll_folders(cfg, done)
                result.error = None
                break
            except imap.ConnectionLost as exc:
                result.error = str(exc)
                if result.attempts >= self.retries:
                    log.error("%s; giving up until the next poll", exc)
                    break
                wait = self.backoff * 2 ** (result.attempts - 1)
                log.warning("%s; retrying in %.0f s", exc, wait)
                self.stop.wait(wait)
            except imap.ImapError as exc:  # login refused, configuration: retrying now is vain
                result.error = str(exc)
                log.error("%s", exc)
                break
            except Exception as exc:  # noqa: BLE001 - a fault stays inside its mailbox
                result.error = f"mailbox {cfg.name!r}: {type(exc).__name__}: {exc}"
                log.error("%s", result.error, exc_info=log.isEnabledFor(logging.DEBUG))
                break
        result.folders = list(done.values())
        _log_outcome(result)
        return result

    def _poll_folders(self, cfg: imap.MailboxConfig, done: dict[str, FolderResult]) -> None:
        with imap.Reader(cfg, ssl_context=self.ssl_context) as reader:
            for folder in cfg.folders:
                result = done.setdefault(folder, FolderResult(folder))
                if result.complete:
                    continue  # finished before the connection dropped
                if self.stop.is_set():
                    return
                self._poll_folder(reader, cfg, result)
                result.complete = True

    def _poll_folder(self, reader: imap.Reader, cfg, result: FolderResult) -> None:
        folder, result.unreturnable = result.folder, []
        try:
            uidvalidity = reader.open(folder)
        except imap.FolderMissing as exc:
            log.error("%s", exc)
            result.error = str(exc)
            return
        with self.app.db.session() as session:
            state, rescanned = _state(session, cfg.name, folder, uidvalidity)
            result.rescanned |= rescanned
            uids = reader.uids_after(state.last_uid)
            result.found = len(uids)
            with Progress(len(uids), f"{cfg.name}/{folder}") as progress:
                self._take_in(session, reader, cfg, state, uids, result, progress)
            session.commit()

    def _take_in(self, session, reader: imap.Reader, cfg, state: MailboxState, uids: list[int],
                 result: FolderResult, progress: Progress) -> None:
        pending = 0
        for item in reader.fetch(uids):
            if isinstance(item, imap.Unreturnable):
                log.error("mailbox %r folder %r: message UID %d could not be fetched (%s); it "
                          "will be asked for again at the next poll", cfg.name, state.folder,
                          item.uid, item.reason)
                result.unreturnable.append(item.uid)
            else:
                taken = take_in(session, self.app.store, item.raw, mailbox=cfg.receives_for,
                                received_at=item.internaldate,
                                source_key=source_key(cfg.name, state.folder, state.uidvalidity,
                                                      item.uid))
                result.new += taken.new_message
                result.known += not taken.new_message
                if not result.unreturnable:  # never move the watermark past a missing one
                    state.last_uid = item.uid
            progress.advance()
            pending += 1
            if pending >= COMMIT_EVERY:
                session.commit()
                pending = 0
            if self.stop.is_set():
                return  # stop after the message in hand; the caller commits


def _state(session, mailbox: str, folder: str, uidvalidity: int) -> tuple[MailboxState, bool]:
    """The folder's state row, reset when UIDVALIDITY changed; (state, re-scan needed)."""
    state = session.scalar(select(MailboxState).filter_by(mailbox=mailbox, folder=folder))
    if state is None:
        state = MailboxState(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, last_uid=0)
        session.add(state)
        return state, False
    if state.uidvalidity == uidvalidity:
        return state, False
    log.warning("mailbox %r folder %r: UIDVALIDITY changed (%s -> %s): reading the whole folder "
                "again; messages already taken in are recognised", mailbox, folder,
                state.uidvalidity, uidvalidity)
    state.uidvalidity, state.last_uid = uidvalidity, 0
    return state, True


def _log_outcome(result: MailboxResult) -> None:
    for f in result.folders:
        log.info("mailbox %r folder %r: %d new, %d already known, %d not returned%s%s",
                 result.mailbox, f.folder, f.new, f.known, len(f.unreturnable),
                 " (UIDVALIDITY changed: folder re-read)" if f.rescanned else "",
                 f"; error: {f.error}" if f.error else "")
    if result.error:
        log.error("mailbox %r: poll failed after %d attempt(s): %s", result.mailbox,
                  result.attempts, result.error)


def poll_mailboxes(poller: Poller, mailboxes: Iterable[imap.MailboxConfig]) -> list[MailboxResult]:
    """Each mailbox on its own: a fault in one never stops the others."""
    results = []
    for cfg in mailboxes:
        if poller.stop.is_set():
            break
        started = time.monotonic()
        results.append(poller.poll(cfg))
        log.debug("mailbox %r polled in %.1f s", cfg.name, time.monotonic() - started)
    return results


def poll_all(settings: Settings, *, stop: threading.Event | None = None,
             ssl_context=None) -> int:
    """`intake poll --once`: every mailbox once, then understand what came in. Exit code:
    0 all well, 1 a mailbox or a message had a problem (logged), 2 nothing to poll."""
    if not settings.mailboxes:
        raise UserError("no mailbox to poll: add a [[mailboxes]] entry to the config file "
                        "(see config.example.toml and docs/mailboxes.md)")
    app = open_app(settings)
    try:
        results, summary = poll_and_understand(app, stop=stop, ssl_context=ssl_context)
    finally:
        app.close()
    return 0 if all(r.ok for r in results) and not summary.failed else 1


def poll_and_understand(app: App, *, stop: threading.Event | None = None, ssl_context=None
                        ) -> tuple[list[MailboxResult], Summary]:
    poller = Poller(app, stop=stop, ssl_context=ssl_context)
    results = poll_mailboxes(poller, app.settings.mailboxes)
    summary = understand(app, poller.stop)
    new = sum(f.new for r in results for f in r.folders)
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(summary.outcomes.items())) or "nothing"
    log.info("poll done: %d mailbox(es), %d new message(s); understood: %s", len(results), new,
             outcomes)
    return results, summary


def understand(app: App, stop: threading.Event) -> Summary:
    """Understand what was taken in, stopping after the message in hand when `stop` is set."""
    return understand_pending(app.db, app.store, app.rules, app.own_addresses, stop=stop)
