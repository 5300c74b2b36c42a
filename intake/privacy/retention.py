"""When data outlives its purpose (pure): a posting's dossiers some days after its deadline,
mail outside every dossier some days after it left them.

A rules file's `retention_days` wins over `[privacy] retention_days`; a posting without a
deadline, or with no retention set anywhere, is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..rules import Posting


@dataclass(frozen=True)
class Term:
    posting_id: str
    deadline: datetime | None
    days: int | None
    erase_from: datetime | None      # None: kept (no deadline, or no retention set)

    def expired(self, now: datetime) -> bool:
        return self.erase_from is not None and now >= self.erase_from


def term(posting: Posting, default_days: int | None) -> Term:
    days = posting.retention_days if posting.retention_days is not None else default_days
    erase_from = posting.deadline + timedelta(days=days) \
        if posting.deadline is not None and days is not None else None
    return Term(posting.id, posting.deadline, days, erase_from)


def terms(postings: list[Posting], default_days: int | None) -> list[Term]:
    return [term(p, default_days) for p in postings]


def outside_cutoff(unmatched_days: int | None, now: datetime) -> datetime | None:
    """Mail outside every dossier since before this moment is erased (None: kept)."""
    return None if unmatched_days is None else now - timedelta(days=unmatched_days)


def since_moment(text: str, zone: str) -> datetime:
    """`--since` as written by a person: a date (midnight, local time) or a date and time
    (local unless it gives its offset)."""
    from zoneinfo import ZoneInfo

    from ..errors import UserError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--since {text!r} is not a date: write it like 2026-11-01 or "
                        "2026-11-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
