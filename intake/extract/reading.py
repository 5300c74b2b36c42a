"""read_text, read_many, unpack: what the rest of intake calls; the work runs in the reader pool.

Every document is read in a worker process under a time limit, a memory limit and no right to
write files; every archive of a message is opened there too, within one budget for the message.
Whatever goes wrong with a file becomes a short French problem on that file, never an exception.
"""
from __future__ import annotations

from collections.abc import Callable

from . import document as d
from .archive import Budget, is_archive
from .detect import detect_format
from .document import Attachment, DocumentText
from .pool import get_pool
from .readers import run_reader, worth_a_worker
from .worker import Read, ReadThen, Task, Unpack

DEFAULT_MAX_PAGES = 8  # a CV, its references page, a letter: classification needs no more
TIMEOUT_S = 20
MEMORY_MB = 512

_READ_FAILURE = {"timeout": d.TIMEOUT, "memory": d.MEMORY, "crash": d.CORRUPT}
_ARCHIVE_FAILURE = {"timeout": d.ARCHIVE_TIMEOUT,
                    "memory": d.ARCHIVE_TOO_BIG.format(what="mémoire dépassée à l'ouverture"),
                    "crash": "archive illisible ou corrompue"}


def read_many(attachments: list[Attachment], *, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB,
              max_pages: int = DEFAULT_MAX_PAGES) -> list[DocumentText]:
    """The text of each attachment (or a DocumentText whose ``problem`` says why there is none),
    in order; the documents are read in parallel, each within ``timeout_s`` and ``memory_mb``."""
    return [text for text, _ in read_then(attachments, [None] * len(attachments), timeout_s=timeout_s,
                                          memory_mb=memory_mb, max_pages=max_pages)]


def read_then(attachments: list[Attachment], thens: list[Callable[[DocumentText], object] | None], *,
              timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB,
              max_pages: int = DEFAULT_MAX_PAGES) -> list[tuple[DocumentText, object | None]]:
    """read_many, and each text given to its ``then`` (a pure function, picklable) in the worker
    that read it, within the same budget: the work that follows reading runs on every core.
    Each item: (text, what ``then`` returned), or (text, None) where ``then`` did not run there
    (a file read without a worker, a failure, ``then`` raised): the caller runs it itself."""
    results: list[tuple[DocumentText, object | None] | None] = [None] * len(attachments)
    tasks: list[Task] = []
    where: list[tuple[int, str]] = []
    for index, (att, then) in enumerate(zip(attachments, thens)):
        fmt = detect_format(att)
        if not worth_a_worker(fmt):
            results[index] = (run_reader(att.data, fmt, max_pages), None)  # nothing to parse: no worker
        else:
            tasks.append(Task(Read(att.data, fmt, max_pages, then), memory_mb, timeout_s))
            where.append((index, fmt))
    if tasks:
        for (index, fmt), outcome in zip(where, get_pool().run(tasks)):
            if outcome.failure is not None:
                results[index] = (DocumentText("", None, fmt, _READ_FAILURE[outcome.failure]), None)
            elif isinstance(outcome.result, ReadThen):
                results[index] = (outcome.result.text, outcome.result.then)
            else:
                results[index] = (outcome.result, None)
    return results


def warm_readers() -> None:
    """Start the reader processes now (their libraries load meanwhile): for a caller that knows
    documents are coming, such as an ingest of files."""
    get_pool().warm()


def read_text(att: Attachment, *, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB,
              max_pages: int = DEFAULT_MAX_PAGES) -> DocumentText:
    """Text of one attachment, or a DocumentText whose ``problem`` says why there is none."""
    return read_many([att], timeout_s=timeout_s, memory_mb=memory_mb, max_pages=max_pages)[0]


def unpack(attachments: list[Attachment], *, timeout_s: float = TIMEOUT_S,
           memory_mb: int = MEMORY_MB) -> tuple[list[Attachment], list[tuple[str, str]]]:
    """Archives (zip, winmail.dat) replaced by their members, named ``archive.zip/member``, in
    place; the problems for review. All the archives of the message share one Budget."""
    files: list[Attachment] = []
    problems: list[tuple[str, str]] = []
    budget = Budget()
    for att in attachments:
        if not is_archive(att):
            files.append(att)
            continue
        [outcome] = get_pool().run([Task(Unpack(att, budget), memory_mb, timeout_s)])
        if outcome.failure is not None:
            problems.append((att.filename, _ARCHIVE_FAILURE[outcome.failure]))
            continue
        files += outcome.result.files
        problems += outcome.result.problems
        budget = outcome.result.budget
    return files, problems
