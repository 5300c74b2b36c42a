"""A reader worker process: ``python -c "from intake.extract.worker import main; main()" FD``.

It imports the libraries of the common formats (WARM), says it is ready, then serves tasks from
the socket FD until the pool closes it; the other libraries are imported by their readers, once.

A worker takes one task at a time from its pipe, under limits set afresh for each task:
address space (what it holds now plus the task's ``memory_mb``) and CPU time (the task's time
plus a margin; the parent kills it on the wall clock before that). It may never write a file
(RLIMIT_FSIZE=0) and keeps no stdout or stderr: what a library logs is tallied by logger and
sent back with the result (at most FLOOD_CAP records each, then that logger is muted for the
rest of the task), so no document can flood the log or kill its reader by writing to a log file
(once serving, the worker's stdout and stderr are /dev/null). A program a reader runs (antiword
for Word 97, tesseract for OCR: tools.py) inherits these limits and dies with the worker.

A worker that ran out of memory, or has grown, or has read MAX_TASKS documents, answers and
then exits; the pool starts a fresh one.
"""
from __future__ import annotations

import importlib
import logging
import os
import resource
import signal
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from . import document as d
from .archive import Budget, open_archive
from .document import Attachment, DocumentText
from .readers import run_reader

OUT_OF_MEMORY = 3          # exit code of a worker whose task ran out of memory outside a reader
MAX_TASKS = 500            # then a fresh worker: no slow growth of a long-lived process
MAX_GROWTH = 256 * 2**20   # bytes of address space gained since start that make a worker retire
FLOOD_CAP = 1000           # log records counted per logger and task before it is muted
MB = 2**20
WARM = ["pypdfium2", "lxml.etree"]   # PDF and DOCX, in nearly every mail; the rest when first needed
READY = "ready"


@dataclass(frozen=True)
class Read:
    data: bytes
    fmt: str
    max_pages: int
    then: Callable[[DocumentText], object] | None = None   # pure, run on the text here too


@dataclass(frozen=True)
class ReadThen:
    """A Read whose ``then`` ran: the text and what ``then`` made of it (None when it raised:
    the caller runs it again itself, and sees the error)."""

    text: DocumentText
    then: object


@dataclass(frozen=True)
class Unpack:
    attachment: Attachment
    budget: Budget


@dataclass(frozen=True)
class Task:
    job: Read | Unpack
    memory_mb: int
    timeout_s: float


@dataclass(frozen=True)
class Reply:
    result: object                      # DocumentText for Read, archive.Unpacked for Unpack
    logs: dict[str, tuple[int, str]]    # logger -> (records, the first one's message template)
    retiring: bool
    overran: bool = False               # the answer came, but after the task's time: a timeout


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    conn = Connection(int(sys.argv[1]))
    for name in WARM:                               # once, before the first document
        importlib.import_module(name)
    _silence_output()
    conn.send(READY)
    serve(conn)
    os._exit(0)   # nothing to flush (no output, no file): tearing down the libraries costs tenths of a second


def serve(conn: Connection) -> None:
    tally = _Tally()
    _limit(resource.RLIMIT_FSIZE, 0)   # a reader has no business writing files
    _limit(resource.RLIMIT_CORE, 0)
    start = _address_space()
    for done in range(1, MAX_TASKS + 1):
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return                      # the parent is gone
        if task is None:
            return
        started = time.monotonic()
        result = _run(task)
        overran = time.monotonic() - started > task.timeout_s
        del task
        retiring = (done == MAX_TASKS or _address_space() - start > MAX_GROWTH
                    or getattr(getattr(result, "text", result), "problem", None) == d.MEMORY)
        conn.send(Reply(result, tally.take(), retiring, overran))
        if retiring:
            return


def _run(task: Task):
    soft_as = resource.getrlimit(resource.RLIMIT_AS)[0]
    soft_cpu = resource.getrlimit(resource.RLIMIT_CPU)[0]
    try:
        _limit(resource.RLIMIT_AS, _address_space() + task.memory_mb * MB)
        _limit(resource.RLIMIT_CPU, int(_cpu_seconds() + task.timeout_s) + 2)
        job = task.job
        if isinstance(job, Read):
            text = run_reader(job.data, job.fmt, job.max_pages)
            return text if job.then is None else ReadThen(text, _then(job.then, text))
        return open_archive(job.attachment, job.budget)
    except MemoryError:
        os._exit(OUT_OF_MEMORY)
    finally:
        _restore(resource.RLIMIT_AS, soft_as)
        _restore(resource.RLIMIT_CPU, soft_cpu)


def _then(then: Callable[[DocumentText], object], text: DocumentText) -> object:
    try:
        return then(text)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - the caller runs it again and reports the error
        return None


class _Tally(logging.Handler):
    """Counts log records by logger instead of writing them; mutes a logger that floods."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: dict[str, tuple[int, str]] = {}
        self.muted: list[tuple[logging.Logger, int]] = []
        root = logging.getLogger()
        root.handlers[:] = [self]
        root.setLevel(logging.WARNING)
        logging.captureWarnings(True)
        warnings.simplefilter("default")

    def emit(self, record: logging.LogRecord) -> None:
        count, first = self.counts.get(record.name, (0, str(record.msg)[:200]))
        self.counts[record.name] = (count + 1, first)
        if count + 1 == FLOOD_CAP:
            logger = logging.getLogger(record.name)
            self.muted.append((logger, logger.level))
            logger.setLevel(logging.CRITICAL + 1)

    def take(self) -> dict[str, tuple[int, str]]:
        counts, self.counts = self.counts, {}
        for logger, level in self.muted:
            logger.setLevel(level)
        self.muted.clear()
        return counts


def _silence_output() -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def _address_space() -> int:
    """Bytes of address space this process holds now."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 256 * MB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def _restore(kind: int, soft: int) -> None:
    resource.setrlimit(kind, (soft, resource.getrlimit(kind)[1]))

