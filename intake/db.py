"""The database: engine, sessions, and Alembic migrations applied automatically on first use.

SQLite runs in WAL mode. Its transactions begin with BEGIN IMMEDIATE (SQLAlchemy's recipe for
pysqlite, so that savepoints and atomic batches work), and a writer waits its turn for up to
BUSY_TIMEOUT_MS: two intake processes on one SQLite file take turns instead of failing.
Understanding takes one more lock, a file lock beside the database, so that only one process
understands at a time (PostgreSQL instances share that work through row locks instead).
"""
from __future__ import annotations

import fcntl
import importlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (ArgumentError, DatabaseError, IntegrityError, NoSuchModuleError,
                            OperationalError)
from sqlalchemy.orm import sessionmaker

from .errors import UserError
from .fsutil import make_private
from .schema import SCHEMA_HEAD


def _migrations_folder() -> Path:
    """The source checkout's migrations/ when intake runs from one (a git worktree beside an
    editable install would otherwise get the installed checkout's), else intake.migrations."""
    beside = Path(__file__).resolve().parent.parent / "migrations"
    if (beside / "versions" / "0001_initial_schema.py").is_file():
        return beside
    return Path(importlib.import_module("intake.migrations").__file__).resolve().parent


MIGRATIONS = _migrations_folder()
# PostgreSQL advisory lock ids, all here so that no two uses share one by mistake.
MIGRATION_LOCK = 748_201   # one instance migrates at a time
DAEMON_LOCK = 748_202      # one daemon per database (instance.py)
STORE_LOCK = 748_203       # files of the raw store (store_guard)
SENDER_LOCK = 748_204      # one sender of mail at a time (mail_out/send.py)
DOSSIER_LOCKS = 748_200    # with a dossier's hash: one refresh of a dossier at a time
_CONFLICTS = {"40P01", "40001"}   # PostgreSQL: deadlock detected, serialization failure
BUSY_TIMEOUT_MS = 120_000
_WRITE = "intake_write"

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite:///"):
            _prepare_sqlite_dir(url)
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise UserError(f"database URL {shown(url)!r} is not usable: {exc}; give a SQLAlchemy URL "
                        "such as sqlite:///data/intake.db or postgresql+psycopg://user@host/db")
    except ImportError as exc:   # a dialect SQLAlchemy knows, its driver not installed
        raise UserError(f"database URL {shown(url)!r} needs the Python package {exc.name!r}, which "
                        "is not installed; intake works with sqlite:///FILE (built in) and "
                        "postgresql+psycopg://user@host/db (pip install 'intake[postgres]')")
    except OSError as exc:
        raise UserError(f"cannot create the database folder for {shown(url)!r}: {exc.strerror} "
                        f"({exc.filename}); give a --db or --data-dir this user may write to")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not even a URL: nothing to hide in it
        return url


def _prepare_sqlite_dir(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if str(path) in ("", ":memory:"):
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            make_private(file, 0o600, "the database")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None   # SQLAlchemy emits BEGIN itself (_sqlite_begin)
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")   # WAL: durable at each checkpoint, never corrupt
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """A writer takes the write lock at BEGIN, waiting its turn (a deferred transaction that
    reads, then writes after another process wrote, would fail at once instead). Readers do
    not lock the writers out."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def is_conflict(exc: DatabaseError) -> bool:
    """Whether a failed statement met another instance writing the same rows at the same moment
    (a unique key taken meanwhile, a deadlock, a serialization failure): after its savepoint is
    rolled back, which releases what it held, trying again is safe."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _CONFLICTS


def schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DatabaseError:
        return None   # a new database (or not one of ours yet): Alembic will say


def migrate(engine: Engine, *, from_scratch: bool = True) -> None:
    """Bring the schema to the newest revision (safe to call on every start; a database
    already at SCHEMA_HEAD costs one query, without loading Alembic). An empty database is
    given the models' schema at once and marked at SCHEMA_HEAD, as Alembic's cookbook does
    ("building an up to date database from scratch"): the migrations build that same schema
    (tests/test_migrations.py runs them with `from_scratch=False` and compares)."""
    if schema_revision(engine) == SCHEMA_HEAD:
        return
    try:
        # SQLite: BEGIN IMMEDIATE, so that two processes starting at once on a new database
        # migrate one after the other (a deferred transaction would fail at once, "locked").
        with engine.execution_options(**{_WRITE: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            if from_scratch and not inspect(conn).get_table_names():
                _create_from_scratch(conn)
            else:
                _upgrade(conn)
    except OperationalError as exc:
        raise UserError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                        f"{exc.orig}; check --db / INTAKE_DB_URL and that the server is running")


def _create_from_scratch(conn) -> None:
    from .models import Base

    Base.metadata.create_all(conn)
    conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                      "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": SCHEMA_HEAD})


def _upgrade(conn) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def store_guard(session, *, exclusive: bool = False) -> None:
    """Files of the raw store and the rows that name them change together. Take-in and
    understanding hold this guard, shared, from before they put a file until they commit; an
    erasure holds it alone while it checks that a file is no longer named and removes it, so
    it never removes a file another transaction is about to name. PostgreSQL: a transaction
    advisory lock. SQLite: nothing more to do, every writer already holds the database's one
    write lock (BEGIN IMMEDIATE) for its whole transaction."""
    if session.get_bind().dialect.name == "postgresql":
        how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {how}(:k)"), {"k": STORE_LOCK})


@contextmanager
def file_lock(path: str, *, waiting: str | None = None) -> Iterator[bool]:
    """An exclusive lock on a private file (the kernel releases it when the process ends, even
    by SIGKILL): True while held. When another process holds it: False at once, or, with
    `waiting`, that warning logged and its turn awaited."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    _held_locks.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is None:
                yield False
                return
            log.warning("%s", waiting)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        _held_locks.discard(fd)
        os.close(fd)   # closing releases the lock


# A lock is its open file, which a fork shares: a child forked while the lock is held (a
# parser process, the take-in of `poll --once`) would keep it held after this process lets
# it go, and a process waiting for it would wait for that child. The child lets go of them.
_held_locks: set[int] = set()


def _forget_held_locks() -> None:
    for fd in list(_held_locks):
        try:
            os.close(fd)
        except OSError:
            pass
    _held_locks.clear()


os.register_at_fork(after_in_child=_forget_held_locks)


@contextmanager
def advisory_lock(engine: Engine, key: int) -> Iterator[bool]:
    """PostgreSQL: a session advisory lock on a connection of its own, if free: True while held
    (released when the block ends or the connection closes)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


class Database:
    """An engine with its schema up to date, and a session factory."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.engine.execution_options(**{_WRITE: True}),
                                     expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False):
        """A session; `write=True` for one that writes (SQLite: it waits for the write lock
        when it begins, so it never fails half-way for another process's commit)."""
        with (self._writers if write else self._sessions)() as session:
            yield session

    @contextmanager
    def transaction(self):
        """A writing session committed at the end of the block, or rolled back whole."""
        with self._writers() as session, session.begin():
            yield session

    @contextmanager
    def understanding_turn(self):
        """SQLite: one process understands at a time (the others wait, and say so)."""
        path = self.engine.url.database if self.is_sqlite else None
        if not path or path == ":memory:":
            yield
            return
        with file_lock(f"{path}.understand-lock", waiting=f"another intake process is understanding "
                       f"mail in {path}; waiting for its turn to end"):
            yield

    def dispose(self) -> None:
        self.engine.dispose()


def private_umask() -> None:
    """Files intake creates are private to the user running it."""
    os.umask(0o077)
