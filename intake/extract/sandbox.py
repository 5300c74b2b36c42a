"""read_text: run a reader in a child process bounded in time, memory and disk writes.

The child is a fork of the caller (fast, and no re-import of the caller's main module as a
forkserver or spawn child would do). Its memory limit is the address space it inherited plus
``memory_mb``; it may not write files; it is killed when the time is up.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
from multiprocessing.connection import Connection

from . import document as d
from .detect import detect_format
from .document import Attachment, DocumentText
from .readers import NOT_READ, run_reader

DEFAULT_MAX_PAGES = 8  # a CV, its references page, a letter: classification needs no more
_OUT_OF_MEMORY = 3

_context = multiprocessing.get_context("fork")


def read_text(att: Attachment, *, timeout_s: float = 20, memory_mb: int = 512,
              max_pages: int = DEFAULT_MAX_PAGES) -> DocumentText:
    """Text of one attachment, or a DocumentText whose ``problem`` says why there is none."""
    fmt = detect_format(att)
    if fmt in NOT_READ:
        return run_reader(att.data, fmt, max_pages)  # nothing to parse: no child needed
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(target=_child, args=(sender, att.data, fmt, max_pages, memory_mb,
                                                   timeout_s), daemon=True)
    child.start()
    sender.close()
    try:
        return _wait(child, receiver, fmt, timeout_s)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()


def _wait(child, receiver: Connection, fmt: str, timeout_s: float) -> DocumentText:
    if not receiver.poll(timeout_s):
        return DocumentText("", None, fmt, d.TIMEOUT)
    try:
        return receiver.recv()
    except (EOFError, OSError):
        child.join(1)
        return DocumentText("", None, fmt, d.MEMORY if child.exitcode == _OUT_OF_MEMORY else d.CORRUPT)


def _child(sender: Connection, data: bytes, fmt: str, max_pages: int, memory_mb: int,
           timeout_s: float) -> None:
    _limit(resource.RLIMIT_AS, _address_space() + memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_CPU, int(timeout_s) + 2)
    _limit(resource.RLIMIT_FSIZE, 0)  # a reader has no business writing files
    _limit(resource.RLIMIT_CORE, 0)
    try:
        result = run_reader(data, fmt, max_pages)
        del data
        sender.send(result)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    finally:
        sender.close()


def _address_space() -> int:
    """Bytes of address space this process already holds (inherited from the caller)."""
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
