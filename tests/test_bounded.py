"""Work an applicant controls (parsing a mail) runs in child processes with a time and memory
budget per call: side by side on every core, in order, and a call that fails, overruns or kills
its child costs only itself; a stop abandons the work at once."""
from __future__ import annotations

import os
import threading
import time

import pytest

from intake.bounded import BoundedWorkers, BudgetExceeded, Stopped


def work(arg):
    kind, value = arg
    if kind == "raise":
        raise ValueError(value)
    if kind == "die":
        os._exit(value)
    if kind == "sleep":
        time.sleep(value)
    if kind == "window":
        start = time.monotonic()   # the system's clock: the same in every process
        time.sleep(value)
        return (start, time.monotonic(), os.getpid())
    if kind == "eat":
        return len(bytearray(value * 2**20))
    return (value, os.getpid())


def test_each_call_costs_only_itself_and_the_others_are_answered_in_order():
    with BoundedWorkers(work, seconds=1.5, memory_mb=200, size=2) as workers:
        answers = workers.map([("ok", 1), ("raise", "bad input"), ("ok", 2), ("die", 70),
                               ("ok", 3), ("sleep", 30), ("eat", 400), ("ok", 4)])
        assert [answers[i]()[0] for i in (0, 2, 4, 7)] == [1, 2, 3, 4]
        with pytest.raises(ValueError, match="bad input"):
            answers[1]()
        with pytest.raises(BudgetExceeded, match=r"its process died \(exit code 70\)"):
            answers[3]()
        with pytest.raises(BudgetExceeded, match="took over 2 s"):
            answers[5]()
        with pytest.raises(BudgetExceeded, match="needed over 200 MB"):
            answers[6]()
        # and a fresh child takes the next call
        assert workers(("ok", 5))[0] == 5


def test_calls_run_side_by_side_in_separate_children():
    with BoundedWorkers(work, seconds=10, memory_mb=200, size=2) as workers:
        (first, second) = [answer() for answer in workers.map([("window", 0.5)] * 2)]
    assert first[2] != second[2] and os.getpid() not in (first[2], second[2])
    assert first[0] < second[1] and second[0] < first[1], "the two calls did not overlap"


def test_a_stop_abandons_the_work_at_once():
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with BoundedWorkers(work, seconds=60, memory_mb=200, stop=stop, size=2) as workers:
        started = time.monotonic()
        with pytest.raises(Stopped):
            workers.map([("sleep", 30)] * 3)
        assert time.monotonic() - started < 20   # not the 30 s of the work


def test_a_child_whose_caller_died_during_its_call_ends_quietly(tmp_path):
    """The caller killed while a child works (SIGKILL, a crash): the child finds nobody to
    answer and ends without a word, instead of a traceback on the terminal or in the journal."""
    import subprocess
    import sys

    from tests.conftest import REPO

    script = tmp_path / "caller.py"
    script.write_text(
        "import os\n"
        "from intake.bounded import BoundedWorkers\n"
        "from tests.test_bounded import work\n"
        "workers = BoundedWorkers(work, seconds=10, memory_mb=200, size=1)\n"
        "workers.workers[0]._send(('sleep', 0.5))\n"
        "os._exit(3)\n")
    # stderr is read to its end: the child, which holds it too, has ended when this returns
    done = subprocess.run([sys.executable, str(script)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr == ""
