"""Whether a take-in going on in other threads still brings messages (for the understanding
that waits for them: loop.py parses ahead what each committed batch brought)."""
from __future__ import annotations

import threading
from collections.abc import Callable

TICK_SECONDS = 0.25


class Coming:
    """`coming()` waits until the take-in commits a batch (`committed` is set) or a tick
    passes, and says True while it runs; once it has ended, True once more (what its last
    batch brought is looked at), then False. When the take-in failed, its error is raised
    instead, so that nothing is understood as if it had gone well."""

    def __init__(self, running: Callable[[], bool], committed: threading.Event,
                 error: Callable[[], BaseException | None] = lambda: None):
        self.running, self.committed, self.error = running, committed, error
        self._ended = False

    def __call__(self) -> bool:
        if self._ended:
            return False
        if not self.running():
            self._ended = True
            if (error := self.error()) is not None:
                raise error
            return True
        self.committed.wait(TICK_SECONDS)
        self.committed.clear()
        return True
