"""intake's file locks (SQLite: one understanding at a time, one daemon, one outbox sender)
belong to the process that took them, not to the processes it forks meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap

from intake.db import file_lock

TRY_LOCK = textwrap.dedent("""
    import sys
    from intake.db import file_lock
    with file_lock(sys.argv[1]) as held:
        print("held" if held else "busy")
""")


def try_lock(path) -> str:
    """What another process finds when it tries the lock (without waiting)."""
    return subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], capture_output=True,
                          text=True, check=True, cwd=os.getcwd()).stdout.strip()


def test_a_lock_let_go_is_free_even_while_a_child_forked_under_it_lives(tmp_path):
    path = tmp_path / "intake.db.understand-lock"
    context = multiprocessing.get_context("fork")
    release = context.Event()
    with file_lock(str(path)) as held:
        assert held
        child = context.Process(target=release.wait, daemon=True)   # like a parser process
        child.start()
        assert try_lock(path) == "busy"
    try:
        assert child.is_alive()
        assert try_lock(path) == "held"
    finally:
        release.set()
        child.join()
