"""The database: engine, sessions, and Alembic migrations applied automatically on first use."""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import sessionmaker

from .errors import UserError

MIGRATIONS = Path(importlib.import_module("intake.migrations").__file__).resolve().parent
_MIGRATION_LOCK = 748_201  # PostgreSQL advisory lock id: one instance migrates at a time


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite:///"):
            _prepare_sqlite_dir(url)
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise UserError(f"database URL {url!r} is not usable: {exc}; give a SQLAlchemy URL such as "
                        "sqlite:///data/intake.db or postgresql+psycopg://user@host/db")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _prepare_sqlite_dir(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if str(path) in ("", ":memory:"):
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to call on every start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise UserError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                        f"{exc.orig}; check --db / INTAKE_DB_URL and that the server is running")


class Database:
    """An engine with its schema up to date, and a session factory."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def private_umask() -> None:
    """Files intake creates are private to the user running it."""
    os.umask(0o077)
