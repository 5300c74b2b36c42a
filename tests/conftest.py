"""Shared fixtures: the database each test runs against, the repository's rules, paths.

The suite runs on SQLite by default. With INTAKE_TEST_DB_URL set to a PostgreSQL server URL
(scripts/test does it), every database test runs on a fresh PostgreSQL database instead.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytest_plugins = ["tests.support.dovecot"]   # the `dovecot` and `imap_user` fixtures
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def need_shared(path: Path = SHARED) -> Path:
    """The shared corpus lives beside the repository; a user's own clone may not have it."""
    if not path.exists():
        reason = f"{path} is absent (it sits beside the repository only in the project's workspace)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def need_programs(*commands: str) -> None:
    """Debian programs a test needs (scripts/test installs them): fail in CI, skip elsewhere."""
    import shutil

    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (scripts/test installs it with apt-get)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def _pg_admin_engine():
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        reason = f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__})"
        if IN_CI:
            pytest.fail(reason + ": CI must run every test; .ci/run starts the server")
        pytest.skip(reason)
    return engine


def fresh_pg_database() -> tuple[str, callable]:
    """Create an empty PostgreSQL database; return its URL and a function that drops it."""
    from sqlalchemy import text

    admin = _pg_admin_engine()
    name = f"intake_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture
def db_url(tmp_path):
    """The database URL for one test: SQLite in tmp_path, or a fresh PostgreSQL database."""
    if os.environ.get("INTAKE_TEST_DB_URL", "").startswith("postgresql"):
        url, drop = fresh_pg_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'intake.db'}"


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database, whatever INTAKE_TEST_DB_URL says (for PostgreSQL-only tests)."""
    url, drop = fresh_pg_database()
    yield url
    drop()


@pytest.fixture
def rules_dir() -> Path:
    return REPO / "rules"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    return path
