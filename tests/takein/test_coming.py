"""An understanding that waits for a take-in in another thread is told when there may be more,
looks once more after the take-in ends, and learns of its failure."""
from __future__ import annotations

import threading

import pytest

from intake.takein.coming import Coming


def take_in_thread(batches: int, fail: BaseException | None = None):
    committed, go, outcome = threading.Event(), threading.Semaphore(0), {}

    def work() -> None:
        for _ in range(batches):
            go.acquire()
            committed.set()
        if fail is not None:
            outcome["error"] = fail

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, committed, go, outcome


def test_more_may_come_while_the_take_in_runs_then_once_more_after_it_ends():
    thread, committed, go, _ = take_in_thread(2)
    coming = Coming(thread.is_alive, committed)
    go.release()
    assert coming() is True            # a batch was committed
    go.release()
    thread.join()
    assert coming() is True            # ended: one more look at what its last batch brought
    assert coming() is False
    assert coming() is False


def test_a_failed_take_in_is_raised_not_taken_for_the_end():
    thread, committed, go, outcome = take_in_thread(1, fail=OSError(28, "No space left on device"))
    go.release()
    thread.join()
    coming = Coming(thread.is_alive, committed, lambda: outcome.get("error"))
    with pytest.raises(OSError, match="No space left"):
        coming()
