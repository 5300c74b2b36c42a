"""The quick poll: `intake poll --once` when there is nothing to do, answered in milliseconds.

Most scheduled polls (a timer every few minutes) find nothing new. Importing what the full poll
needs (SQLAlchemy, pydantic, imapclient) costs far more than asking the servers, so before any
of that, `answer` checks with the standard library alone (tomllib, sqlite3, a socket) that:

- the config file and the rules folder are byte for byte those the last full poll validated
  and found without errors (it leaves their fingerprint in the data folder, CHECKED);
- the database is SQLite, at the current schema, private, with no message waiting to be
  understood and no acknowledgement due or left half-sent;
- every mailbox logs in with a password (not OAuth2), and in every folder (EXAMINE: read-only)
  UIDVALIDITY is the one recorded and no UID is above the folder's watermark.

Then it records each mailbox's successful poll in mailbox_health (the only write, the same
columns and busy timeout as the full poll), logs the lines the full poll would, and the exit
code is 0, as the full poll's would be. On any doubt (something new, something pending,
PostgreSQL, OAuth2, a config or rules file changed since, a refused login, any error) it
returns None having written nothing, and the full poll runs and decides.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import socket
import sqlite3
import threading
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from . import __version__, logs, rawconfig
from .schema import SCHEMA_HEAD

log = logging.getLogger(__name__)
said = logging.getLogger("intake.commands")           # the full poll's loggers: the same lines
said_per_folder = logging.getLogger("intake.takein.poller")

CHECKED = "poll-checked"        # in the data folder: the fingerprint of the last valid config and rules
TIMEOUT_SECONDS = 20            # one IMAP read; past it, the full poll (with its retries) takes over
BUSY_TIMEOUT_MS = 120_000       # as intake/db.py
_PACKAGE = Path(__file__).resolve().parent
# What decides whether a config or rules file is valid, besides the files themselves.
_VALIDATORS = ("config.py", "rawconfig.py", "rules.py", "vocabulary.py", "text.py",
               "mail_out/compose.py", "defaults/pieces.toml")
MAILBOX_DEFAULTS = {"port": 993, "security": "ssl", "folders": ["INBOX"], "auth": "password"}  # as MailboxConfig
_SIMPLE_FOLDER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-/")


class Doubt(Exception):
    """Why the quick poll leaves the answer to the full poll."""


class _Stopped(Exception):
    def __init__(self, signum: int):
        self.signum = signum


class Box(NamedTuple):
    name: str
    host: str
    port: int
    security: str
    username: str
    password: str
    folders: tuple[str, ...]


# -- the fingerprint the full poll leaves -----------------------------------------------------

def fingerprint(config_text: bytes | None, rules_dir: Path) -> str:
    """Of the config file's bytes, the rules folder's rules files and templates, and the code
    that validates them (by size and modification time)."""
    digest = hashlib.sha256(f"{__version__}\0{SCHEMA_HEAD}\0".encode())
    digest.update(b"config\0" + (config_text if config_text is not None else b"(none)") + b"\0")
    digest.update(b"rules folder\0" if rules_dir.is_dir() else b"no rules folder\0")
    files = sorted(rules_dir.glob("*.toml")) + sorted(p for p in (rules_dir / "templates").rglob("*")
                                                    if p.is_file())
    for path in files:
        digest.update(f"{path.relative_to(rules_dir)}\0".encode() + path.read_bytes() + b"\0")
    code = [_PACKAGE / name for name in _VALIDATORS]
    code += sorted(p for p in (_PACKAGE / "mail_out" / "templates").rglob("*") if p.is_file())
    for path in code:
        stat = path.stat()
        digest.update(f"{path.relative_to(_PACKAGE)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def config_bytes(path: Path | None) -> bytes | None:
    return None if path is None else path.read_bytes()


def remember(data_dir: Path, value: str | None) -> None:
    """The full poll: `value`, the fingerprint of a config and rules it found valid (None:
    they were not, or changed while it read them)."""
    target = data_dir / CHECKED
    if value is None:
        target.unlink(missing_ok=True)
        return
    from .fsutil import write_atomic

    write_atomic(target, value.encode(), durable=False)


def fingerprint_before(settings) -> tuple[bytes | None, str] | None:
    """The full poll: the config file's bytes and the fingerprint of them and of the rules,
    before the rules are read (SQLite only: the quick poll never answers for PostgreSQL)."""
    if not settings.db_url.startswith("sqlite:///"):
        return None
    try:
        text = config_bytes(settings.config_file)
        return text, fingerprint(text, settings.rules_dir)
    except OSError as exc:
        log.debug("config and rules not fingerprinted: %s", exc)
        return None


def leave_fingerprint(settings, rules, checking: tuple[bytes | None, str] | None) -> None:
    """The full poll, once the rules are read: leave the fingerprint when the config file and
    every rules file are valid and did not change while they were read; else remove it."""
    from .config import validate_file
    from .errors import UserError

    if checking is None:
        return
    text, before = checking
    try:
        valid = not rules.invalid and fingerprint(text, settings.rules_dir) == before
        if valid and text is not None:
            validate_file(settings.config_file, tomllib.loads(text.decode("utf-8")))
    except (UserError, ValueError, OSError) as exc:   # changed while read: the full poll next time
        log.debug("config and rules not checked for the quick poll: %s", exc)
        valid = False
    try:
        remember(settings.data_dir, before if valid else None)
    except OSError as exc:
        log.debug("the quick poll's fingerprint not written: %s", exc)


# -- the quick answer -------------------------------------------------------------------------

def answer(args) -> int | None:
    """The exit code of `intake poll --once` when there is nothing to do, or None: run the
    full poll (nothing was written)."""
    started = time.monotonic()
    saved = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            boxes = _quiet(args)
        finally:
            for sig, old in saved.items():
                signal.signal(sig, old)
    except Doubt as why:
        log.debug("quick poll: %s; the full poll decides", why)
        return None
    except _Stopped as stopped:   # as the full poll stopped before its first mailbox
        name = signal.Signals(stopped.signum).name
        said.info("received %s: stopping", name)
        said.info("poll done: %d mailbox(es), 0 new message(s); understood: nothing; "
                  "acknowledgements: nothing due", _count_mailboxes(args))
        said.warning("stopped by %s: the rest at the next poll", name)
        return 128 + stopped.signum
    except Exception as exc:  # noqa: BLE001 - any surprise: the full poll decides, and says
        log.debug("quick poll: %s: %s; the full poll decides", type(exc).__name__, exc)
        return None
    for box in boxes:
        fields = {"mailbox": box.name, "outcome": "ok", "duration": time.monotonic() - started}
        for folder in box.folders:
            with logs.context(mailbox=box.name):
                said_per_folder.info("mailbox %r folder %r: %d new, %d already known, %d not "
                                     "returned%s%s", box.name, folder, 0, 0, 0, "", "", extra=fields)
    log.debug("quick poll: nothing new, nothing pending, nothing to send (%.0f ms)",
              (time.monotonic() - started) * 1000)
    said.info("poll done: %d mailbox(es), %d new message(s); understood: %s; acknowledgements: %s",
              len(boxes), 0, "nothing", "nothing due")
    return 0


def _stop(signum, _frame) -> None:
    raise _Stopped(signum)


def _count_mailboxes(args) -> int:
    try:
        path = rawconfig.config_path(args.config, dict(os.environ))
        return len(_toml(config_bytes(path)).get("mailboxes", []))
    except Exception:  # noqa: BLE001 - only for the last line's count
        return 0


def _toml(text: bytes | None) -> dict:
    return {} if text is None else tomllib.loads(text.decode("utf-8"))


def _quiet(args) -> list[Box]:
    """The mailboxes, once all is known quiet and their poll recorded; else Doubt."""
    env = dict(os.environ)
    path = rawconfig.config_path(args.config, env)
    text = config_bytes(path)   # parsed and fingerprinted from the same bytes
    data = _toml(text)
    storage, database = rawconfig.section(data, "storage"), rawconfig.section(data, "database")
    where = rawconfig.places(path, storage.get("data_dir"), storage.get("rules_dir"),
                             database.get("url"), db=args.db, rules=args.rules,
                             data_dir=args.data_dir, env=env)
    database_file = _sqlite_file(where.db_url)
    try:
        checked = (where.data_dir / CHECKED).read_text(encoding="ascii")
    except FileNotFoundError:
        raise Doubt("no full poll has checked this config and these rules yet") from None
    if checked != fingerprint(text, where.rules_dir):
        raise Doubt("the config or the rules changed since the last full poll")
    if args.log_format is None and rawconfig.section(data, "logging").get("format", "text") != "text":
        logs.use_format(rawconfig.section(data, "logging")["format"])
    boxes = [_box(entry) for entry in data.get("mailboxes", [])]
    if not boxes:
        raise Doubt("no mailbox")
    _private(where.data_dir, database_file)
    os.umask(0o077)
    db = sqlite3.connect(database_file, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        for pragma in (f"busy_timeout={BUSY_TIMEOUT_MS}", "journal_mode=WAL", "synchronous=NORMAL"):
            db.execute(f"PRAGMA {pragma}")
        _none_failing(db, [box.name for box in boxes])
        known: dict = {}
        ready = threading.Event()
        asking = [_Asking(box, known, ready) for box in boxes]   # the servers answer meanwhile
        try:
            known["watermarks"] = _nothing_pending(db)
        finally:
            ready.set()   # without watermarks, a thread that waits for them ends
        for each in asking:
            each.outcome()
        _record_success(db, [box.name for box in boxes])
    finally:
        db.close()
    return boxes


def _sqlite_file(url: str) -> str:
    if not url.startswith("sqlite:///"):
        raise Doubt("not a SQLite database (PostgreSQL is polled by the full poll)")
    name = url.removeprefix("sqlite:///")
    if not name or any(c in name for c in "?%#") or not Path(name).is_file():
        raise Doubt("the SQLite database is new or its URL has parameters")
    return name


def _private(data_dir: Path, database_file: str) -> None:
    """What the full poll would tighten or create, it is left to do."""
    paths = [data_dir, Path(database_file), *(Path(database_file + end) for end in ("-wal", "-shm"))]
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            if path == data_dir:
                raise Doubt("no data folder yet") from None
            continue
        if mode & 0o077:
            raise Doubt(f"{path} is open to other users: the full poll makes it private")


def _box(entry) -> Box:
    """A mailbox the quick poll can ask: a password login, plain values only."""
    if not isinstance(entry, dict):
        raise Doubt("a [[mailboxes]] entry is not a table")
    if entry.get("auth", MAILBOX_DEFAULTS["auth"]) != "password" or any(
            key.startswith("oauth2_") or key == "provider" for key in entry):
        raise Doubt(f"mailbox {entry.get('name')!r} uses OAuth2")
    name, host, username = entry.get("name"), entry.get("host"), entry.get("username")
    port, security = entry.get("port", MAILBOX_DEFAULTS["port"]), entry.get("security", MAILBOX_DEFAULTS["security"])
    folders, variable = entry.get("folders", MAILBOX_DEFAULTS["folders"]), entry.get("password_env")
    if not all(isinstance(v, str) and v for v in (name, host, username, variable)) or \
            type(port) is not int or security not in ("ssl", "starttls", "none") or \
            not isinstance(folders, list) or not all(_simple(f) for f in folders):
        raise Doubt(f"mailbox {name!r}: a value the quick poll does not read")
    if security == "none" and not rawconfig.is_loopback(host):
        raise Doubt(f"mailbox {name!r}: security = \"none\" on a host that is not loopback")
    password = os.environ.get(variable)
    if not password:
        raise Doubt(f"mailbox {name!r}: ${variable} is not set")
    return Box(name, host, port, security, username, password, tuple(folders))


def _simple(folder) -> bool:
    return isinstance(folder, str) and bool(folder) and set(folder) <= _SIMPLE_FOLDER


def _none_failing(db: sqlite3.Connection, mailboxes: list[str]) -> None:
    """Doubt unless the schema is current and no mailbox's last poll failed (a refused password
    is tried once a poll, by the full poll, not twice)."""
    [(revision,)] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    if revision != SCHEMA_HEAD:
        raise Doubt(f"the database is at schema {revision}, not {SCHEMA_HEAD}")
    failing = {name for (name,) in db.execute(
        "SELECT mailbox FROM mailbox_health WHERE failing_since IS NOT NULL")}
    if failing & set(mailboxes):
        raise Doubt(f"the last poll of mailbox {sorted(failing & set(mailboxes))[0]!r} failed")


def _nothing_pending(db: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    """(mailbox, folder) -> (UIDVALIDITY, watermark); Doubt when anything waits."""
    if db.execute("SELECT 1 FROM messages WHERE state = 'pending' LIMIT 1").fetchone():
        raise Doubt("messages wait to be understood")
    now = _sqlite_time(datetime.now(timezone.utc))
    if db.execute("SELECT 1 FROM outbox WHERE state = 'sending' LIMIT 1").fetchone() or \
            db.execute("SELECT 1 FROM outbox WHERE state = 'queued' AND send_after <= ? LIMIT 1",
                       (now,)).fetchone():   # each by the index on (state, send_after)
        raise Doubt("acknowledgements are due, or one was left half-sent")
    return {(mailbox, folder): (uidvalidity, last_uid) for mailbox, folder, uidvalidity, last_uid
            in db.execute("SELECT mailbox, folder, uidvalidity, last_uid FROM mailbox_states")}


def _sqlite_time(moment: datetime) -> str:
    """As SQLAlchemy stores a UTCDateTime in SQLite (naive UTC, microseconds)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


