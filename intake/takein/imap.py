"""Read-only IMAP access: connect to a configured mailbox and stream its new messages.

Nothing here changes a mailbox: folders are selected read-only (EXAMINE) and bodies are fetched
with BODY.PEEK[], so \\Seen is never set and nothing is deleted or moved. Messages are fetched
in small batches (bounded in count and bytes) so memory stays flat however big the folder is.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from imapclient import IMAPClient, imap4, tls
from imapclient import exceptions as imap_errors

from ..config import SECURITY_MODES, MailboxConfig, secret_from_env
from ..rawconfig import is_loopback
from ..errors import ConfigError
from . import oauth2

log = logging.getLogger(__name__)

BATCH_COUNT = 50
BATCH_BYTES = 16 * 1024 * 1024
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE", b"RFC822.SIZE"]


class ImapError(Exception):
    """A problem with one mailbox, worded for the person who configures it."""


class ConfigProblem(ImapError):
    """The mailbox's configuration or environment must be fixed; retrying will not help."""


class LoginRefused(ImapError):
    pass


class TokenRefused(ImapError):
    """The OAuth2 provider will not give an access token (revoked refresh token, client
    refused): a person must act; the message says what to do."""


class TlsRefused(ImapError):
    """The server's certificate is not trusted: retrying will not help."""


class FolderMissing(ImapError):
    pass


class ConnectionLost(ImapError):
    """The connection dropped (network, server restart); retrying later is the cure."""


@dataclass(frozen=True)
class Fetched:
    uid: int
    internaldate: dt.datetime  # timezone-aware, as the server stored it
    raw: bytes


@dataclass(frozen=True)
class Unreturnable:
    """A message the server listed but would not return; it must be retried, not skipped."""

    uid: int
    reason: str


CONNECTION_ERRORS = (OSError, imap_errors.IMAPClientAbortError, EOFError)


def _secret(cfg: MailboxConfig, attribute: str, what: str) -> str:
    try:
        return secret_from_env(getattr(cfg, attribute, None), attribute, what)
    except ConfigError as exc:
        raise ConfigProblem(f"mailbox {cfg.name!r}: {exc}") from None


def _oauth2_token(cfg: MailboxConfig) -> str:
    """From oauth2_token_file when the config has one (re-read at every connection, so a
    refresher can replace it while `intake run` goes on), else from oauth2_token_env."""
    path = getattr(cfg, "oauth2_token_file", None)
    if not path:
        return _secret(cfg, "oauth2_token_env", "OAuth2 access token")
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigProblem(f"mailbox {cfg.name!r}: cannot read oauth2_token_file {path}: "
                            f"{exc.strerror}") from exc
    if not token:
        raise ConfigProblem(f"mailbox {cfg.name!r}: oauth2_token_file {path} is empty")
    return token


class _WatchedClient(IMAPClient):
    """An IMAPClient that hands its TCP socket to `watch` as soon as the socket exists, before
    the server's greeting or the TLS handshake is read: a watchdog can then end a connection
    that a server keeps alive a byte at a time (no read ever times out on such a server)."""

    def __init__(self, *args, watch, **kwargs):
        self._watch = watch
        super().__init__(*args, **kwargs)
        # imapclient turns imaplib's protocol trace on (level 5) and sends it to a logger that
        # logs.py keeps silent: each response was still formatted first, the repr of every mail
        # fetched (a sixth of a first poll's time), and such a trace holds what mails say.
        self._imap.debug = 0

    def _create_IMAP4(self):
        watch, timeout = self._watch, getattr(self._timeout, "connect", None)
        if self.ssl:
            context = self.ssl_context

            class Watched(tls.IMAP4_TLS):
                def _create_socket(self, timeout=None):
                    sock = socket.create_connection((self.host, self.port),
                                                    timeout=timeout or self._timeout)
                    watch(sock)
                    return tls.wrap_socket(sock, context, self.host)

            return Watched(self.host, self.port, self.ssl_context, timeout)

        class WatchedPlain(imap4.IMAP4WithTimeout):
            def _create_socket(self, timeout=None):
                sock = super()._create_socket(timeout)
                watch(sock)
                return sock

        return WatchedPlain(self.host, self.port, timeout)


