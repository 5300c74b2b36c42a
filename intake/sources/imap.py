"""Read-only IMAP access: connect to a configured mailbox and stream its new messages.

Nothing here changes a mailbox: folders are selected read-only (EXAMINE) and bodies are fetched
with BODY.PEEK[], so \\Seen is never set and nothing is deleted or moved. Messages are fetched
in small batches (bounded in count and bytes) so memory stays flat however big the folder is.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

BATCH_COUNT = 50
BATCH_BYTES = 16 * 1024 * 1024
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE", b"RFC822.SIZE"]
SECURITIES = ("ssl", "starttls", "none")


class MailboxConfig(Protocol):
    name: str
    host: str
    port: int
    security: str
    username: str
    password_env: str | None
    auth: str
    oauth2_token_env: str | None
    folders: Sequence[str]


class ImapError(Exception):
    """A problem with one mailbox, worded for the person who configures it."""


class ConfigProblem(ImapError):
    """The mailbox's configuration or environment must be fixed; retrying will not help."""


class LoginRefused(ImapError):
    pass


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


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback IP literals (no DNS lookup is made)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _secret(cfg: MailboxConfig, attribute: str, what: str) -> str:
    variable = getattr(cfg, attribute, None)
    if not variable:
        raise ConfigProblem(f"mailbox {cfg.name!r}: {attribute} is not set; name the environment "
                            f"variable that holds the {what}")
    value = os.environ.get(variable)
    if not value:
        raise ConfigProblem(f"mailbox {cfg.name!r}: environment variable {variable} is not set; "
                            f"export it with the {what} ({attribute} in the config names it)")
    return value


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


def connect(cfg: MailboxConfig, *, ssl_context: ssl.SSLContext | None = None,
            timeout: float = 60) -> IMAPClient:
    """An authenticated IMAPClient for `cfg`, or a clear ImapError."""
    security = getattr(cfg, "security", "ssl")
    if security not in SECURITIES:
        raise ConfigProblem(f"mailbox {cfg.name!r}: security = {security!r} is not one of "
                            f"ssl, starttls, none")
    if security == "none" and not is_loopback(cfg.host):
        raise ConfigProblem(f"mailbox {cfg.name!r}: security = \"none\" sends the password in "
                            f"clear and is only allowed for a loopback host, not {cfg.host!r}; "
                            f"use \"ssl\" (port 993) or \"starttls\" (port 143)")
    auth = getattr(cfg, "auth", "password") or "password"
    if auth not in ("password", "xoauth2"):
        raise ConfigProblem(f"mailbox {cfg.name!r}: auth = {auth!r} is not password or xoauth2")
    secret = (_oauth2_token(cfg) if auth == "xoauth2"
              else _secret(cfg, "password_env", "password"))
    context = ssl_context or ssl.create_default_context()
    where = f"mailbox {cfg.name!r} ({cfg.host}:{cfg.port}, {security})"
    try:
        client = IMAPClient(cfg.host, cfg.port, ssl=security == "ssl", ssl_context=context,
                            timeout=timeout)
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
    path = getattr(cfg, "oauth2_token_file", None)
    return f"oauth2_token_file {path}" if path else f"${cfg.oauth2_token_env}"


class Reader:
    """One mailbox's connection, with one folder open read-only, that can reconnect.

    The server may drop the connection because of one message it cannot return (Dovecot
    answers BYE to a FETCH it fails): the batch is then re-read one message at a time on a
    fresh connection, and the culprit comes out as Unreturnable.
    """

    def __init__(self, cfg: MailboxConfig, *, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 60):
        self.cfg, self.ssl_context, self.timeout = cfg, ssl_context, timeout
        self.client: IMAPClient | None = None
        self.folder: str | None = None
        self.uidvalidity: int | None = None

    def __enter__(self) -> "Reader":
        self.client = connect(self.cfg, ssl_context=self.ssl_context, timeout=self.timeout)
        return self

    def __exit__(self, *exc) -> None:
        close(self.client)
        self.client = None

    def open(self, folder: str) -> int:
        """Select `folder` read-only (EXAMINE); returns its UIDVALIDITY."""
        assert self.client is not None, "use Reader as a context manager"
        try:
            info = self.client.select_folder(folder, readonly=True)
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
        self.client = connect(self.cfg, ssl_context=self.ssl_context, timeout=self.timeout)
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
            yield
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
