"""A forked child that dies with its parent: PR_SET_PDEATHSIG, through prctl(2) from libc.

Its own module, outside the document stack, so that the take-in (takein/apart.py) gets it
without importing intake.extract before it forks (10 ms of a poll's start-up, on one core)."""
from __future__ import annotations

import functools
import signal

_PR_SET_PDEATHSIG = 1


@functools.cache
def load_prctl():
    """prctl(2) from libc (None where there is none); load it before forking."""
    import ctypes   # in the worker, before it forks (never after fork, in the child)

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> None:
    """In a forked child: SIGKILL when the thread that forked it ends (PR_SET_PDEATHSIG)."""
    prctl = load_prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
