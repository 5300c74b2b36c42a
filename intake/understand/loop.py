"""The understanding loop: claim a batch of pending messages, run the pipeline, commit.

One function, `understand`, used by `ingest`, `poll`, `run` and `reprocess`.

A batch is one transaction: every outcome, every dossier it touched and the end of its
"unfinished run" marks are committed together, or not at all. Before the work starts, each
claimed message gets an unfinished-run mark, committed on its own; a mark still present when a
later run starts means a process died while understanding that message. Such a message is then
understood alone, and after MAX_UNFINISHED_RUNS deaths it is set aside as failed, so a poison
message can never stall every restart.

Several instances on PostgreSQL share the work: a claimed message is locked (FOR NO KEY UPDATE
SKIP LOCKED) and the others skip it. On SQLite one process understands at a time.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from ..app import App
from ..db import Database
from ..errors import environment_failure
from ..models import Message, MessageState, UnfinishedRun
from . import dossiers
from ..bounded import BoundedWorkers, Stopped
from .record import quarantine

log = logging.getLogger(__name__)

# A batch is one transaction (on SQLite, the one write lock, which a daemon's take-in waits
# for): at most this many messages, and at most this much mail (at least one message). Text
# mails and small applications come 200 at a time (each batch's claims, marks, loads and
# commits cost as much for 50 as for 200: 2,000 short mails understood in 0.36 s instead of
# 0.45); mails with documents, whose reading takes the time, about 50 at 300 KB, as before.
BATCH_SIZE = 200
BATCH_BYTES = 16 * 1024 * 1024
MAX_UNFINISHED_RUNS = 3
# Parsing (MIME structure, headers, the HTML body) runs in a bounded child process: the
# standard library's parsers are quadratic on some shapes (deep multipart nesting, unclosed
# HTML comments), so a 40 KB mail can hold them for seconds and a large one for hours.
PARSE_SECONDS = 20.0
PARSE_MEMORY_MB = 1024
# A poll parses what its take-in brings while it brings it, this much of it at most (the
# answers wait in memory for their batch: about as many bytes, the attachments decoded). What
# is beyond is parsed batch by batch after the take-in, while the parsers and the understanding
# take turns, so the budget covers a first poll of a few thousand mails (2,000 applications
# with a PDF are 72 MB) and the peak memory stays under 200 MB whatever the mailbox's size.
PARSE_AHEAD_BYTES = 96 * 1024 * 1024


@dataclass
class Summary:
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def failed(self) -> int:
        return self.outcomes.get(MessageState.FAILED, 0)

    def describe(self) -> str:
        return ", ".join(f"{n} {state}" for state, n in sorted(self.outcomes.items()))


def understand(app: App, *, stop: threading.Event | None = None, batch_size: int = BATCH_SIZE,
               summary: Summary | None = None, more_coming: Callable[[], bool] | None = None,
               turn=None, warm_readers: bool = False) -> Summary:
    """Understand every message taken in and not yet understood, a batch at a time; when
    `stop` is set, stop after the batch in hand (the rest stay pending for the next run).
    With `more_coming` (a poll whose take-in goes on: it waits for the next committed batch
    and says whether there may be more): on PostgreSQL, what is taken in is understood as it
    comes; on SQLite, whose one write lock the take-in needs for each batch, it is parsed
    ahead while it comes and understood after. `turn`: a lock held while understanding,
    beside the database's (the daemon's threads take turns), never while waiting for more
    (another thread's poll must not wait for this one's slow mailbox). `warm_readers`: the document
    readers start as soon as a mail parsed ahead has attachments (an ingest of files: what
    they bring is mostly documents), not at the first document read."""
    summary = summary if summary is not None else Summary()
    with bounded_parser(stop) as parser:
        sqlite_ahead = more_coming is not None and app.db.is_sqlite
        parsed = parse_ahead(app, parser, more_coming, warm_readers) if sqlite_ahead else {}
        while True:
            with turn or nullcontext(), app.db.understanding_turn():   # held while understanding,
                while not _stopped(stop) and _one_batch(app, batch_size, summary, parser, stop, parsed):
                    pass                                                # never while waiting
            if _stopped(stop) or more_coming is None or sqlite_ahead or not more_coming():
                return summary


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def parse_ahead(app: App, parser: BoundedWorkers, more_coming: Callable[[], bool],
                warm_readers: bool = False) -> dict[str, tuple]:
    """While a take-in goes on, the messages it commits are parsed (by their stored file) in
    the parser's processes, which would otherwise wait for it to end; the batches then use
    these answers. Parsing is a pure function of the raw bytes, so this changes no outcome.
    Bounded by PARSE_AHEAD_BYTES of mail: beyond, the rest is parsed in its batch; a failure
    here (the database busy, a file missing) only leaves the rest to the batches as well.
    Returns {stored_as: (answer, seconds)}; what a stop interrupts is simply not there."""
    from . import parse  # noqa: F401 - imported once here, before the parser's processes fork
    # and the understanding's own modules (the document stack, the mail templates: 40 ms), now,
    # while the take-in connects, instead of after it, when the understanding waits for them
    from . import pipeline  # noqa: F401
    parsed: dict[str, tuple] = {}
    after, budget = 0, PARSE_AHEAD_BYTES
    while budget > 0 and more_coming():
        try:
            before = len(parsed)
            after, budget = _parse_committed(app, parser, after, budget, parsed)
            fresh = itertools.islice(parsed.values(), before, None)
            if warm_readers and any(_with_attachments(answer) for answer, _ in fresh):
                from ..extract import warm_readers as warm

                warm()
                warm_readers = False
        except Stopped:
            return parsed
        except Exception as exc:  # noqa: BLE001 - an optimisation: the batches parse the rest
            log.debug("parsing ahead stopped (%s: %s); the batches parse the rest",
                      type(exc).__name__, exc)
            budget = 0
    while more_coming():   # the parser's processes have done their share: wait for the end
        pass
    return parsed


def _with_attachments(answer: Callable) -> bool:
    try:
        return bool(answer().attachments)
    except Exception:  # noqa: BLE001 - its batch says why it could not be parsed
        return False


def _parse_committed(app: App, parser: BoundedWorkers, after: int, budget: int,
                     parsed: dict[str, tuple]) -> tuple[int, int]:
    """Parse the pending messages above id `after`, a batch at a time, until none is left or
    the budget is spent: (the last id seen, the budget left)."""
    while budget > 0:
        with app.db.session() as session:
            rows = within(session.execute(select(Message.id, Message.stored_as, Message.size)
                                          .where(Message.state == MessageState.PENDING, Message.id > after)
                                          .order_by(Message.id).limit(BATCH_SIZE)).all(),
                          min(budget, BATCH_BYTES))
        if not rows:
            break
        after = rows[-1].id
        budget -= sum(row.size or 0 for row in rows)
        started = time.monotonic()
        answers = parser.map([str(app.store.path(row.stored_as)) for row in rows])
        share = (time.monotonic() - started) / len(rows)
        parsed.update((row.stored_as, (answer, share)) for row, answer in zip(rows, answers))
    return after, budget


def bounded_parser(stop: threading.Event | None = None) -> BoundedWorkers:
    """The parser in child processes (one per core), each call with its time and memory
    budget; started at the first message of the run (the parser is imported only then)."""
    return BoundedWorkers(_parse, seconds=PARSE_SECONDS, memory_mb=PARSE_MEMORY_MB, stop=stop)


def _parse(path: str):
    from .parse import parse_file

    return parse_file(path)


def _one_batch(app: App, size: int, summary: Summary, parser, stop, parsed: dict) -> int:
    """Understand one batch; returns how many messages it claimed (0: nothing pending)."""
    claimed: list[int] = []
    try:
        return _understand_claimed(app, size, summary, claimed, parser, stop, parsed)
    except Stopped:   # rolled back: the messages stay pending, and no process died on them
        _clear_marks(app, claimed)
        log.info("stopped: %d message(s) in hand stay pending for the next run", len(claimed))
        return 0
    except Exception as exc:  # outside any one stage: the whole batch was rolled back
        if not claimed or environment_failure(exc):   # a full disk is no message's fault
            raise
        error = f"{type(exc).__name__}: {exc}"
        if len(claimed) > 1:
            log.error("a batch of %d failed as a whole (%s); they are understood one at a time",
                      len(claimed), error[:300])
        else:
            _quarantine_alone(app, claimed[0], f"understand: {error}")
            summary.add(MessageState.FAILED)
        return len(claimed)


def _understand_claimed(app: App, size: int, summary: Summary, claimed: list[int], parser,
                        stop, parsed: dict[str, tuple]) -> int:
    with app.db.session(write=True) as session:
        ids = _claim(session, size)
        if not ids:
            return 0
        ids = _set_aside_poison(app, session, ids, summary)
        claimed[:] = ids
        _mark_unfinished(app.db, session, ids)
        messages = _load(session, ids)
        if not messages:
            session.commit()
            return 1
        from .pipeline import Batch, understand_batch   # the document stack, only when needed

        contexts = [_context(m) for m in messages]
        understand_batch(Batch(session=session, store=app.store, rules=app.rules,
                               own_addresses=app.own_addresses, contexts=contexts,
                               parse_many=parser.map, parsed=parsed, stop=stop,
                               sender=app.settings.smtp.sender))
        session.execute(delete(UnfinishedRun).where(UnfinishedRun.message_pk.in_(ids)))
        app.store.sync()   # attachment files durable before the rows that name them
        session.commit()
    for ctx in contexts:
        summary.add(ctx.message.state)
    return len(ids)


def _claim(session: Session, size: int) -> list[int]:
    """Pending messages for this instance, oldest first, at most `size` of them and
    BATCH_BYTES of mail; another instance's are skipped. (PostgreSQL: the rows beyond the
    bytes stay locked until this batch commits; the other instances take the next ones.)"""
    query = (select(Message.id, Message.size).where(Message.state == MessageState.PENDING)
             .order_by(Message.id).limit(size))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, key_share=True)
    return [row.id for row in within(session.execute(query).all(), BATCH_BYTES)]


def within(rows: list, limit: int) -> list:
    """The first rows (each with a `size` in bytes, None counting as 0) whose sizes add up
    to at most `limit`; the first row whatever its size, so that a batch always moves on."""
    total = 0
    for count, row in enumerate(rows):
        total += row.size or 0
        if count and total > limit:
            return rows[:count]
    return rows


def _set_aside_poison(app: App, session: Session, ids: list[int], summary: Summary) -> list[int]:
    """A message that was in hand when a process died goes alone; after MAX_UNFINISHED_RUNS
    deaths it is quarantined. Returns the ids to understand now."""
    runs = dict(session.execute(select(UnfinishedRun.message_pk, UnfinishedRun.runs)
                                .where(UnfinishedRun.message_pk.in_(ids))).all())
    if not runs:
        return ids
    for pk in [pk for pk in ids if runs.get(pk, 0) >= MAX_UNFINISHED_RUNS]:
        message = session.get(Message, pk)
        old = (message.posting_id, message.applicant)
        quarantine(message, f"understand: the process stopped {runs[pk]} times while "
                            "understanding this message (a crash, or it was killed); set aside so "
                            "that the others go on; `intake reprocess --failed` tries again")
        session.execute(delete(UnfinishedRun).where(UnfinishedRun.message_pk == pk))
        session.flush()
        dossiers.refresh(session, app.rules, *old)
        summary.add(MessageState.FAILED)
        log.error("message %s %s -> failed: the process died %d times on it", pk,
                  message.message_id or "", runs[pk],
                  extra={"message_id": message.message_id, "outcome": MessageState.FAILED})
    left = [pk for pk in ids if runs.get(pk, 0) < MAX_UNFINISHED_RUNS]
    if left and runs.get(left[0]):
        return left[:1]
    return [pk for pk in left[:next((i for i, pk in enumerate(left) if runs.get(pk)), len(left))]]


def _quarantine_alone(app: App, pk: int, error: str) -> None:
    with app.db.transaction() as session:
        message = session.get(Message, pk)
        old = (message.posting_id, message.applicant)
        quarantine(message, error)
        session.execute(delete(UnfinishedRun).where(UnfinishedRun.message_pk == pk))
        session.flush()
        try:
            with session.begin_nested():
                dossiers.refresh(session, app.rules, *old)
        except Exception:  # noqa: BLE001 - the dossier is refreshed again by its next message
            log.error("dossier of message %s not refreshed after its failure", pk)
    log.error("message %s -> failed: %s", pk, error[:300], extra={"outcome": MessageState.FAILED})


def _clear_marks(app: App, ids: list[int]) -> None:
    """The marks of a batch given up on purpose (stopping): that was no death."""
    if ids:
        with app.db.transaction() as session:
            _unbump(session, ids)


def _unbump(session: Session, ids: list[int]) -> None:
    session.execute(delete(UnfinishedRun).where(UnfinishedRun.message_pk.in_(ids),
                                                UnfinishedRun.runs <= 1))
    session.execute(update(UnfinishedRun).where(UnfinishedRun.message_pk.in_(ids))
                    .values(runs=UnfinishedRun.runs - 1))


def _mark_unfinished(db: Database, session: Session, ids: list[int]) -> None:
    """Committed before the work starts. SQLite: in the session (one process understands at a
    time); PostgreSQL: on a side connection, so the claimed rows stay locked."""
    if not ids:
        return
    if db.is_sqlite:
        _bump(session, ids)
        session.commit()
        return
    with db.transaction() as side:
        _bump(side, ids)


def _bump(session: Session, ids: list[int]) -> None:
    known = set(session.scalars(select(UnfinishedRun.message_pk).where(UnfinishedRun.message_pk.in_(ids))))
    if known:
        session.execute(update(UnfinishedRun).where(UnfinishedRun.message_pk.in_(known))
                        .values(runs=UnfinishedRun.runs + 1))
    fresh = [{"message_pk": pk, "runs": 1} for pk in ids if pk not in known]
    if fresh:
        session.execute(insert(UnfinishedRun), fresh)


def _load(session: Session, ids: list[int]) -> list[Message]:
    """The claimed messages, still pending (SQLite: re-read after the commit of the marks)."""
    return list(session.scalars(
        select(Message).options(selectinload(Message.deliveries), selectinload(Message.documents))
        .where(Message.id.in_(ids), Message.state == MessageState.PENDING).order_by(Message.id)))


def _context(message: Message):
    from .pipeline import Context

    boxes = {d.mailbox for d in message.deliveries if d.mailbox}
    unknown = any(d.mailbox is None for d in message.deliveries)
    return Context(message=message, received_at=message.received_at, delivered_to=boxes,
                   any_unknown_mailbox=unknown)


def mark_for_reprocessing(db: Database, *, posting: str | None = None, failed_only: bool = False) -> int:
    """Messages to be understood again with the current rules (their raw bytes are kept)."""
    query = update(Message)
    if failed_only:
        query = query.where(Message.state == MessageState.FAILED)
    elif posting:
        query = query.where((Message.posting_id == posting)
                            | Message.state.in_((MessageState.UNMATCHED, MessageState.FAILED)))
    with db.transaction() as session:
        count = session.execute(query.values(state=MessageState.PENDING)).rowcount
        if failed_only or not posting:
            session.execute(delete(UnfinishedRun))
    return count
