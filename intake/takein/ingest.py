"""Take in files: .eml, Maildir folders, mbox and Outlook .msg files (the offline path).

Only the take-in half: the command then understands what came in, with the same code as
after an IMAP poll.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..app import App
from .files import RawMail, Refused, read_paths
from .record import Arrival, take_in_batch

BATCH = 200
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class IngestResult:
    read: int = 0
    new_messages: int = 0
    known: int = 0
    refused: list[Refused] = field(default_factory=list)
    taken: list[tuple[str, int]] = field(default_factory=list)   # (origin, message id)


def take_in_files(app: App, paths: list[Path], committed: threading.Event | None = None) -> IngestResult:
    """Every file taken in, a batch at a time; `committed` is set after each batch."""
    result = IngestResult()
    batch: list[RawMail] = []
    size = 0
    for item in read_paths(paths):
        if isinstance(item, Refused):
            result.refused.append(item)   # the command line names each one
            continue
        batch.append(item)
        size += len(item.data)
        if len(batch) >= BATCH or size >= BATCH_BYTES:
            _take_in(app, batch, result, committed)
            batch, size = [], 0
    _take_in(app, batch, result, committed)
    return result


def _take_in(app: App, batch: list[RawMail], result: IngestResult,
             committed: threading.Event | None) -> None:
    if not batch:
        return
    arrivals = [Arrival(raw=m.data, mailbox=m.mailbox, received_at=m.received_at,
                        source_key=m.source_key) for m in batch]
    with app.db.transaction() as session:
        taken = take_in_batch(session, app.store, arrivals)
    if committed is not None:
        committed.set()
    for mail, outcome in zip(batch, taken):
        result.read += 1
        result.taken.append((mail.origin, outcome.message_pk))
        result.new_messages += outcome.new_message
        result.known += not outcome.new_delivery
