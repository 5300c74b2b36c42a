"""Understanding: the replaceable half. `understand(app)` sorts every message taken in."""
from .loop import Summary, mark_for_reprocessing, understand

__all__ = ["Summary", "mark_for_reprocessing", "understand"]
