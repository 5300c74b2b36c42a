"""Logging for intake: one printable line per record, no mail content, no library flood.

- Two formats (--log-format, [logging] format): "text", plain lines ("time LEVEL message"; under
  systemd, whose journal stamps each line itself, "<priority>LEVEL message", the sd-daemon
  prefix journald reads the level from), or "json", one JSON object per line with the stable
  keys time, level, logger, message and, when known, mailbox, message_id, posting, outcome,
  duration (seconds) and error (a traceback). A log call gives those with `extra={...}`; the
  poller's threads set `mailbox` for every line they log with `context(mailbox=...)`.

- Every line is made printable (intake/safetext.py) and cut at MAX_RECORD_CHARS: a subject or
  a server's reply cannot drive the terminal, forge a log line, or fill the log.
- Libraries say only what goes wrong (WARNING and above), whatever --log-level says: at DEBUG
  imapclient would log every message it fetches, and pdfminer every token of every PDF.
- A library gets at most LIBRARY_LINES_PER_MINUTE lines a minute (tnefparse once wrote one
  warning per property of a crafted winmail.dat: 1.9 million lines); the rest of that minute
  is dropped, and one line says so.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from .safetext import printable

MAX_RECORD_CHARS = 2000
MAX_TRACEBACK_CHARS = 8000
LIBRARY_LINES_PER_MINUTE = 20
FORMAT = "%(asctime)s %(levelname)s %(message)s"
JOURNAL_FORMAT = "<%(priority)d>%(levelname)s %(message)s"
FORMATS = ("text", "json")
FIELDS = ("mailbox", "message_id", "posting", "outcome", "duration")   # the optional JSON keys
_SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                    logging.CRITICAL: 2}
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("intake_log_context", default={})
# Chatty libraries: records below these levels are not even made (they cost time in a loop).
LIBRARY_LEVELS = {
    "imapclient": logging.WARNING, "mailparser": logging.ERROR, "tnefparse": logging.ERROR,
    "pdfminer": logging.ERROR, "PIL": logging.WARNING, "docx": logging.WARNING,
    "openpyxl": logging.WARNING, "xlsxwriter": logging.WARNING, "odf": logging.WARNING, "oxmsg": logging.WARNING,
    "apscheduler": logging.WARNING, "alembic": logging.WARNING, "sqlalchemy": logging.WARNING,
    "asyncio": logging.WARNING, "multiprocessing": logging.WARNING,
}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters, cut)"


class SafeFormatter(logging.Formatter):
    """The record's message (with its arguments) and traceback made printable and bounded."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.exc_text
        record.msg, record.args = clip(printable(record.getMessage()), MAX_RECORD_CHARS), None
        record.exc_text = None   # another handler may have cached the raw traceback there
        try:
            return super().format(record)
        finally:
            record.msg, record.args, record.exc_text = saved

    def formatException(self, ei) -> str:
        return clip(printable(super().formatException(ei), keep_newlines=True), MAX_TRACEBACK_CHARS)

    def formatStack(self, stack_info: str) -> str:
        return clip(printable(super().formatStack(stack_info), keep_newlines=True), MAX_TRACEBACK_CHARS)


class JournalFormatter(SafeFormatter):
    """Plain lines for systemd's journal: no time stamp (it adds its own), the level as the
    sd-daemon "<N>" prefix."""

    def format(self, record: logging.LogRecord) -> str:
        record.priority = _SYSLOG_PRIORITY.get(record.levelno, 6)
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, every string printable and bounded (see the module's doc)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                .isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name,
                "message": clip(printable(record.getMessage()), MAX_RECORD_CHARS)}
        known = {**_context.get(), **{k: getattr(record, k) for k in FIELDS if hasattr(record, k)}}
        for key in FIELDS:
            value = known.get(key)
            if value is None:
                continue
            if key == "duration":
                line[key] = round(float(value), 3)
            else:
                line[key] = clip(printable(str(value)), MAX_RECORD_CHARS)
        if record.exc_info:
            line["error"] = clip(printable(self.formatException(record.exc_info), keep_newlines=True),
                                 MAX_TRACEBACK_CHARS)
        return json.dumps(line, ensure_ascii=False)


@contextmanager
def context(**fields):
    """Every record logged in this block (this thread) carries these FIELDS in JSON."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict:
    """The FIELDS this thread's `context` blocks set."""
    return _context.get()


class LibraryGate(logging.Filter):
    """intake's own records pass; a library's pass from WARNING up, a few a minute."""

    def __init__(self, per_minute: int = LIBRARY_LINES_PER_MINUTE, clock=time.monotonic):
        super().__init__()
        self.per_minute, self.clock = per_minute, clock
        self.counts: dict[str, tuple[float, int]] = {}   # library -> (its minute's start, lines)
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "intake" or record.name.startswith("intake.") or record.name == "root":
            return True
        if record.levelno < logging.WARNING:
            return False
        library = record.name.split(".", 1)[0]
        now = self.clock()
        with self.lock:   # a minute counts from a library's first line in it (not the clock's)
            started, lines = self.counts.get(library, (now, 0))
            started, lines = (started, lines + 1) if now - started < 60 else (now, 1)
            self.counts[library] = (started, lines)
        if lines == self.per_minute + 1:
            record.msg, record.args = (f"{library}: more than {self.per_minute} log lines this "
                                       "minute; the rest of this minute's are dropped"), None
            return True
        return lines <= self.per_minute


def formatter(fmt: str = "text", environ=os.environ) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    if environ.get("JOURNAL_STREAM"):   # systemd connected stderr to the journal
        return JournalFormatter(JOURNAL_FORMAT)
    return SafeFormatter(FORMAT)


def configure(level: str | int, stream=None, fmt: str = "text") -> logging.Handler:
    """intake's logging on stderr (or `stream`): the root handler, its formatter and gate."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(LibraryGate())
    handler.intake = True   # replaced by the next configure(); other handlers (a host's) stay
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "intake", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name, library_level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(library_level)
    return handler


def use_format(fmt: str) -> None:
    """Switch intake's handler to `fmt` (the config file's [logging] format, read after the
    command line set up logging)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "intake", False):
            handler.setFormatter(formatter(fmt))
