"""IMAP IDLE: new mail is taken in as soon as the server announces it (`idle = true`).

For each folder of an idle mailbox one connection stays open in IDLE (RFC 2177) on the folder
selected read-only (EXAMINE: IDLE changes nothing either). When the server announces a new
message (EXISTS), and each time the connection is (re)made, the mailbox's `on_news` is called
in the mailbox's own thread: the daemon polls that mailbox (the usual poll, with its deadlines
and watermarks) and understands what it brought. IDLE is re-issued every RENEW_SECONDS, before
the 30 minutes after which a server may drop an idle client. A server that does not offer IDLE,
or an IDLE connection that fails, leaves the mailbox to the scheduled poll (which goes on for
every mailbox anyway); a failed connection is tried again after 1, 2, 4 ... minutes.

Every wait ends within TICK_SECONDS once `stop` is set, and `stop_all` cuts the connections, so
SIGTERM stops the daemon within seconds. Mailboxes do not wait for one another: each watch and
each mailbox's polls have their own thread.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Callable

from imapclient import exceptions as imap_errors

from ..backoff import backoff_delay
from ..config import MailboxConfig
from . import imap, oauth2

log = logging.getLogger(__name__)

RENEW_SECONDS = 24 * 60       # IDLE is ended and re-issued this often (servers allow 29 min+)
TICK_SECONDS = 1.0            # how often a waiting thread looks at `stop`
RETRY_SECONDS = 60.0          # first wait before an IDLE connection is tried again
MAX_RETRY_SECONDS = 3600.0


class NoIdle(imap.ImapError):
    """The server does not offer IDLE."""


class FolderWatch:
    """One folder of one mailbox kept in IDLE; calls `news()` when mail may have arrived."""

    def __init__(self, cfg: MailboxConfig, folder: str, news: Callable[[], None],
                 stop: threading.Event, *, ssl_context=None, tokens: oauth2.Tokens | None = None,
                 timeout: float = 60, renew_seconds: float = RENEW_SECONDS,
                 retry_seconds: float = RETRY_SECONDS):
        self.cfg, self.folder, self.news, self.stop = cfg, folder, news, stop
        self.ssl_context, self.tokens, self.timeout = ssl_context, tokens, timeout
        self.renew_seconds, self.retry_seconds = renew_seconds, retry_seconds
        self.reader: imap.Reader | None = None
        self.idling = False        # True while the server holds the folder in IDLE
        self._failures = 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._watch()
            except NoIdle:
                log.info("mailbox %r: the server does not offer IDLE; the folder %r is polled "
                         "every poll interval instead", self.cfg.name, self.folder)
                return
            except Exception as exc:  # noqa: BLE001 - the scheduled poll goes on meanwhile
                if self.stop.is_set():
                    return
                self._failures += 1
                wait = backoff_delay(self._failures, self.retry_seconds, MAX_RETRY_SECONDS)
                log.warning("mailbox %r folder %r: IDLE stopped (%s); the folder is polled on "
                            "schedule meanwhile, IDLE tried again in %.0f s", self.cfg.name,
                            self.folder, _reason(exc), wait)
                self.stop.wait(wait)

    def end(self) -> None:
        """Cut the connection (from another thread) so a blocked read returns at once."""
        reader = self.reader
        if reader is not None:
            reader.end("intake is stopping")

    def _watch(self) -> None:
        reader = imap.Reader(self.cfg, ssl_context=self.ssl_context, timeout=self.timeout,
                             tokens=self.tokens)
        self.reader = reader
        if self.stop.is_set():
            return
        with reader:
            if b"IDLE" not in reader.client.capabilities():
                raise NoIdle(f"mailbox {self.cfg.name!r}: no IDLE")
            reader.open(self.folder)
            if self._failures:
                log.info("mailbox %r folder %r: IDLE again", self.cfg.name, self.folder)
            self._failures = 0
            self.news()   # what arrived while nobody was listening
            while not self.stop.is_set():
                if self._idle(reader.client):
                    self.news()

    def _idle(self, client) -> bool:
        """One IDLE, until the server announces a message, RENEW_SECONDS pass or `stop` is
        set; True when a message arrived."""
        client.idle()
        self.idling = True
        arrived = False
        renew_at = time.monotonic() + self.renew_seconds
        try:
            while not arrived and not self.stop.is_set() and time.monotonic() < renew_at:
                began = time.monotonic()
                responses = client.idle_check(timeout=TICK_SECONDS)
                if any(r and r[0] == b"BYE" for r in responses):
                    raise imap.ConnectionLost(f"mailbox {self.cfg.name!r}: the server ended the "
                                              "connection (BYE)")
                if not responses and time.monotonic() - began < TICK_SECONDS / 2:
                    _check_open(client.socket(), self.cfg.name)   # woken with nothing to read
                arrived = _announces_mail(responses)
        finally:
            self.idling = False
        if self.stop.is_set():
            return arrived
        _, responses = client.idle_done()
        return arrived or _announces_mail(responses)


def _check_open(sock: socket.socket, mailbox: str) -> None:
    """idle_check swallows a closed connection: look at the socket itself (the base method,
    so a TLS socket is looked at below TLS)."""
    try:
        closed = socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return
    except OSError as exc:
        raise imap.ConnectionLost(f"mailbox {mailbox!r}: connection lost in IDLE: {exc}") from exc
    if closed:
        raise imap.ConnectionLost(f"mailbox {mailbox!r}: the server closed the connection")


def _announces_mail(responses) -> bool:
    return any(len(r) >= 2 and r[1] == b"EXISTS" for r in responses)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, imap_errors.IMAPClientError | OSError | EOFError):
        return f"{type(exc).__name__}: {exc}"
    return str(exc) or type(exc).__name__


class IdleMailboxes:
    """The mailboxes with `idle = true`: a watch per folder and a thread per mailbox that calls
    `on_news(cfg)` (poll it, understand) each time a watch says mail may have arrived. Several
    announcements during one `on_news` make one more call, not several."""

    def __init__(self, mailboxes: list[MailboxConfig], on_news: Callable[[MailboxConfig], None],
                 stop: threading.Event, *, ssl_context=None, tokens: oauth2.Tokens | None = None,
                 **watch_options):
        self.stop, self.on_news = stop, on_news
        self.watches: list[FolderWatch] = []
        self.threads: list[threading.Thread] = []
        for cfg in (m for m in mailboxes if m.idle):
            due = threading.Event()
            for folder in cfg.folders:
                watch = FolderWatch(cfg, folder, due.set, stop, ssl_context=ssl_context,
                                    tokens=tokens, **watch_options)
                self.watches.append(watch)
                self.threads.append(threading.Thread(target=watch.run, daemon=True,
                                                     name=f"idle {cfg.name}/{folder}"))
            self.threads.append(threading.Thread(target=self._serve, args=(cfg, due), daemon=True,
                                                 name=f"idle poll {cfg.name}"))

    def start(self) -> "IdleMailboxes":
        for thread in self.threads:
            thread.start()
        if self.watches:
            log.info("IMAP IDLE on %d folder(s) of %d mailbox(es)", len(self.watches),
                     len({w.cfg.name for w in self.watches}))
        return self

    def _serve(self, cfg: MailboxConfig, due: threading.Event) -> None:
        while not self.stop.is_set():
            if not due.wait(TICK_SECONDS):
                continue
            due.clear()
            if self.stop.is_set():
                return
            try:
                self.on_news(cfg)
            except Exception as exc:  # noqa: BLE001 - the next announcement tries again
                log.error("mailbox %r: taking in the new mail failed: %s: %s", cfg.name,
                          type(exc).__name__, exc)

    def stop_all(self, timeout: float = 10.0) -> None:
        """After `stop` is set: cut the IDLE connections and wait for the threads."""
        for watch in self.watches:
            watch.end()
        until = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, until - time.monotonic()))