def check_config(cfg: MailboxConfig) -> tuple[str, str]:
    """(security, auth) of a mailbox once its settings and secrets are checked (without asking
    the network), or a ConfigProblem saying what to fix."""
    security = getattr(cfg, "security", "ssl")
    if security not in SECURITY_MODES:
        raise ConfigProblem(f"mailbox {cfg.name!r}: security = {security!r} is not one of "
                            f"ssl, starttls, none")
    if security == "none" and not is_loopback(cfg.host):
        raise ConfigProblem(f"mailbox {cfg.name!r}: security = \"none\" sends the password in "
                            f"clear and is only allowed for a loopback host, not {cfg.host!r}; "
                            f"use \"ssl\" (port 993) or \"starttls\" (port 143)")
    auth = getattr(cfg, "auth", "password") or "password"
    if auth not in ("password", "xoauth2"):
        raise ConfigProblem(f"mailbox {cfg.name!r}: auth = {auth!r} is not password or xoauth2")
    if oauth2.renews(cfg):
        try:
            oauth2.check(cfg)
        except ConfigError as exc:
            raise ConfigProblem(f"mailbox {cfg.name!r}: {exc}") from None
    elif auth == "xoauth2":
        if not (cfg.oauth2_token_env or cfg.oauth2_token_file):
            raise ConfigProblem(f"mailbox {cfg.name!r}: auth = \"xoauth2\" needs "
                                "oauth2_refresh_token_env (intake renews the access token) or "
                                "oauth2_token_env / oauth2_token_file; see docs/mailboxes.md")
        _oauth2_token(cfg)
    else:
        _secret(cfg, "password_env", "password")
    return security, auth


_TOKENS = oauth2.Tokens()   # for a connection made without a Tokens of its own (memory only)


def _login_secret(cfg: MailboxConfig, auth: str, tokens: oauth2.Tokens) -> str:
    if auth != "xoauth2":
        return _secret(cfg, "password_env", "password")
    if not oauth2.renews(cfg):
        return _oauth2_token(cfg)
    try:
        return tokens.access_token(cfg)
    except ConfigError as exc:
        raise ConfigProblem(f"mailbox {cfg.name!r}: {exc}") from None
    except oauth2.TokenError as exc:
        raise (ConnectionLost(str(exc)) if exc.retry else TokenRefused(str(exc))) from None


def connect(cfg: MailboxConfig, *, ssl_context: ssl.SSLContext | None = None,
            timeout: float = 60, watch=lambda sock: None,
            tokens: oauth2.Tokens | None = None) -> IMAPClient:
    """An authenticated IMAPClient for `cfg`, or a clear ImapError. `timeout` bounds each
    read from the server; `watch` gets the socket as soon as it is made (see _WatchedClient).
    An access token intake renews itself that the server refuses is renewed, and the login
    tried once more."""
    tokens = tokens or _TOKENS
    try:
        return _connect(cfg, ssl_context, timeout, watch, tokens)
    except LoginRefused:
        if not oauth2.renews(cfg):
            raise
        log.warning("mailbox %r: the server refused the OAuth2 access token; asking for a new "
                    "one and trying again", cfg.name)
        tokens.forget(cfg)
        return _connect(cfg, ssl_context, timeout, watch, tokens)


def _connect(cfg: MailboxConfig, ssl_context: ssl.SSLContext | None, timeout: float, watch,
             tokens: oauth2.Tokens) -> IMAPClient:
    security, auth = check_config(cfg)
    secret = _login_secret(cfg, auth, tokens)
    context = ssl_context or ssl.create_default_context()
    where = f"mailbox {cfg.name!r} ({cfg.host}:{cfg.port}, {security})"
    try:
        client = _WatchedClient(cfg.host, cfg.port, ssl=security == "ssl", ssl_context=context,
                                timeout=timeout, watch=watch)
        client.normalise_times = False
        if security == "starttls":
            client.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise TlsRefused(f"{where}: the server's certificate is not trusted "
                         f"({exc.verify_message}); check host and port, or the server's "
                         f"certificate") from exc
    except ssl.SSLError as exc:
        raise ConnectionLost(f"{where}: TLS failed: {exc}") from exc
    except CONNECTION_ERRORS as exc:
        raise ConnectionLost(f"{where}: cannot connect: {exc}") from exc
    except imap_errors.IMAPClientError as exc:
        raise ConnectionLost(f"{where}: {exc}") from exc
    try:
        if auth == "xoauth2":
            client.oauth2_login(cfg.username, secret)
        else:
            client.login(cfg.username, secret)
    except CONNECTION_ERRORS as exc:
        raise ConnectionLost(f"{where}: connection lost during login: {exc}") from exc
    except imap_errors.IMAPClientError as exc:
        close(client)
        raise LoginRefused(f"{where}: the server refused the login of {cfg.username!r}: "
                           f"{_text(exc)}; check the username and the secret in "
                           f"{_secret_source(cfg, auth)}") from exc
    return client


