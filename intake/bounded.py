"""A pure function run in a child process with a time and memory budget per call.

The child is a fork of the caller, started once and reused call after call (a fork per call
would cost more than most calls). A call that runs past its time is killed with its child and
raises BudgetExceeded; so does one that runs out of memory or kills the child. The next call
starts a fresh child. The function must be pure: it gets its argument and returns a value,
both sent through a pipe. A `stop` event set meanwhile abandons the call at once (Stopped).
BoundedWorkers works on a list of arguments with several such children side by side.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import resource
import select
import threading
import time
from collections.abc import Callable
from typing import Any

_context = multiprocessing.get_context("fork")
_OUT_OF_MEMORY = 3
_STOP_CHECK_SECONDS = 0.2


class BudgetExceeded(Exception):
    """The work used up its budget (time or memory) or killed its process."""


class Stopped(Exception):
    """The caller's stop event was set while the work ran: it was abandoned, not failed."""


class BoundedWorker:
    """One child process of a BoundedWorkers: started at its first call, replaced when it dies."""

    def __init__(self, func: Callable[[Any], Any], *, seconds: float, memory_mb: int,
                 stop: threading.Event | None = None):
        self.func, self.seconds, self.memory_mb, self.stop = func, seconds, memory_mb, stop
        self._child = None
        self._conn = None

    def _send(self, arg: Any) -> float:
        """Give the child its next argument (a fresh child if it died); returns the deadline."""
        if self._child is None:
            self._start()
        try:
            self._conn.send(arg)
        except (BrokenPipeError, EOFError, OSError):   # the child died between two calls
            self.close()
            self._start()
            self._conn.send(arg)
        return time.monotonic() + self.seconds

    def _answer(self) -> Callable[[], Any]:
        """The child's answer, once its pipe is readable."""
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._child.join(2)
            code = self._child.exitcode
            self.close()
            if code == _OUT_OF_MEMORY:
                return _raise(BudgetExceeded(f"needed over {self.memory_mb} MB of memory: stopped"))
            return _raise(BudgetExceeded(f"its process died (exit code {code})"))
        return _raise(value) if kind == "error" else (lambda: value)

    def _overran(self) -> Callable[[], Any]:
        self.close()
        return _raise(BudgetExceeded(f"took over {self.seconds:.0f} s: stopped"))

    def _start(self) -> None:
        parent, child = _context.Pipe(duplex=True)
        self._child = _context.Process(target=_serve, args=(child, parent, os.getpid(), self.func,
                                                            self.memory_mb),
                                       daemon=True, name="intake-bounded")
        self._child.start()
        child.close()
        self._conn = parent

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child.close()
            self._child = None


class BoundedWorkers:
    """Several BoundedWorkers of one function, for a list of arguments worked on side by side
    (one per core by default): `with BoundedWorkers(func, seconds=20, memory_mb=1024) as w:
    w.map(args)`; each call keeps its own budget, and one that fails costs only itself."""

    def __init__(self, func: Callable[[Any], Any], *, seconds: float, memory_mb: int,
                 stop: threading.Event | None = None, size: int | None = None):
        self.stop = stop
        self.size = size or len(os.sched_getaffinity(0))
        self.workers = [BoundedWorker(func, seconds=seconds, memory_mb=memory_mb, stop=stop)
                        for _ in range(max(1, self.size))]

    def __enter__(self) -> "BoundedWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, arg: Any) -> Any:
        return self.map([arg])[0]()

    def map(self, args: list[Any]) -> list[Callable[[], Any]]:
        """Every argument given to the function; for each, in order, a callable that returns
        its value or raises what it raised (or BudgetExceeded). Stopped is raised at once."""
        return run_side_by_side(self.workers[:max(1, min(len(args), len(self.workers)))], args)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def run_side_by_side(workers: list[BoundedWorker], args: list[Any]) -> list[Callable[[], Any]]:
    """Each argument to the next free worker; one loop waits on them all (no thread), so a
    child is only ever forked from the caller's thread, as with one worker."""
    answers: list[Callable[[], Any] | None] = [None] * len(args)
    todo = list(range(len(args)))[::-1]
    idle = list(workers)
    busy: dict[BoundedWorker, tuple[int, float]] = {}
    stop = workers[0].stop
    try:
        while todo or busy:
            while todo and idle:
                worker, index = idle.pop(), todo.pop()
                busy[worker] = (index, worker._send(args[index]))
            soonest = min(deadline for _, deadline in busy.values())
            ready = _readable(busy, min(_STOP_CHECK_SECONDS, max(soonest - time.monotonic(), 0)))
            if stop is not None and stop.is_set():
                raise Stopped("stopping: the work in hand was abandoned")
            now = time.monotonic()
            for worker, (index, deadline) in list(busy.items()):
                if worker in ready:
                    answers[index] = worker._answer()
                elif now >= deadline:
                    answers[index] = worker._overran()
                else:
                    continue
                del busy[worker]
                idle.append(worker)
    except BaseException:   # stopped or interrupted: no child is left with a stale question
        for worker in busy:
            worker.close()
        raise
    return answers


def _readable(busy, timeout: float) -> set:
    """The busy workers whose pipe has an answer (or was closed: the child died) within
    `timeout` seconds (a signal does not cut it short: PEP 475). One poll(2) call, where
    multiprocessing's wait() built a selector for each answer: a tenth of the caller's CPU
    while mails are parsed side by side."""
    by_fd = {worker._conn.fileno(): worker for worker in busy}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    return {by_fd[fd] for fd, _ in poller.poll(math.ceil(max(timeout, 0) * 1000))}


def _raise(exc: BaseException) -> Callable[[], Any]:
    def again() -> Any:
        raise exc
    return again


def _serve(conn, callers_end, caller: int, func, memory_mb: int) -> None:
    """The child's loop. It ends when its caller closes the pipe or dies (even by SIGKILL:
    the child then holds on to nothing of the caller's, such as its lock files, for long)."""
    callers_end.close()
    _limit(resource.RLIMIT_AS, _address_space() + memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_CORE, 0)
    while True:
        try:
            while not conn.poll(_STOP_CHECK_SECONDS * 5):
                if os.getppid() != caller:
                    os._exit(0)
            arg = conn.recv()
        except (EOFError, OSError):
            return   # the caller is gone
        try:
            reply = ("ok", func(arg))
        except MemoryError:
            os._exit(_OUT_OF_MEMORY)
        except Exception as exc:  # noqa: BLE001 - the caller raises it again
            reply = ("error", _portable(exc))
        del arg
        try:
            conn.send(reply)
        except MemoryError:
            os._exit(_OUT_OF_MEMORY)
        except OSError:   # the caller died during the call: nobody is left to answer
            return


def _portable(exc: Exception) -> Exception:
    """The exception itself when it survives the pipe, else a RuntimeError that names it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 256 * 1024 * 1024


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))
