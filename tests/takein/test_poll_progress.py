"""Progress of a big first poll: a bar on a terminal, a periodic log line in a service's log."""

from __future__ import annotations

import io
import logging

from intake.takein.progress import BIG, Progress, bar


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_shows_count_share_and_rate():
    assert bar(350, 1000, "omp/INBOX", elapsed=7.0) == (
        "omp/INBOX [##########....................]  350/1000  35% 50 msg/s")


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_the_line():
    out, clock = io.StringIO(), Clock()
    with Progress(BIG, "box/INBOX", stream=out, tty=True, clock=clock) as progress:
        for _ in range(BIG):
            clock.now += 0.01
            progress.advance()

    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    assert f"{BIG}/{BIG} 100%" in text.splitlines()[-1]


def test_in_a_log_a_line_comes_every_thirty_seconds(caplog):
    clock = Clock()
    progress = Progress(1000, "box/INBOX", stream=io.StringIO(), tty=False, clock=clock)
    with caplog.at_level(logging.INFO, logger="intake.takein.progress"):
        for _ in range(600):
            clock.now += 0.1  # 60 s in all
            progress.advance()
        progress.close()

    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["box/INBOX: 300 of 1000 messages taken in (10 msg/s)",
                     "box/INBOX: 600 of 1000 messages taken in (10 msg/s)"]


def test_a_small_poll_shows_nothing():
    out = io.StringIO()
    with Progress(BIG - 1, "box/INBOX", stream=out, tty=True) as progress:
        for _ in range(BIG - 1):
            progress.advance()
    assert out.getvalue() == ""
