"""`poll_mailboxes` in a process of its own, for a one-off poll (`intake poll --once`).

Taking in and understanding are both Python work: in one process they take turns on one
interpreter lock, and the understanding waits for the take-in to end. Here the take-in runs
in a forked child, on the other core, while this process understands what each of its batches
commits (SQLite and PostgreSQL both let one process write while another reads and writes).
Nothing else changes: the same threads, deadlines and transactions, in the child.

- The child is forked before this process starts any thread (a fork copies only the calling
  thread: a lock another thread held would stay locked forever in the child). A process that
  already runs other threads (the daemon, a test harness) polls in its own threads instead.
- The database's connections are closed before the fork: the child opens its own.
- Its log records come back here and are handled by this process's handlers (same lines, same
  places); what it returns (or raises) comes back through a pipe.
- A stop (SIGTERM, SIGINT) reaches it as SIGTERM; it then stops as a poll in threads does. It
  dies with this process (PR_SET_PDEATHSIG), so a SIGKILL here leaves no orphan taking in
  behind (its open transaction is simply never committed).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable

from .. import logs
from ..children import die_with_parent, load_prctl
from . import imap
from .coming import Coming
from .poller import MailboxResult, Poller, poll_mailboxes

log = logging.getLogger(__name__)

_context = multiprocessing.get_context("fork")
_FORWARD_EVERY_SECONDS = 0.1


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def poll_mailboxes_apart(poller: Poller, mailboxes: Iterable[imap.MailboxConfig],
                         meanwhile: Callable[[Callable[[], bool]], None]) -> list[MailboxResult]:
    """`poll_mailboxes(poller, mailboxes, meanwhile)`, its polling in a child process when
    this process may fork (`meanwhile` runs here either way)."""
    mailboxes = list(mailboxes)
    if not can_fork():
        return poll_mailboxes(poller, mailboxes, meanwhile=meanwhile)
    load_prctl()   # loaded here: never in the child, after the fork
    poller.app.db.dispose()   # the child opens its own connections
    committed = _context.Event()
    answers, answer_end = _context.Pipe(duplex=False)
    records, record_end = _context.Pipe(duplex=False)
    child = _context.Process(target=_poll_in_child, name="intake-take-in", daemon=True,
                             args=(poller, mailboxes, committed, answer_end, record_end))
    child.start()
    answer_end.close()
    record_end.close()
    relay = threading.Thread(target=_relay_records, args=(records,), name="take-in log", daemon=True)
    relay.start()
    ended = threading.Event()
    forward = threading.Thread(target=_forward_stop, args=(poller.stop, child, ended),
                               name="take-in stop", daemon=True)
    forward.start()
    try:
        meanwhile(Coming(lambda: child.is_alive() and not answers.poll(), committed))
        kind, value = _receive(answers, child, mailboxes)
    except BaseException:   # the understanding failed (a full disk...): the take-in stops too
        if child.is_alive():
            os.kill(child.pid, signal.SIGTERM)
        raise
    finally:
        ended.set()
        child.join()
        relay.join()
    if kind == "error":
        raise value
    return value


def _poll_in_child(poller: Poller, mailboxes: list[imap.MailboxConfig], committed,
                   answers, records) -> None:
    die_with_parent()
    for sig in (signal.SIGTERM, signal.SIGINT):   # the parent says it once: stop, quietly
        signal.signal(sig, lambda _signum, _frame: poller.stop.set())
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_ToParent(records))
    poller.progressed = committed
    try:
        answer = ("ok", poll_mailboxes(poller, mailboxes))
    except BaseException as exc:  # noqa: BLE001 - raised again in the parent
        answer = ("error", exc)
    try:
        answers.send(answer)
    except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled
        answers.send(("error", RuntimeError(f"the take-in failed: {type(answer[1]).__name__}: "
                                            f"{answer[1]}; {exc}")))
    records.close()


def _receive(answers, child, mailboxes: list[imap.MailboxConfig]) -> tuple[str, object]:
    """What the child answered; when it died without answering (killed, out of memory), each
    mailbox's result says so (what it committed is kept, the rest comes at the next poll)."""
    try:
        return answers.recv()
    except EOFError:
        child.join()
        why = (f"the take-in process ended without an answer (exit code {child.exitcode}); what "
               "it committed is kept, the rest comes at the next poll")
        for cfg in mailboxes:
            log.error("mailbox %r: %s", cfg.name, why)
        return "ok", [MailboxResult(cfg.name, error=why) for cfg in mailboxes]


def _forward_stop(stop: threading.Event, child, ended: threading.Event) -> None:
    while not ended.is_set():
        if stop.wait(_FORWARD_EVERY_SECONDS):
            if child.is_alive():
                os.kill(child.pid, signal.SIGTERM)
            return


def _relay_records(records) -> None:
    """The child's log records, handled here as if logged here."""
    while True:
        try:
            record = records.recv()
        except (EOFError, OSError):
            return
        logging.getLogger(record.name).handle(record)


class _ToParent(logging.Handler):
    """In the child: each record, made picklable (its message formatted, its traceback as
    text, its log context as attributes), sent to the parent."""

    def __init__(self, conn):
        super().__init__()
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            for key, value in logs.current_context().items():
                if not hasattr(record, key):
                    setattr(record, key, value)
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None
            self.conn.send(record)
        except Exception:  # noqa: BLE001 - logging never breaks the take-in
            self.handleError(record)
