"""The reader pool: long-lived worker processes that read documents, one task each at a time.

Why a pool: forking a child per document cost about as much as reading it. Workers are started
once (one per core unless INTAKE_READER_WORKERS says otherwise) and reused; each task still runs
under its own time, memory and no-disk limits (worker.py). A worker that overruns its time is
killed; one that dies (out of memory, crash) is replaced; the task becomes an Outcome saying so,
never an exception.

How workers start: as ``python -c "from intake.extract.worker import main; main()" FD``, by
subprocess (fork+exec), talking over a socket pair. No process is ever forked from the caller
and left running Python: the daemon
has threads (scheduler, web view), and a fork of a threaded process can copy a lock held by
another thread into the child, where it is never released. multiprocessing's forkserver and
spawn contexts avoid that too, but each of their children runs the caller's __main__ again (a
script, a benchmark, the console entry point: tried, and an unguarded script then started
workers from its workers); this worker's entry point is in intake.extract and nothing else is
imported. Workers share no memory with one another, which the forkserver would have given; they
are few. A worker imports the libraries for PDF and DOCX at start (a few tenths of a
second), then says it is ready; the time limit of a task counts from then.

Lazy and clean: nothing starts until a document is read (``intake --help`` and an idle poll
start no process and import no document library); at exit the workers are told to stop, and
those that do not are killed. A worker whose parent dies sees its socket close and exits.
"""
from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .worker import FLOOD_CAP, OUT_OF_MEMORY, READY, Reply, Task

log = logging.getLogger("intake.extract")
START_TIMEOUT_S = 120        # a worker not ready by then (a broken install) is an error, not a verdict
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerStartError(RuntimeError):
    """A reader worker could not start: no document can be read (the installation is broken)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one task: ``result`` when the worker answered, else why it did not."""

    result: object = None
    failure: str | None = None          # None | "timeout" | "memory" | "crash"


class _Worker:
    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from intake.extract.worker import main; main()", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
        theirs.close()
        self.conn = Connection(mine.detach())
        self.start_deadline = time.monotonic() + START_TIMEOUT_S

    def hello(self) -> None:
        """Read the worker's first word, which must be that it is ready."""
        try:
            if self.conn.recv() == READY:
                return
        except (EOFError, OSError):
            pass
        self.fail_to_start()

    def fail_to_start(self) -> None:
        self.stop(kill=True)
        raise WorkerStartError(f"a document reader process did not start (exit code "
                               f"{self.process.returncode}); see the error above, then reinstall intake")

    def ask_to_stop(self) -> None:
        if not self.conn.closed:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.conn.close()

    def stop(self, *, kill: bool = False) -> None:
        if not kill:
            self.ask_to_stop()
        self.conn.close()   # closing a closed connection does nothing
        if kill:
            self.process.kill()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ReaderPool:
    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._idle: list[_Worker] = []        # ready for a task
        self._starting: list[_Worker] = []    # started, not ready yet (importing the libraries)
        self._lock = threading.Lock()
        self._closed = False
        self.pid = os.getpid()

    def warm(self) -> None:
        """Start the workers now, without waiting for them: their libraries load while the
        caller does something else (takes mail in, parses it) instead of at the first task."""
        with self._lock:
            if not self._closed:
                while len(self._idle) + len(self._starting) < self.size:
                    self._starting.append(_Worker())

    def run(self, tasks: list[Task]) -> list[Outcome]:
        """Every task run by a worker, up to ``size`` at once; outcomes in the order of tasks."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the reader pool is closed")
            busy: dict[_Worker, tuple[int, float]] = {}
            try:
                return self._run(tasks, busy)
            except BaseException:   # interrupted, or a worker could not start: no stray answer later
                for worker in busy:
                    worker.stop(kill=True)
                raise

    def _run(self, tasks: list[Task], busy: dict[_Worker, tuple[int, float]]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(tasks)
        queue = deque(range(len(tasks)))
        retried: set[int] = set()
        while queue or busy:
            while queue and self._idle:
                index, worker = queue.popleft(), self._idle.pop()
                try:
                    worker.conn.send(tasks[index])
                except OSError:                    # it died while idle: once more with another
                    worker.stop(kill=True)
                    if index in retried:
                        outcomes[index] = Outcome(failure="crash")
                    else:
                        retried.add(index)
                        queue.appendleft(index)
                    continue
                busy[worker] = (index, time.monotonic() + tasks[index].timeout_s)
            while len(busy) + len(self._idle) + len(self._starting) < min(self.size, len(busy) + len(queue)):
                self._starting.append(_Worker())   # they start side by side, while others work
            self._wait(busy, outcomes)
        return outcomes

    def _wait(self, busy: dict[_Worker, tuple[int, float]], outcomes: list[Outcome | None]) -> None:
        """Until a worker answers, is ready, or overruns; then take what happened."""
        soonest = min([d for _, d in busy.values()] + [w.start_deadline for w in self._starting])
        ready = set(wait([w.conn for w in busy] + [w.conn for w in self._starting],
                         timeout=max(0.0, soonest - time.monotonic())))
        now = time.monotonic()
        for worker in list(self._starting):
            if worker.conn in ready or now >= worker.start_deadline:
                self._starting.remove(worker)
                worker.hello() if worker.conn in ready else worker.fail_to_start()
                self._idle.append(worker)
        for worker, (index, deadline) in list(busy.items()):
            if worker.conn in ready:
                outcomes[index] = self._collect(worker)
            elif now >= deadline:
                worker.stop(kill=True)
                outcomes[index] = Outcome(failure="timeout")
            else:
                continue
            del busy[worker]

    def _collect(self, worker: _Worker) -> Outcome:
        try:
            reply: Reply = worker.conn.recv()
        except (EOFError, OSError):
            try:
                code = worker.process.wait(2)
            except subprocess.TimeoutExpired:
                code = None
            worker.stop(kill=True)
            return Outcome(failure="memory" if code == OUT_OF_MEMORY else "crash")
        _log_tally(reply.logs)
        if reply.retiring:
            worker.stop()
        else:
            self._idle.append(worker)
        # the same verdict whether the parent saw the deadline pass first or the answer first
        return Outcome(failure="timeout") if reply.overran else Outcome(result=reply.result)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            starting, self._starting = self._starting, []
        for worker in idle:          # told all at once, then waited for: they end side by side
            worker.ask_to_stop()
        for worker in idle:
            worker.stop()
        for worker in starting:
            worker.stop(kill=True)


def _log_tally(logs: dict[str, tuple[int, str]]) -> None:
    for name, (count, first) in logs.items():
        log.debug("reader worker: %s%s log record(s) from %s not shown (first: %r)",
                  count, "+" if count >= FLOOD_CAP else "", name, first)


_pool: ReaderPool | None = None
_pool_lock = threading.Lock()


def default_size() -> int:
    """INTAKE_READER_WORKERS when it is a whole number above 0, else one per core."""
    configured = os.environ.get("INTAKE_READER_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    if configured:
        log.warning("INTAKE_READER_WORKERS=%r is not a whole number above 0: one document reader per "
                    "core instead", configured)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def get_pool() -> ReaderPool:
    """The process's pool, created on first use (its workers start with the first task)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._closed or _pool.pid != os.getpid():   # not one inherited by fork
            _pool = ReaderPool(default_size())
            atexit.register(_pool.close)
        return _pool

