"""Erasing personal data: one person (`intake forget`), or what outlived its retention
(`intake purge`). The same four steps for both, each one safe to run again:

1. Plan and delete the rows, in ONE transaction: the erasure record, its to-do items (files of
   the raw store, cached texts, and what identifies the erased in saved report copies), and the
   deletion of every row (messages with their deliveries, documents and decisions; dossiers;
   decisions; outbox rows). Killed before the commit, nothing happened; after it, the rows are
   gone and the to-do items say what is left.
2. Files and cached texts, a chunk at a time under the store guard (db.store_guard: no take-in
   or understanding can name a file meanwhile): a file or text still named by a kept message
   is kept (content is shared by hash: the same CV sent to a posting still kept stays), any
   other is removed, and the chunk's items go in the same transaction.
3. Saved report copies: rendered again without the erased (copies.py), atomically.
4. Finish: the record gets its counts and its end, the audit log an entry, and SQLite is
   compacted (VACUUM, then a WAL checkpoint) so the erased bytes leave the database files too.

An erasure left unfinished (the process was killed) is finished by the next `intake purge` or
`intake forget`, before anything new is planned.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import column, delete, func, insert, inspect, or_, select, table, update
from sqlalchemy.orm import Session

from .. import audit
from ..db import store_guard
from ..fsutil import sync_folders
from ..models import (Decision, Document, Dossier, Erasure, ErasureItem, ExtractedText, Message,
                      MessageState, UnfinishedRun, utcnow)
from . import applicant, copies, retention

log = logging.getLogger(__name__)

CHUNK = 200          # files or rows per transaction: the write lock is held briefly
FILE, TEXT = "file", "text"
POSTING, ADDRESS, NAME, MESSAGE = "posting", "address", "name", "message"
PURGE, FORGET = "purge", "forget"
OUTSIDE = (MessageState.UNMATCHED, MessageState.IGNORED, MessageState.FAILED)
STORE_PATH = re.compile(r"(messages|attachments)/[0-9a-f]{2}/[0-9a-f]{64}(\.[0-9a-z]{1,5})?")
STALE_TEMPORARY_SECONDS = 24 * 3600


@dataclass
class Plan:
    """What an erasure removes. `lines` say it in words (for --dry-run)."""

    kind: str
    messages: list[int] = field(default_factory=list)
    dossiers: list[int] = field(default_factory=list)
    decisions: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    filters: copies.Filters = field(default_factory=copies.Filters)
    lines: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)     # saved report copies that name them

    @property
    def counts(self) -> dict[str, int]:
        return {"messages": len(self.messages), "dossiers": len(self.dossiers),
                "decisions": len(self.decisions), "outbox": len(self.outbox),
                "files": len(self.files), "texts": len(self.texts), "reports": len(self.reports)}

    @property
    def empty(self) -> bool:
        return not (self.messages or self.dossiers or self.decisions or self.outbox)


@dataclass
class Result:
    plan: Plan
    erasure_id: int | None = None
    counts: dict = field(default_factory=dict)
    resumed: int = 0                 # unfinished erasures of an earlier run finished first
    compacted: bool = True


# -- the two kinds -------------------------------------------------------------------------

def purge(app, *, by: str, now: datetime | None = None, dry_run: bool = False) -> Result:
    """Erase what outlived its retention ([privacy] and rules files' retention_days)."""
    now = now or datetime.now(timezone.utc)
    return _erase(app, PURGE, lambda s: purge_plan(s, app, now), by=by, dry_run=dry_run,
                  record_empty=False)


def forget(app, address: str, address_hash: str, *, by: str, dry_run: bool = False) -> Result:
    """Erase everything about one person (`address` normalized); the erasure log keeps
    `address_hash`, even when nothing was held about them."""
    return _erase(app, FORGET, lambda s: forget_plan(s, app, address), by=by, dry_run=dry_run,
                  record_empty=True, address_hash=address_hash)


def purge_plan(session: Session, app, now: datetime) -> Plan:
    privacy = app.settings.privacy
    plan = Plan(PURGE)
    expired = [t for t in retention.terms(app.rules.postings, privacy.retention_days)
               if t.expired(now)]
    needles: set[str] = set()
    for t in expired:
        rows = session.execute(select(Dossier.id, Dossier.applicant, Dossier.status)
                               .where(Dossier.posting_id == t.posting_id).order_by(Dossier.id)).all()
        pks = _lock(session, session.scalars(select(Message.id).where(
            Message.posting_id == t.posting_id, Message.state == MessageState.DOSSIER)))
        if not rows and not pks:
            continue
        plan.dossiers += [r.id for r in rows]
        plan.messages += pks
        needles |= {r.applicant for r in rows} | {t.posting_id}
        plan.lines.append(f"posting {t.posting_id}: deadline {t.deadline:%Y-%m-%d}, kept "
                          f"{t.days} day(s) after it (erased from {t.erase_from:%Y-%m-%d}): "
                          f"{len(rows)} dossier(s), {len(pks)} message(s)")
        plan.lines += [f"  dossier {r.id}  {r.applicant}  ({r.status})" for r in rows]
    ids = [t.posting_id for t in expired]
    if ids:
        plan.decisions = list(session.scalars(select(Decision.id).where(Decision.posting_id.in_(ids))))
        if (outbox := _outbox(session)) is not None:
            plan.outbox = list(session.scalars(select(outbox.c.id).where(outbox.c.posting_id.in_(ids))))
    cutoff = retention.outside_cutoff(privacy.unmatched_days, now)
    outside: list[int] = []
    if cutoff is not None:
        since = func.coalesce(Message.outside_since, Message.understood_at, Message.taken_at)
        rows = session.execute(select(Message.id, Message.state, Message.from_addr, since.label("since"))
                               .where(Message.state.in_(OUTSIDE), since < cutoff)
                               .order_by(Message.id)).all()
        outside = _lock(session, [r.id for r in rows])
        rows = [r for r in rows if r.id in set(outside)]
        if rows:
            plan.lines.append(f"mail outside every dossier for more than {privacy.unmatched_days} "
                              f"day(s) (before {cutoff:%Y-%m-%d}): {len(rows)} message(s)")
            plan.lines += [f"  message {r.id}  {r.state}  from {r.from_addr or '(unknown sender)'}"
                           for r in rows]
        plan.messages += outside
        needles |= {r.from_addr for r in rows if r.from_addr}
    plan.filters = copies.Filters(postings=frozenset(ids), messages=frozenset(plan.messages),
                                  needles=frozenset(needles))
    _files_and_texts(session, plan)
    return plan


def forget_plan(session: Session, app, address: str) -> Plan:
    plan = Plan(FORGET)
    plan.messages = _lock(session, applicant.message_ids(session, app.store, address))
    plan.dossiers = applicant.dossier_ids(session, address)
    plan.decisions = list(session.scalars(select(Decision.id).where(
        func.lower(Decision.applicant) == address)))
    if (outbox := _outbox(session)) is not None:
        plan.outbox = list(session.scalars(select(outbox.c.id).where(or_(
            func.lower(outbox.c.applicant) == address, func.lower(outbox.c.to_addr) == address))))
    names = {n for n in session.scalars(select(Message.sender_name).where(
        Message.id.in_(plan.messages))) if n} | {n for n in session.scalars(
        select(Dossier.name).where(Dossier.id.in_(plan.dossiers))) if n}
    rows = session.execute(select(Dossier.id, Dossier.posting_id, Dossier.status)
                           .where(Dossier.id.in_(plan.dossiers))).all()
    states = session.execute(select(Message.state, func.count()).where(
        Message.id.in_(plan.messages)).group_by(Message.state)).all()
    plan.lines.append(f"{address}: {len(rows)} dossier(s), {len(plan.messages)} message(s) ("
                      + (", ".join(f"{n} {state}" for state, n in sorted(states)) or "none") + ")")
    plan.lines += [f"  dossier {r.id}  posting {r.posting_id}  ({r.status})" for r in rows]
    plan.filters = copies.Filters(addresses=frozenset({address}), messages=frozenset(plan.messages),
                                  needles=frozenset({address, *(n for n in names if len(n) >= 3)}))
    _files_and_texts(session, plan)
    return plan


# -- the steps -----------------------------------------------------------------------------

def _erase(app, kind: str, planner, *, by: str, dry_run: bool, record_empty: bool,
           address_hash: str | None = None) -> Result:
    if dry_run:
        with app.db.session() as session:
            plan = planner(session)
        plan.reports = copies.affected(app.settings.data_dir, plan.filters)
        return Result(plan=plan, counts=plan.counts)
    resumed = resume(app, compact_after=False)
    log.info("%s: planning", kind)
    with app.db.transaction() as session:
        plan = planner(session)
        if not plan.empty or record_empty:    # a purge with nothing to erase reads no copy
            plan.reports = copies.affected(app.settings.data_dir, plan.filters)
        if plan.empty and not record_empty:
            erasure_id = None
        else:
            erasure_id = _record_and_delete(session, plan, kind, by, address_hash)
    if erasure_id is not None:
        log.info("erasure %d (%s): rows deleted: %s", erasure_id, kind,
                 ", ".join(f"{n} {what}" for what, n in plan.counts.items()))
        _finish_outside_rows(app, erasure_id)
    if kind == PURGE:
        sweep_temporary(app.store.root)
    result = Result(plan=plan, erasure_id=erasure_id, resumed=resumed,
                    compacted=compact(app))
    if erasure_id is not None:
        with app.db.session() as session:
            result.counts = dict(session.get(Erasure, erasure_id).counts)
    return result


def _record_and_delete(session: Session, plan: Plan, kind: str, by: str,
                       address_hash: str | None) -> int:
    erasure = Erasure(kind=kind, by=by[:320], address_hash=address_hash, counts=plan.counts)
    session.add(erasure)
    session.flush()
    f = plan.filters
    todo = [(FILE, t) for t in plan.files] + [(TEXT, t) for t in plan.texts] + \
        [(POSTING, t) for t in f.postings] + [(ADDRESS, t) for t in f.addresses] + \
        [(NAME, t[:700]) for t in f.needles - f.addresses - f.postings] + \
        [(MESSAGE, str(t)) for t in f.messages]
    for part in _chunks(todo):
        session.execute(insert(ErasureItem), [{"erasure_id": erasure.id, "kind": k, "target": t}
                                              for k, t in part])
    if plan.outbox:
        outbox = _outbox(session)
        for part in _chunks(plan.outbox):
            session.execute(delete(outbox).where(outbox.c.id.in_(part)))
    for part in _chunks(plan.decisions):
        session.execute(delete(Decision).where(Decision.id.in_(part)))
    for part in _chunks(plan.messages):   # deliveries, documents, decisions: ON DELETE CASCADE
        session.execute(delete(UnfinishedRun).where(UnfinishedRun.message_pk.in_(part)))
        session.execute(delete(Message).where(Message.id.in_(part)))
    for part in _chunks(plan.dossiers):
        session.execute(delete(Dossier).where(Dossier.id.in_(part)))
    return erasure.id


def resume(app, *, compact_after: bool = True) -> int:
    """Finish every erasure an earlier run left unfinished; returns how many."""
    with app.db.session() as session:
        unfinished = list(session.scalars(select(Erasure.id).where(Erasure.finished_at.is_(None))
                                          .order_by(Erasure.id)))
    for erasure_id in unfinished:
        log.warning("erasure %d was interrupted: finishing it now", erasure_id)
        _finish_outside_rows(app, erasure_id)
    if compact_after:
        compact(app)
    return len(unfinished)


def _finish_outside_rows(app, erasure_id: int) -> None:
    _remove_files(app, erasure_id)
    _remove_texts(app, erasure_id)
    _scrub_reports(app, erasure_id)
    _finish(app, erasure_id)


def _remove_files(app, erasure_id: int) -> None:
    root, done = app.store.root, 0
    while True:
        with app.db.transaction() as session:
            items = _items(session, erasure_id, FILE)
            if not items:
                return
            store_guard(session, exclusive=True)
            in_use = _names_in_use(session, [t for _, t in items], exclude=set())
            kept, folders = 0, set()
            for _, target in items:
                if target in in_use or not STORE_PATH.fullmatch(target):
                    kept += 1
                    continue
                path = root / target
                path.unlink(missing_ok=True)
                folders.add(path.parent)
            sync_folders([f for f in folders if f.is_dir()])
            session.execute(delete(ErasureItem).where(ErasureItem.id.in_([i for i, _ in items])))
            if kept:
                _add(session, erasure_id, files=-kept)
        done += len(items)
        log.info("erasure %d: %d file(s) of the raw store done", erasure_id, done)


def _remove_texts(app, erasure_id: int) -> None:
    while True:
        with app.db.transaction() as session:
            items = _items(session, erasure_id, TEXT)
            if not items:
                return
            store_guard(session, exclusive=True)
            shas = {t for _, t in items}
            used = set(session.scalars(select(Document.sha256).where(Document.sha256.in_(shas))))
            session.execute(delete(ExtractedText).where(ExtractedText.sha256.in_(shas - used)))
            session.execute(delete(ErasureItem).where(ErasureItem.id.in_([i for i, _ in items])))
            if used:
                _add(session, erasure_id, texts=-len(used))
        log.info("erasure %d: cached texts done", erasure_id)


def _scrub_reports(app, erasure_id: int) -> None:
    with app.db.session() as session:
        kind = session.get(Erasure, erasure_id).kind
        rows = session.execute(select(ErasureItem.kind, ErasureItem.target).where(
            ErasureItem.erasure_id == erasure_id,
            ErasureItem.kind.in_((POSTING, ADDRESS, NAME, MESSAGE)))).all()
    of = {k: {t for kk, t in rows if kk == k} for k in (POSTING, ADDRESS, NAME, MESSAGE)}
    filters = copies.Filters(postings=frozenset(of[POSTING]), addresses=frozenset(of[ADDRESS]),
                             messages=frozenset(int(t) for t in of[MESSAGE]),
                             needles=frozenset(of[ADDRESS] | of[NAME] | of[POSTING]))
    if kind == PURGE and not (filters.postings or filters.messages):
        return
    outcome = copies.scrub(app.settings.data_dir, filters)
    log.info("erasure %d: saved report copies: %d rendered again without the erased, %d deleted",
             erasure_id, len(outcome.rewritten), len(outcome.deleted))


def _finish(app, erasure_id: int) -> None:
    with app.db.transaction() as session:
        erasure = session.get(Erasure, erasure_id, with_for_update=True)
        if erasure.finished_at is not None:
            return
        session.execute(delete(ErasureItem).where(ErasureItem.erasure_id == erasure_id))
        erasure.finished_at = utcnow()
        erasure.items = sum(n for n in (erasure.counts or {}).values() if isinstance(n, int))
        audit.record(session, erasure.by, audit.PURGED if erasure.kind == PURGE else audit.FORGOTTEN,
                     detail={"erasure": erasure.id, "items": erasure.items, **erasure.counts})
    log.info("erasure %d: finished", erasure_id)


def compact(app) -> bool:
    """SQLite: after an erasure, VACUUM (the file is rebuilt without the freed pages that still
    held erased rows) and a TRUNCATE checkpoint (the write-ahead log is emptied). Returns False
    when another process kept the log busy: the bytes then leave at its next checkpoint."""
    with app.db.session() as session:
        due = session.scalar(select(func.count()).select_from(Erasure).where(
            Erasure.finished_at.is_not(None), Erasure.compacted.is_(False)))
    if not due:
        return True
    clean = True
    if app.db.is_sqlite:
        clean = _vacuum(app.db.engine)
    with app.db.transaction() as session:
        session.execute(update(Erasure).where(Erasure.finished_at.is_not(None),
                                              Erasure.compacted.is_(False)).values(compacted=True))
    if app.db.is_sqlite:
        clean = _vacuum(app.db.engine, vacuum=False) and clean
    if not clean:
        log.warning("the SQLite write-ahead log was in use: erased rows leave it at its next "
                    "checkpoint (run `intake purge` again when nothing else runs)")
    return clean


def _vacuum(engine, *, vacuum: bool = True) -> bool:
    started = time.monotonic()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if vacuum:
            cursor.execute("VACUUM")
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    if vacuum:
        log.info("database compacted in %.1f s", time.monotonic() - started)
    return busy == 0


def sweep_temporary(root: Path) -> int:
    """Half-written files a killed process left in the data folder (atomic writes' .tmp-*),
    older than a day: they may hold erased bytes."""
    removed, now = 0, time.time()
    for folder in ("messages", "attachments", "reports"):
        for path in (Path(root) / folder).rglob(".tmp-*"):
            try:
                if now - path.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
    return removed


# -- helpers -------------------------------------------------------------------------------

def _files_and_texts(session: Session, plan: Plan) -> None:
    """The raw files and cached texts of the doomed messages that no other message needs."""
    doomed = set(plan.messages)
    candidates, shas = set(), set()
    for part in _chunks(plan.messages):
        candidates |= set(session.scalars(select(Message.stored_as).where(Message.id.in_(part))))
        for stored_as, sha in session.execute(select(Document.stored_as, Document.sha256)
                                              .where(Document.message_pk.in_(part))):
            candidates |= {stored_as} - {None}
            shas |= {sha} - {None}
    plan.files = sorted(candidates - _names_in_use(session, list(candidates), exclude=doomed))
    used, cached = set(), set()
    for part in _chunks(sorted(shas)):
        used |= {sha for sha, pk in session.execute(select(Document.sha256, Document.message_pk)
                                                    .where(Document.sha256.in_(part))) if pk not in doomed}
        cached |= set(session.scalars(select(ExtractedText.sha256).where(ExtractedText.sha256.in_(part))))
    plan.texts = sorted(cached - used)


def _names_in_use(session: Session, paths: list[str], exclude: set[int]) -> set[str]:
    """Which of these store paths a message or document outside `exclude` still names."""
    used = set()
    for part in _chunks(paths):
        used |= {p for pk, p in session.execute(select(Message.id, Message.stored_as)
                                                .where(Message.stored_as.in_(part))) if pk not in exclude}
        used |= {p for pk, p in session.execute(select(Document.message_pk, Document.stored_as)
                                                .where(Document.stored_as.in_(part))) if pk not in exclude}
    return used


def _lock(session: Session, ids) -> list[int]:
    """These messages, still there; PostgreSQL: locked, so that no understanding batch changes
    them (and adds files to them) until this erasure commits (SQLite: the write lock does)."""
    ids = sorted(set(ids))
    if session.get_bind().dialect.name != "postgresql":
        return ids
    return sorted(pk for part in _chunks(ids) for pk in session.scalars(
        select(Message.id).where(Message.id.in_(part)).with_for_update()))


def _outbox(session: Session):
    """The acknowledgements' outbox, when this database has one."""
    if not inspect(session.connection()).has_table("outbox"):
        return None
    return table("outbox", column("id"), column("posting_id"), column("applicant"), column("to_addr"))


def _items(session: Session, erasure_id: int, kind: str) -> list[tuple[int, str]]:
    return [tuple(r) for r in session.execute(
        select(ErasureItem.id, ErasureItem.target).where(ErasureItem.erasure_id == erasure_id,
                                                         ErasureItem.kind == kind)
        .order_by(ErasureItem.id).limit(CHUNK))]


def _add(session: Session, erasure_id: int, **amounts: int) -> None:
    erasure = session.get(Erasure, erasure_id)
    counts = dict(erasure.counts or {})
    for key, n in amounts.items():
        counts[key] = counts.get(key, 0) + n
    erasure.counts = counts


def _chunks(values, size: int = CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def describe(result: Result, *, dry_run: bool) -> str:
    """What an erasure did (or, dry, would do), for the administrator (English, like the log)."""
    plan, out = result.plan, []
    if result.resumed:
        out.append(f"finished {result.resumed} erasure(s) an earlier run left unfinished")
    out += plan.lines
    counts = result.counts or plan.counts
    if dry_run:
        if plan.empty:
            out.append("nothing to erase")
        else:
            out.append("would erase: " + _counted(counts))
            if plan.reports:
                out.append(f"would render {_copies(len(plan.reports))} again without them: "
                           f"{', '.join(plan.reports)}")
        return "\n".join(out)
    if result.erasure_id is None:
        out.append("nothing to erase")
    else:
        out.append(f"erased (erasure {result.erasure_id}): " + _counted(counts))
        if counts.get("reports"):
            out.append(f"{_copies(counts['reports'])} rendered again without them (a copy saved "
                       "without its source is deleted instead)")
        if not result.compacted:
            out.append("the SQLite write-ahead log was busy: run `intake purge` again when "
                       "nothing else runs, so the erased rows leave it")
    return "\n".join(out)


def _copies(n: int) -> str:
    return f"{n} saved report cop{'y' if n == 1 else 'ies'}"


def _counted(counts: dict) -> str:
    names = (("dossiers", "dossier(s)"), ("messages", "message(s)"), ("files", "file(s)"),
             ("texts", "cached text(s)"), ("decisions", "web-view decision(s)"),
             ("outbox", "outbox mail(s)"))
    return ", ".join(f"{counts.get(key, 0)} {label}" for key, label in names)