def _secret_source(cfg: MailboxConfig, auth: str) -> str:
    if auth != "xoauth2":
        return f"${cfg.password_env}"
    if oauth2.renews(cfg):
        return (f"the access token obtained with ${cfg.oauth2_refresh_token_env} (the scope "
                f"it was granted, and IMAP access for the account)")
    path = getattr(cfg, "oauth2_token_file", None)
    return f"oauth2_token_file {path}" if path else f"${cfg.oauth2_token_env}"


class Reader:
    """One mailbox's connection, with one folder open read-only, that can reconnect.

    The server may drop the connection because of one message it cannot return (Dovecot
    answers BYE to a FETCH it fails): the batch is then re-read one message at a time on a
    fresh connection, and the culprit comes out as Unreturnable.
    """

    def __init__(self, cfg: MailboxConfig, *, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 60, tokens: oauth2.Tokens | None = None):
        self.cfg, self.ssl_context, self.timeout = cfg, ssl_context, timeout
        self.tokens = tokens
        self.client: IMAPClient | None = None
        self.folder: str | None = None
        self.uidvalidity: int | None = None
        self.doing_since: float | None = None     # when the server operation in hand began
        self.ended: str | None = None              # why end() cut the connection
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> "Reader":
        self._connect()
        return self

    def _connect(self) -> None:
        with self._operation("connecting"):
            self.client = connect(self.cfg, ssl_context=self.ssl_context, timeout=self.timeout,
                                  watch=self._watch, tokens=self.tokens)

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            ended = self.ended
        if ended:
            self._shut(sock)

    def end(self, why: str) -> None:
        """Cut the connection from another thread (a deadline passed, intake is stopping):
        the read in progress returns at once and the poll of this mailbox ends with `why`."""
        with self._lock:
            if self.ended:
                return
            self.ended = why
            sockets = [self._socket]
            if self.client is not None:
                try:
                    sockets.append(self.client.socket())
                except Exception:  # noqa: BLE001 - no socket yet, or already closed
                    pass
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket | None) -> None:
        if sock is None:
            return
        try:   # the base method: an SSL socket is cut at the TCP level, mid-read included
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    @contextmanager
    def _operation(self, doing: str) -> Iterator[None]:
        """Marks a server operation (for the watchdog's per-operation deadline); a failure
        after end() is reported as what ended it, not as a network error."""
        self.doing_since = time.monotonic()
        try:
            yield
        except (ImapError, *CONNECTION_ERRORS, imap_errors.IMAPClientError) as exc:
            if self.ended:
                raise Ended(f"mailbox {self.cfg.name!r}: {self.ended} (while {doing})") from exc
            raise
        finally:
            self.doing_since = None

    def __exit__(self, *exc) -> None:
        close(self.client)
        self.client = None

    def open(self, folder: str) -> int:
        """Select `folder` read-only (EXAMINE); returns its UIDVALIDITY."""
        assert self.client is not None, "use Reader as a context manager"
        try:
            with self._operation(f"opening folder {folder!r}"):
                info = self.client.select_folder(folder, readonly=True)
        except Ended:
            raise
        except CONNECTION_ERRORS as exc:
            raise ConnectionLost(f"mailbox {self.cfg.name!r}: connection lost opening folder "
                                 f"{folder!r}: {exc}") from exc
        except imap_errors.IMAPClientError as exc:
            raise FolderMissing(f"mailbox {self.cfg.name!r}: folder {folder!r} cannot be opened "
                                f"({_text(exc)}); check `folders` in the config") from exc
        self.folder, self.uidvalidity = folder, int(info[b"UIDVALIDITY"])
        return self.uidvalidity

    def uids_after(self, watermark: int) -> list[int]:
        """UIDs above `watermark`, ascending. (`UID n:*` also matches the last message when
        nothing is above n, so the result is filtered.)"""
        with self._guard("searching for new messages"):
            found = self.client.search([b"UID", f"{watermark + 1}:*".encode()])
        return sorted(uid for uid in found if uid > watermark)

    def fetch(self, uids: Sequence[int]) -> Iterator[Fetched | Unreturnable]:
        """Stream the messages `uids` in ascending UID order, a bounded batch at a time."""
        for batch in self._batches(sorted(uids)):
            yield from self._fetch_batch(batch)

    def _batches(self, uids: list[int]) -> Iterator[list[int]]:
        step = BATCH_COUNT * 10
        for start in range(0, len(uids), step):
            chunk = uids[start:start + step]
            with self._guard("reading message sizes"):
                sizes = self.client.fetch(chunk, [b"RFC822.SIZE"])
            batch: list[int] = []
            total = 0
            for uid in chunk:
                size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
                if batch and (len(batch) >= BATCH_COUNT or total + size > BATCH_BYTES):
                    yield batch
                    batch, total = [], 0
                batch.append(uid)
                total += size
            if batch:
                yield batch

    def _fetch_batch(self, batch: list[int]) -> Iterator[Fetched | Unreturnable]:
        try:
            with self._guard("fetching messages"):
                found = self.client.fetch(batch, FETCH_ITEMS)
        except _ServerFailed as exc:
            if len(batch) == 1:
                yield Unreturnable(batch[0], str(exc))
            for uid in batch if len(batch) > 1 else ():
                yield from self._fetch_batch([uid])
            return
        for uid in batch:
            item = found.get(uid)
            if item is None or b"BODY[]" not in item or b"INTERNALDATE" not in item:
                yield Unreturnable(uid, "the server listed the message but returned no content")
            else:
                yield Fetched(uid, _aware(item[b"INTERNALDATE"]), bytes(item[b"BODY[]"]))

    def _reconnect(self, why: str) -> None:
        close(self.client)
        self.client = None
        self._connect()
        validity = self.uidvalidity
        if self.open(self.folder) != validity:
            raise ConnectionLost(f"mailbox {self.cfg.name!r}: UIDVALIDITY of {self.folder!r} "
                                 f"changed while reading it (after: {why}); poll again")

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Library errors -> ConnectionLost (the network or server went away) or
        _ServerFailed (the server refused or choked on this command, connection usable)."""
        where = f"mailbox {self.cfg.name!r}, folder {self.folder!r}"
        try:
            with self._operation(doing):
                yield
        except Ended:
            raise
        except imap_errors.IMAPClientAbortError as exc:
            if _is_network(exc) or "shutting down" in str(exc).lower():
                raise ConnectionLost(f"{where}: connection lost while {doing}: {exc}") from exc
            self._reconnect(str(exc))  # the server hung up on this command: try the next
            raise _ServerFailed(f"server failed while {doing}: {_text(exc)}") from exc
        except CONNECTION_ERRORS as exc:
            raise ConnectionLost(f"{where}: connection lost while {doing}: {exc}") from exc
        except imap_errors.IMAPClientError as exc:
            raise _ServerFailed(f"server error while {doing}: {_text(exc)}") from exc


class _ServerFailed(ImapError):
    pass


class Ended(ConnectionLost):
    """The connection was cut on purpose (a deadline passed, intake is stopping)."""


def _is_network(exc: BaseException) -> bool:
    return "socket error" in str(exc) or isinstance(exc.__context__, OSError)


def _aware(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset()
    if offset is None:  # RFC 3501 requires a zone; a server that sends none is taken as UTC
        return value.replace(tzinfo=dt.timezone.utc)
    return value.replace(tzinfo=dt.timezone(offset))


def close(client: IMAPClient | None) -> None:
    """Log out, or drop the socket when the connection is already gone."""
    if client is None:
        return
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - nothing left to save on a dead connection
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text[:2] in ("b'", 'b"'):
        text = text[2:-1]
    return text
