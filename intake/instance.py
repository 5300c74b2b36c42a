"""One `intake run` per database: a second daemon refuses to start with a clear message.

SQLite: an exclusive lock on a file beside the database (released by the kernel when the
process dies, even by SIGKILL). PostgreSQL: a session advisory lock held on a dedicated
connection (released when the connection closes). Other databases: a warning, no lock.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import Engine

from .db import DAEMON_LOCK, advisory_lock, file_lock
from .errors import UserError

log = logging.getLogger(__name__)



@contextmanager
def single_instance(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database):
            yield
    elif engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
    else:
        log.warning("no single-instance guarantee on %s: do not start two `intake run` on "
                    "this database", engine.dialect.name)
        yield


def _refuse(where: str, holder: str) -> UserError:
    return UserError(f"another `intake run` is already running on {where}{holder}; stop it "
                     "first (only one daemon may poll into one database)")


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.run-lock")
    with file_lock(str(path)) as held:
        if not held:
            holder = path.read_text(errors="replace").strip()[:32]
            raise _refuse(f"the database {database}", f" (pid {holder})" if holder else "")
        path.write_text(str(os.getpid()))
        yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with advisory_lock(engine, DAEMON_LOCK) as held:
        if not held:
            raise _refuse(f"the database {engine.url.render_as_string(hide_password=True)}", "")
        yield
