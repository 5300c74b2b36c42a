"""A purge killed at any moment (SIGKILL of a real `intake purge` process: while it plans and
deletes rows, removes files, renders report copies again, finishes, compacts) leaves nothing
that a second `intake purge` does not finish: after the rerun the office is exactly as after a
purge never interrupted. Right after each kill, no row names a file that is gone. On SQLite and
PostgreSQL (INTAKE_TEST_DB_URL)."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from intake.models import (Decision, Dossier, Erasure, ErasureItem, ExtractedText, Message)
from tests.conftest import PG_ADMIN_URL
from tests.privacy.office import (STAGE, STAGE_SUBJECT, STAGE_TO, ingest_all, leftovers,
                                  named_files, open_office, stored_files, write_office)
from tests.support.documents import pdf_bytes
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver
from tests.support.webdata import Office

pytestmark = pytest.mark.slow
APPLICANTS = 60           # in the expired posting: 60 mails, 120 files, their cached texts
ROUNDS = 8
MARKERS = ("planning", "rows deleted", "file(s) of the raw store done", "cached texts done",
           "saved report copies", "finished", "compacted")


def crowd(folder: Path) -> list[Path]:
    """Many applications to the expired posting, each with its own small CV and letter."""
    paths = []
    for n in range(APPLICANTS):
        who = f"Candidat Numero{n:03d}"
        raw = make_mail(sender=f"{who} <candidat{n:03d}@exemple.ma>", to=STAGE_TO, delivered_to=STAGE_TO,
                        subject=STAGE_SUBJECT, received=datetime(2021, 1, 5, tzinfo=timezone.utc)
                        + timedelta(hours=n),
                        attachments=[(f"CV {who}.pdf", pdf_bytes([f"Curriculum vitae de {who}",
                                                                  f"Expérience n° {n}"]), "application/pdf"),
                                     (f"Lettre {who}.pdf", pdf_bytes([f"Lettre de motivation de {who}",
                                                                      "Madame, Monsieur"]), "application/pdf")])
        path = folder / f"crowd-{n:03d}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


class Snapshot:
    """The office before the purge, restored at will: the data folder, and the database (a
    file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL)."""

    def __init__(self, office: Office, folder: Path):
        self.office, self.folder = office, folder
        self.data = folder / "snapshot-data"
        shutil.copytree(office.data_dir, self.data)
        if office.db_url.startswith("sqlite:///"):
            self.db = folder / "snapshot.db"
            shutil.copy(office.db_url.removeprefix("sqlite:///"), self.db)
        else:
            self.db = office.db_url.rsplit("/", 1)[1]

    def restore(self) -> Office:
        office = self.office
        data = self.folder / f"data-{uuid.uuid4().hex[:8]}"
        shutil.copytree(self.data, data)
        if office.db_url.startswith("sqlite:///"):
            db = data.parent / f"{data.name}.db"
            shutil.copy(self.db, db)
            url = f"sqlite:///{db}"
        else:
            name = f"{self.db}_{uuid.uuid4().hex[:6]}"
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.db}"')
            url = office.db_url.rsplit("/", 1)[0] + f"/{name}"
        return Office(office.config, url, office.rules, data)


def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def purge_process(office: Office) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intake", *office.args("--log-level", "info", "purge")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def run_to_the_end(office: Office) -> list[tuple[float, str]]:
    """A purge that nobody interrupts; returns (seconds since start, marker) of its log."""
    started, seen = time.monotonic(), []
    process = purge_process(office)
    for line in process.stderr:
        seen += [(time.monotonic() - started, m) for m in MARKERS if m in line]
    assert process.wait() == 0
    return seen


def kill_at(office: Office, marker: str, delay: float) -> str:
    """Start a purge, wait for `marker` in its log, wait `delay` more, SIGKILL it."""
    process = purge_process(office)
    reached = threading.Event()

    def watch():
        for line in process.stderr:
            if marker in line:
                reached.set()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    reached.wait(120)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    watcher.join(5)
    return "killed" if process.returncode == -signal.SIGKILL else "ended before the kill"


def state(office: Office) -> dict:
    """What is kept, comparable between two copies of the office."""
    engine = create_engine(office.db_url)
    with engine.connect() as c:
        out = {
            "messages": sorted(tuple(r) for r in c.execute(select(Message.id, Message.state, Message.posting_id))),
            "dossiers": sorted(tuple(r) for r in c.execute(select(Dossier.posting_id, Dossier.applicant,
                                                                  Dossier.status))),
            "texts": sorted(c.scalars(select(ExtractedText.sha256))),
            "decisions": c.scalar(select(func.count()).select_from(Decision)),
            "erasures": [(e.kind, e.finished_at is not None, e.compacted, e.counts)
                         for e in c.execute(select(Erasure).order_by(Erasure.id))],
            "items": c.scalar(select(func.count()).select_from(ErasureItem)),
        }
    engine.dispose()
    out["files"] = sorted(stored_files(office))
    reports = Path(office.data_dir) / "reports"
    out["reports"] = {p.name: json.loads(p.read_text()) for p in reports.glob("*.source.json")}
    out["report_files"] = sorted(p.name for p in reports.iterdir())
    return out


def dangling(office: Office) -> set[str]:
    """Files the database names that are not in the store (must never happen)."""
    app = open_office(office)
    try:
        return named_files(app) - set(stored_files(office))
    finally:
        app.close()


def drop(office: Office) -> None:
    if not office.db_url.startswith("sqlite:///"):
        _admin(f'DROP DATABASE IF EXISTS "{office.db_url.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_a_purge_killed_at_random_moments_is_finished_by_the_next_one(tmp_path, db_url):
    rng = random.Random(int(os.environ.get("INTAKE_TEST_SEED", time.time())))
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port)
        inbox = tmp_path / "crowd"
        inbox.mkdir()
        assert office.intake("ingest", *map(str, crowd(inbox))) == 0
        shutil.rmtree(inbox)
        ingest_all(office, tmp_path)
        assert office.intake("report", "--send") == 0
        assert office.intake("report", "--send") == 0
    snapshot = Snapshot(office, tmp_path)

    reference_office = snapshot.restore()
    timeline = run_to_the_end(reference_office)
    reference = state(reference_office)
    assert reference["items"] == 0 and len(reference["erasures"]) == 1
    assert not any(d[0] == STAGE for d in reference["dossiers"])
    assert leftovers(reference_office, [b"candidat042@exemple.ma", b"Candidat Numero042"]) == []
    drop(reference_office)
    gaps = {m: t for t, m in timeline}
    assert set(gaps) >= {"planning", "rows deleted", "finished"}, timeline

    outcomes = []
    for n in range(ROUNDS):
        copy = snapshot.restore()
        marker = rng.choice([m for m in MARKERS if m in gaps])
        following = [t for t, m in timeline if t > gaps[marker]]
        delay = rng.uniform(0, (following[0] - gaps[marker]) if following else 0.05)
        outcomes.append((marker, round(delay, 3), kill_at(copy, marker, delay)))
        assert dangling(copy) == set(), f"round {n}: a kept row names a removed file ({outcomes[-1]})"
        middle = state(copy)
        assert middle["items"] == 0 or any(not finished for _, finished, _, _ in middle["erasures"]), \
            "work left only with an unfinished erasure that says what it is"
        assert copy.intake("purge") == 0
        after = state(copy)
        assert after == reference, f"round {n}: {outcomes[-1]}"
        drop(copy)
    print("purge timeline:", timeline, "kills:", outcomes)
    assert sum(1 for *_, what in outcomes if what == "killed") >= ROUNDS // 2, outcomes
