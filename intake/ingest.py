"""`intake ingest`: files -> take-in -> understanding (the same code as the poller after the fetch)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .app import App
from .process import Summary, understand_pending
from .sources.files import Refused, read_paths
from .takein import take_in

BATCH = 50


@dataclass
class IngestResult:
    read: int = 0
    new_messages: int = 0
    known: int = 0
    refused: list[Refused] = field(default_factory=list)
    taken: list[tuple[str, int]] = field(default_factory=list)   # (origin, message id)
    summary: Summary = field(default_factory=Summary)


def ingest(app: App, paths: list[Path]) -> IngestResult:
    result = IngestResult()
    with app.db.session() as session:
        for item in read_paths(paths):
            if isinstance(item, Refused):
                result.refused.append(item)   # the command line names each one
                continue
            result.read += 1
            taken = take_in(session, app.store, item.data, mailbox=item.mailbox,
                            received_at=item.received_at, source_key=item.source_key)
            result.taken.append((item.origin, taken.message.id))
            result.new_messages += taken.new_message
            result.known += not taken.new_delivery
            if result.read % BATCH == 0:
                session.commit()
        session.commit()
    understand_pending(app.db, app.store, app.rules, app.own_addresses, result.summary)
    return result
