"""Poll the configured IMAP mailboxes into the take-in, like a careful sync tool.

Per folder: UIDVALIDITY and the highest UID taken in (MailboxState) advance in the same
transaction as the messages, a batch at a time, so a crash at any moment either repeats work
harmlessly (take_in is idempotent) or has not started it. A UIDVALIDITY change resets the
watermark: the folder is read again and take_in recognises the messages it already has.
A fault stays inside its mailbox: it is logged, retried with back-off, and the other mailboxes
are polled as usual. A message the server will not return holds the watermark below it, so it
is asked for again at the next poll and never skipped.

Each mailbox is polled in its own thread, under deadlines a watchdog enforces by cutting the
connection (a server that sends one byte every few seconds never lets a read time out):
one server operation may take OPERATION_SECONDS, a whole poll of a mailbox POLL_SECONDS.
What was taken in before the cut is kept; the rest comes at the next poll. When intake is
stopping (SIGTERM), every connection is cut at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import select

from .. import logs
from ..backoff import backoff_delay
from ..app import App
from ..models import MailboxState
from .coming import Coming
from .health import error_kind, record_poll
from .progress import Progress
from . import imap, oauth2
from .record import Arrival, take_in_batch

log = logging.getLogger(__name__)

COMMIT_EVERY = 100
COMMIT_BYTES = 32 * 1024 * 1024
RETRIES = 3
BACKOFF_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 60      # one read from the server (a dead connection)
OPERATION_SECONDS = 180        # one command: login, select, search, fetch of a batch
POLL_SECONDS = 600             # one poll of one mailbox, all its folders
WATCH_EVERY_SECONDS = 0.25


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
                 retries: int = RETRIES, backoff: float = BACKOFF_SECONDS,
                 read_timeout: float = READ_TIMEOUT_SECONDS,
                 operation_seconds: float = OPERATION_SECONDS, poll_seconds: float = POLL_SECONDS):
        self.app = app
        self.stop = stop or threading.Event()
        self.ssl_context, self.retries, self.backoff = ssl_context, retries, backoff
        self.read_timeout = read_timeout
        self.operation_seconds, self.poll_seconds = operation_seconds, poll_seconds
        self._readers: dict[imap.Reader, float] = {}   # reader in use -> its poll's deadline
        self._lock = threading.Lock()
        self._polling: dict[str, threading.Lock] = {}  # one poll of a mailbox at a time
        self.progressed = threading.Event()   # set when a batch is committed or a mailbox done
        self.tokens = oauth2.Tokens(app.settings.data_dir / "oauth2")

    def mailbox_lock(self, name: str) -> threading.Lock:
        """Held while a mailbox is polled: the scheduled poll and one that IMAP IDLE asked
        for take turns on the same mailbox."""
        with self._lock:
            return self._polling.setdefault(name, threading.Lock())

    def poll(self, cfg: imap.MailboxConfig) -> MailboxResult:
        """Poll every folder of one mailbox; never raises for a mailbox fault. Without a
        running watchdog (`poll_mailboxes` runs one) the deadlines are not enforced."""
        with self.mailbox_lock(cfg.name):
            return self._poll(cfg)

    def _poll(self, cfg: imap.MailboxConfig) -> MailboxResult:
        result = MailboxResult(cfg.name)
        done: dict[str, FolderResult] = {}
        started = time.monotonic()
        deadline = started + self.poll_seconds
        failure: BaseException | None = None
        while not self.stop.is_set():
            result.attempts += 1
            try:
                self._poll_folders(cfg, done, deadline)
                result.error = failure = None
                break
            except imap.Ended as exc:   # a deadline passed or intake is stopping: no retry
                result.error, failure = str(exc), exc
                log.error("%s; the rest at the next poll", exc)
                break
            except imap.ConnectionLost as exc:
                result.error, failure = str(exc), exc
                if result.attempts >= self.retries:
                    log.error("%s; giving up until the next poll", exc)
                    break
                wait = backoff_delay(result.attempts, self.backoff)
                if time.monotonic() + wait >= deadline:
                    log.error("%s; no time left for another try before the poll's deadline", exc)
                    break
                log.warning("%s; retrying in %.0f s", exc, wait)
                self.stop.wait(wait)
            except imap.ImapError as exc:  # login refused, configuration: retrying now is vain
                result.error, failure = str(exc), exc
                log.error("%s", exc)
                break
            except Exception as exc:  # noqa: BLE001 - a fault stays inside its mailbox
                result.error, failure = f"mailbox {cfg.name!r}: {type(exc).__name__}: {exc}", exc
                log.error("%s", result.error, exc_info=log.isEnabledFor(logging.DEBUG))
                break
        result.folders = list(done.values())
        _log_outcome(result, time.monotonic() - started)
        if not self.stop.is_set():   # a poll cut short by stopping says nothing of the mailbox
            self._record_health(result, failure)
        return result

    def _record_health(self, result: MailboxResult, failure: BaseException | None) -> None:
        folder_error = next((f.error for f in result.folders if f.error), None)
        error = result.error or folder_error
        kind = None if error is None else error_kind(failure, "" if failure else error)
        try:
            record_poll(self.app.db, result.mailbox, error=error, kind=kind)
        except Exception as exc:  # noqa: BLE001 - the poll's work is done and kept
            log.error("mailbox %r: its health not recorded: %s: %s", result.mailbox,
                      type(exc).__name__, exc)

    def _poll_folders(self, cfg: imap.MailboxConfig, done: dict[str, FolderResult],
                      deadline: float) -> None:
        reader = imap.Reader(cfg, ssl_context=self.ssl_context, timeout=self.read_timeout,
                             tokens=self.tokens)
        with self._lock:
            self._readers[reader] = deadline
        try:
            with reader:
                self._read_folders(reader, cfg, done)
        finally:
            with self._lock:
                self._readers.pop(reader, None)

    def watch(self) -> None:
        """One round of the watchdog: cut the connections past a deadline, or all of them
        when intake is stopping."""
        now = time.monotonic()
        with self._lock:
            readers = list(self._readers.items())
        for reader, deadline in readers:
            if self.stop.is_set():
                reader.end("intake is stopping")
            elif now > deadline:
                reader.end(f"the poll ran past its deadline of {self.poll_seconds:.0f} s")
            elif reader.doing_since is not None and now - reader.doing_since > self.operation_seconds:
                reader.end(f"the server took over {self.operation_seconds:.0f} s to answer one "
                           "command")

    def _read_folders(self, reader: imap.Reader, cfg: imap.MailboxConfig,
                      done: dict[str, FolderResult]) -> None:
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
        with self.app.db.session(write=True) as session:
            state, rescanned = _state(session, cfg.name, folder, uidvalidity)
            session.commit()   # no transaction stays open while the server is asked
            result.rescanned |= rescanned
            uids = reader.uids_after(state.last_uid)
            result.found = len(uids)
            with Progress(len(uids), f"{cfg.name}/{folder}") as progress:
                self._take_in(session, reader, cfg, state, uids, result, progress)
            session.commit()

    def _take_in(self, session, reader: imap.Reader, cfg, state: MailboxState, uids: list[int],
                 result: FolderResult, progress: Progress) -> None:
        """Fetched messages are recorded a batch at a time: raw files made durable once, the
        rows and the folder's watermark committed together."""
        batch: list[imap.Fetched] = []
        try:
            self._fetch_into(session, reader, cfg, state, uids, result, progress, batch)
        except imap.Ended:
            self._take_in_batch(session, cfg, state, batch, result)   # keep what came before the cut
            raise

    def _fetch_into(self, session, reader: imap.Reader, cfg, state: MailboxState, uids: list[int],
                    result: FolderResult, progress: Progress, batch: list) -> None:
        size = 0
        for item in reader.fetch(uids):
            if isinstance(item, imap.Unreturnable):
                self._take_in_batch(session, cfg, state, batch, result)
                batch.clear()
                size = 0
                log.error("mailbox %r folder %r: message UID %d could not be fetched (%s); it "
                          "will be asked for again at the next poll", cfg.name, state.folder,
                          item.uid, item.reason)
                result.unreturnable.append(item.uid)
            else:
                batch.append(item)
                size += len(item.raw)
            progress.advance()
            if len(batch) >= COMMIT_EVERY or size >= COMMIT_BYTES or self.stop.is_set():
                self._take_in_batch(session, cfg, state, batch, result)
                batch.clear()
                size = 0
            if self.stop.is_set():
                return  # stop after the batch in hand
        self._take_in_batch(session, cfg, state, batch, result)
        batch.clear()

    def _take_in_batch(self, session, cfg, state: MailboxState, batch: list[imap.Fetched],
                       result: FolderResult) -> None:
        if batch:
            arrivals = [Arrival(raw=item.raw, mailbox=cfg.receives_for, received_at=item.internaldate,
                                source_key=source_key(cfg.name, state.folder, state.uidvalidity, item.uid))
                        for item in batch]
            for taken in take_in_batch(session, self.app.store, arrivals):
                result.new += taken.new_message
                result.known += not taken.new_message
            if not result.unreturnable:  # never move the watermark past a missing one
                state.last_uid = max(state.last_uid, batch[-1].uid)
        session.commit()
        if batch:
            self.progressed.set()


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


