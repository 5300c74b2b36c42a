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
from typing import Callable, Iterable

from intake.progress import Progress
from intake.sources import imap

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
    """Holds what polling needs: a session factory, the store, the take-in function."""

    def __init__(self, sessions: Callable, store, take_in: Callable, state_model,
                 *, stop: threading.Event | None = None, ssl_context=None,
                 retries: int = RETRIES, backoff: float = BACKOFF_SECONDS):
        self.sessions, self.store, self.take_in, self.State = sessions, store, take_in, state_model
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
        result.folders = list(done.values())
        _log_outcome(result)
        return result

    def _poll_folders(self, cfg: imap.MailboxConfig, done: dict[str, FolderResult]) -> None:
        with imap.Reader(cfg, ssl_context=self.ssl_context) as reader:
            for folder in cfg.folders:
                if folder in done and done[folder].error is None:
                    continue  # finished before the connection dropped
                if self.stop.is_set():
                    return
                done[folder] = self._poll_folder(reader, cfg.name, folder)

    def _poll_folder(self, reader: imap.Reader, mailbox: str, folder: str) -> FolderResult:
        result = FolderResult(folder)
        try:
            uidvalidity = reader.open(folder)
        except imap.FolderMissing as exc:
            log.error("%s", exc)
            result.error = str(exc)
            return result
        with self.sessions() as session:
            state = self._state(session, mailbox, folder)
            if state.uidvalidity != uidvalidity:
                result.rescanned = state.uidvalidity is not None
                if result.rescanned:
                    log.warning("mailbox %r folder %r: UIDVALIDITY changed (%s -> %s): reading "
                                "the whole folder again; messages already taken in are "
                                "recognised", mailbox, folder, state.uidvalidity, uidvalidity)
                state.uidvalidity, state.last_uid = uidvalidity, 0
            uids = reader.uids_after(state.last_uid or 0)
            result.found = len(uids)
            with Progress(len(uids), f"{mailbox}/{folder}") as progress:
                self._take_in(session, reader, state, uids, result, progress)
            session.commit()
        return result

    def _take_in(self, session, reader: imap.Reader, state, uids: list[int],
                 result: FolderResult, progress: Progress) -> None:
        pending = 0
        for item in reader.fetch(uids):
            if isinstance(item, imap.Unreturnable):
                log.error("mailbox %r folder %r: message UID %d could not be fetched (%s); it "
                          "will be asked for again at the next poll", state.mailbox,
                          state.folder, item.uid, item.reason)
                result.unreturnable.append(item.uid)
            else:
                key = source_key(state.mailbox, state.folder, state.uidvalidity, item.uid)
                taken = self.take_in(session, self.store, item.raw, mailbox=state.mailbox,
                                     received_at=item.internaldate, source_key=key)
                if _is_new(taken):
                    result.new += 1
                else:
                    result.known += 1
                if not result.unreturnable:  # never move the watermark past a missing one
                    state.last_uid = item.uid
            progress.advance()
            pending += 1
            if pending >= COMMIT_EVERY:
                session.commit()
                pending = 0
            if self.stop.is_set():
                return  # stop after the message in hand; the caller commits

    def _state(self, session, mailbox: str, folder: str):
        state = session.query(self.State).filter_by(mailbox=mailbox, folder=folder).one_or_none()
        if state is None:
            state = self.State(mailbox=mailbox, folder=folder, uidvalidity=None, last_uid=0)
            session.add(state)
        return state


def _is_new(taken) -> bool:
    for name in ("is_new", "new", "created"):
        if hasattr(taken, name):
            return bool(getattr(taken, name))
    return bool(taken)


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
