"""Understanding: the replaceable half. `understand(app)` sorts every message taken in.

The loop (and the database stack it needs) is imported only when asked for: a reader worker
that classifies a document imports `intake.understand.classify` and nothing of the rest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Summary", "mark_for_reprocessing", "understand"]

if TYPE_CHECKING:
    from .loop import Summary, mark_for_reprocessing, understand


def __getattr__(name: str):
    if name in __all__:
        from . import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
