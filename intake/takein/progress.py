"""Progress of a long take-in: a bar on a terminal, a periodic log line otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger(__name__)

BIG = 200  # fewer new messages than this: no progress display at all
LOG_EVERY_SECONDS = 30.0
BAR_WIDTH = 30


class Progress:
    """Call `advance()` once per message; `close()` at the end (also a context manager)."""

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None,
                 tty: bool | None = None, clock=time.monotonic):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.started = self.last_shown = clock()
        self.enabled = total >= BIG

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = self.clock()
        if self.tty:
            if now - self.last_shown >= 0.1 or self.done >= self.total:
                self.stream.write("\r" + bar(self.done, self.total, self.label, now - self.started))
                self.stream.flush()
                self.last_shown = now
        elif now - self.last_shown >= LOG_EVERY_SECONDS:
            log.info("%s: %d of %d messages taken in (%s)", self.label, self.done, self.total,
                     rate(self.done, now - self.started))
            self.last_shown = now

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r" + bar(self.done, self.total, self.label,
                                         self.clock() - self.started) + "\n")
            self.stream.flush()
            self.enabled = False


def bar(done: int, total: int, label: str, elapsed: float) -> str:
    """`label [#######.......]  350/1000  35%  120 msg/s` (pure, for tests and the terminal)."""
    fraction = min(1.0, done / total) if total else 1.0
    filled = int(fraction * BAR_WIDTH)
    return (f"{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:>{len(str(total))}}/"
            f"{total} {fraction:4.0%} {rate(done, elapsed)}")


def rate(done: int, elapsed: float) -> str:
    return f"{done / elapsed:.0f} msg/s" if elapsed > 0 else "- msg/s"
