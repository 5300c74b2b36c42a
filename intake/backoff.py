"""The one back-off rule: wait base, 2*base, 4*base ... between tries, never more than cap."""
from __future__ import annotations


def backoff_delay(attempt: int, base: float, cap: float | None = None) -> float:
    """Seconds to wait after failed try number `attempt` (1, 2, ...)."""
    delay = base * 2 ** max(attempt - 1, 0)
    return min(delay, cap) if cap is not None else delay