def _log_outcome(result: MailboxResult, seconds: float) -> None:
    fields = {"mailbox": result.mailbox, "outcome": "ok" if result.ok else "failed",
              "duration": seconds}
    for f in result.folders:
        log.info("mailbox %r folder %r: %d new, %d already known, %d not returned%s%s",
                 result.mailbox, f.folder, f.new, f.known, len(f.unreturnable),
                 " (UIDVALIDITY changed: folder re-read)" if f.rescanned else "",
                 f"; error: {f.error}" if f.error else "", extra=fields)
    if result.error:
        log.error("mailbox %r: poll failed after %d attempt(s): %s", result.mailbox,
                  result.attempts, result.error, extra=fields)


def poll_mailboxes(poller: Poller, mailboxes: Iterable[imap.MailboxConfig],
                   meanwhile: Callable[[Callable[[], bool]], None] | None = None) -> list[MailboxResult]:
    """Every mailbox at once, each in its own thread under its deadlines: a slow or broken
    one never delays the others. `meanwhile(coming)` runs in the caller's thread while they
    work, to parse or understand what they bring as it is committed (coming.py)."""
    mailboxes = list(mailboxes)
    results: list[MailboxResult | None] = [None] * len(mailboxes)

    def poll_one(index: int, cfg: imap.MailboxConfig) -> None:
        started = time.monotonic()
        try:
            with logs.context(mailbox=cfg.name):
                results[index] = poller.poll(cfg)
        finally:
            log.debug("mailbox %r polled in %.1f s", cfg.name, time.monotonic() - started)
            poller.progressed.set()

    threads = [threading.Thread(target=poll_one, args=(i, cfg), name=f"poll {cfg.name}", daemon=True)
               for i, cfg in enumerate(mailboxes)]
    for thread in threads:
        thread.start()
    watchdog = threading.Thread(target=_watch_until, args=(poller, threads), name="poll watchdog",
                                daemon=True)
    watchdog.start()
    if meanwhile is not None:
        meanwhile(Coming(lambda: any(t.is_alive() for t in threads), poller.progressed))
    for thread in threads:
        thread.join()
    # not joined: it ends at its next tick (at most WATCH_EVERY_SECONDS), with nothing left to
    # watch; waiting for it would add that tick to every poll
    return [r for r in results if r is not None]


def _watch_until(poller: Poller, threads: list[threading.Thread]) -> None:
    while any(t.is_alive() for t in threads):
        poller.watch()
        poller.stop.wait(WATCH_EVERY_SECONDS)
        if poller.stop.is_set():
            poller.watch()
            time.sleep(WATCH_EVERY_SECONDS)   # readers may still be connecting