class _Asking:
    """One mailbox asked in its own thread: it connects and logs in at once, then waits for
    the watermarks the database gives (read meanwhile)."""

    def __init__(self, box: Box, known: dict, ready: threading.Event):
        self.box, self.known, self.ready = box, known, ready
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"quick poll {box.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with _Imap(self.box) as imap:
                imap.login(self.box.username, self.box.password)
                self.ready.wait()
                if "watermarks" in self.known:   # else the main thread gave up
                    _nothing_new(imap, self.box, self.known["watermarks"])
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.failure = exc

    def outcome(self) -> None:
        self.thread.join()
        if self.failure is not None:
            raise self.failure


def _nothing_new(imap: _Imap, box: Box, watermarks: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Doubt unless every folder has the recorded UIDVALIDITY and nothing above its watermark."""
    for folder in box.folders:
        if (box.name, folder) not in watermarks:
            raise Doubt(f"mailbox {box.name!r} folder {folder!r} was never polled")
        uidvalidity, last_uid = watermarks[(box.name, folder)]
        said = imap.command(b"EXAMINE " + _quoted(folder))   # read-only: nothing changes
        found = [m for line in said if (m := _UIDVALIDITY.match(line))]
        if len(found) != 1 or int(found[0][1]) != uidvalidity:
            raise Doubt(f"mailbox {box.name!r} folder {folder!r}: UIDVALIDITY changed (or not said)")
        said = imap.command(b"UID SEARCH UID %d:*" % (last_uid + 1))
        uids = [int(uid) for line in said if line.startswith(b"* SEARCH") for uid in line.split()[2:]]
        if any(uid > last_uid for uid in uids):   # `n:*` also matches the last one, n or not
            raise Doubt(f"mailbox {box.name!r} folder {folder!r}: new mail")


_UIDVALIDITY = re.compile(rb"\* OK \[UIDVALIDITY (\d+)\]")


def _quoted(text: str) -> bytes:
    if not text or any(not " " <= c <= "~" for c in text):
        raise Doubt("a value that would need an IMAP literal")
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'


class _Imap:
    """Just enough IMAP4rev1 for the quick poll (LOGIN, EXAMINE, UID SEARCH, LOGOUT) over a
    socket; anything unexpected (a literal, NO, BAD, a closed connection) is a Doubt."""

    def __init__(self, box: Box):
        self.host, self.tag = box.host, 0
        self.sock = socket.create_connection((box.host, box.port), timeout=TIMEOUT_SECONDS)
        try:
            if box.security == "ssl":
                self._tls()
            self.file = self.sock.makefile("rb")
            if not self._line().startswith(b"* OK"):
                raise Doubt("the server's greeting is not OK")
            if box.security == "starttls":
                self.command(b"STARTTLS")
                self._tls()
                self.file = self.sock.makefile("rb")
        except BaseException:
            self.sock.close()
            raise

    def _tls(self) -> None:
        import ssl

        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)

    def __enter__(self) -> _Imap:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.command(b"LOGOUT")
        finally:
            self.sock.close()

    def login(self, username: str, password: str) -> None:
        self.command(b"LOGIN " + _quoted(username) + b" " + _quoted(password))

    def command(self, command: bytes) -> list[bytes]:
        """The untagged lines of a command that ended OK."""
        self.tag += 1
        tag = b"q%d " % self.tag
        self.sock.sendall(tag + command + b"\r\n")
        untagged = []
        while not (line := self._line()).startswith(tag):
            untagged.append(line)
        if not line[len(tag):].startswith(b"OK"):
            raise Doubt(f"the server answered {command.split()[0].decode()} with "
                        f"{line[len(tag):][:200].decode('ascii', 'replace')}")
        return untagged

    def _line(self) -> bytes:
        line = self.file.readline(1 << 20)
        if not line.endswith(b"\r\n") or line.endswith(b"}\r\n"):
            raise Doubt("the connection ended, or the server sent a literal")
        return line[:-2]


def _record_success(db: sqlite3.Connection, mailboxes: list[str]) -> None:
    """As takein/health.py record_poll does for a success: last success now, no run of failures."""
    now = _sqlite_time(datetime.now(timezone.utc))
    db.execute("BEGIN IMMEDIATE")
    try:
        for mailbox in mailboxes:
            db.execute("INSERT INTO mailbox_health (mailbox, last_success_at, failing_since) "
                       "VALUES (?, ?, NULL) ON CONFLICT (mailbox) DO UPDATE SET "
                       "last_success_at = excluded.last_success_at, failing_since = NULL",
                       (mailbox, now))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
