"""Killed at any moment, intake loses nothing and shows nothing twice; a message that kills it
is set aside after a few deaths, and the others go on.

Real `intake` processes: `ingest` and `reprocess` killed with SIGKILL at random moments (the
report read right after each kill shows every message in exactly one place), a message that
makes the process die (a hook the test installs with sitecustomize), a message whose parsing
runs past its budget, and two `ingest` started at once on one database.
"""
from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import Intake, places
from tests.support.documents import pdf_bytes
from tests.support.maildata import make_mail

pytestmark = pytest.mark.slow

KILLS = 4
CRASH = 70   # the exit code of the poison hook


def write_mails(folder: Path, count: int, prefix: str = "m") -> list[Path]:
    """Applications with a real PDF CV each; every seventh one unmatched, every eleventh an
    auto-reply: every outcome is represented."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        subject, headers = "Candidature_chargé(e) de projet_OMP", None
        if n % 7 == 3:
            subject = "Question sur vos activités"
        if n % 11 == 5:
            subject, headers = "Réponse automatique : absent", {"Auto-Submitted": "auto-replied"}
        cv = pdf_bytes([f"Curriculum vitae {prefix}{n}", "Expérience professionnelle", "Formation"])
        raw = make_mail(message_id=f"<{prefix}{n}@example.ma>", sender=f"A{n} <{prefix}{n}@example.ma>",
                        subject=subject, headers=headers,
                        attachments=[(f"CV {prefix}{n}.pdf", cv, "application/pdf")])
        path = folder / f"{prefix}{n:03}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def assert_each_in_one_place(report: dict, expected: set[str], context: str, *, all_there: bool) -> None:
    where = places(report)
    doubles = {mid: p for mid, p in where.items() if len(p) != 1}
    assert not doubles, f"{context}: shown in several places: {doubles}"
    if all_there:
        assert set(where) == expected, f"{context}: missing {sorted(expected - set(where))[:5]}"
    else:
        assert set(where) <= expected, context


def duration(intake: Intake, *args) -> float:
    """How long one whole run takes here and now (to aim the kills inside the next ones)."""
    started = time.monotonic()
    done = intake(*args)
    assert "Traceback" not in done.stderr, done.stderr
    return time.monotonic() - started


def kill_at_random(process: subprocess.Popen, rng: random.Random, longest: float) -> bool:
    """SIGKILL after a random delay within `longest` seconds; False when the process had
    already ended."""
    deadline = time.monotonic() + rng.uniform(0.1, 0.8) * longest
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[list[Path], set[str]]:
    paths = write_mails(tmp_path_factory.mktemp("corpus"), 80)
    return paths, {f"<m{n}@example.ma>" for n in range(80)}


SLICE = 30   # fresh mails each killed ingest gets, so that no run can end before its kill


def test_sigkill_during_a_batched_ingest_loses_nothing_and_shows_nothing_twice(tmp_path, db_url):
    # Round r ingests the mails of rounds 0..r: what earlier kills left half done, plus a slice
    # nobody has seen. The kill is aimed within the time one fresh slice takes, so every run
    # still has work in hand when it comes, however much the killed runs before it got done.
    paths = write_mails(tmp_path / "mails", SLICE * (KILLS + 1))
    expected = {f"<m{n}@example.ma>" for n in range(len(paths))}
    timing = Intake(tmp_path / "timing", f"sqlite:///{tmp_path / 'timing.db'}")
    longest = duration(timing, "ingest", *paths[-SLICE:])
    intake = Intake(tmp_path / "data", db_url)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    killed = 0
    for round_ in range(KILLS):
        given = paths[:SLICE * (round_ + 1)]
        killed += kill_at_random(intake.start("ingest", *given), rng, longest)
        assert_each_in_one_place(intake.report(), expected, f"seed {seed}, after kill {round_}",
                                 all_there=False)
    final = intake("ingest", *paths)
    assert final.returncode in (0, 1) and "Traceback" not in final.stderr, final.stderr
    report = intake.report()
    assert_each_in_one_place(report, expected, f"seed {seed}, at the end", all_there=True)
    assert killed >= 2, f"seed {seed}: the runs ended before they could be killed"
    assert not [f for f in report["failed"] if f["error"].startswith("pas encore")], f"seed {seed}"


def test_sigkill_during_reprocess_never_shows_a_message_in_two_places(tmp_path, db_url, corpus):
    paths, expected = corpus
    intake = Intake(tmp_path / "data", db_url)
    assert intake("ingest", *paths).returncode == 0
    before = intake.report()
    assert_each_in_one_place(before, expected, "after ingest", all_there=True)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    longest = duration(intake, "reprocess")
    killed = 0
    for round_ in range(KILLS):
        killed += kill_at_random(intake.start("reprocess"), rng, longest)
        # Read right after the kill, before anything repairs it: still one place each.
        assert_each_in_one_place(intake.report(), expected, f"seed {seed}, after kill {round_}",
                                 all_there=True)
    final = intake("reprocess")
    assert final.returncode in (0, 1) and "Traceback" not in final.stderr, final.stderr
    after = intake.report()
    assert_each_in_one_place(after, expected, f"seed {seed}, at the end", all_there=True)
    assert killed >= 2, f"seed {seed}: the runs ended before they could be killed"
    assert places(after) == places(before) or any(
        f["error"].startswith("understand: the process stopped") for f in after["failed"]), f"seed {seed}"


POISON_HOOK = '''
import os
_word = os.environ.get("INTAKE_TEST_POISON")
if _word:
    import importlib
    _module, _name = os.environ["INTAKE_TEST_POISON_IN"].split(":")
    _module = importlib.import_module(_module)
    _original = getattr(_module, _name)

    def _poisoned(*args, **kwargs):
        if _word in repr(args[0])[:100000]:
            os._exit(70)          # the process dies on this message, as a crash would
        return _original(*args, **kwargs)

    setattr(_module, _name, _poisoned)
'''


def poisoned_intake(tmp_path: Path, db_url: str, where: str) -> Intake:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(POISON_HOOK)
    intake = Intake(tmp_path / "data", db_url, env={"INTAKE_TEST_POISON": "POISON-7731",
                                                     "INTAKE_TEST_POISON_IN": where})
    intake.env["PYTHONPATH"] = f"{hooks}:{intake.env['PYTHONPATH']}"
    return intake


def test_a_message_that_kills_intake_is_set_aside_after_three_deaths_and_the_others_go_on(tmp_path, db_url):
    paths = write_mails(tmp_path / "mails", 12)
    poison = tmp_path / "mails" / "poison.eml"
    poison.write_bytes(make_mail(message_id="<poison@example.ma>", sender="p@example.ma",
                                 subject="Candidature_chargé(e) de projet_OMP POISON-7731"))
    intake = poisoned_intake(tmp_path, db_url, "intake.understand.pipeline:screen")
    codes = []
    for _ in range(8):
        done = intake("ingest", *paths[:6], poison, *paths[6:])
        codes.append(done.returncode)
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode != CRASH:
            break
    assert codes == [CRASH, CRASH, CRASH, 1], codes   # three deaths, then set aside
    report = intake.report()
    assert_each_in_one_place(report, {f"<m{n}@example.ma>" for n in range(12)} | {"<poison@example.ma>"},
                             "after the poison", all_there=True)
    failed = {f["message_id"]: f for f in report["failed"]}
    assert list(failed) == ["<poison@example.ma>"]
    assert "the process stopped 3 times while understanding this message" in failed["<poison@example.ma>"]["error"]
    assert "reprocess --failed" in failed["<poison@example.ma>"]["error"]


def test_a_message_that_kills_the_parser_fails_at_once_and_the_others_go_on(tmp_path, db_url):
    paths = write_mails(tmp_path / "mails", 6)
    poison = tmp_path / "mails" / "poison.eml"
    poison.write_bytes(make_mail(message_id="<poison@example.ma>", sender="p@example.ma",
                                 subject="Candidature POISON-7731"))
    intake = poisoned_intake(tmp_path, db_url, "intake.understand.parse:parse")
    done = intake("ingest", poison, *paths)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    report = intake.report()
    failed = {f["message_id"]: f["error"] for f in report["failed"]}
    assert list(failed) == ["<poison@example.ma>"]
    assert failed["<poison@example.ma>"].startswith("parse: BudgetExceeded: its process died (exit code 70)")
    assert len(places(report)) == 7


def unclosed_html_comments(count: int) -> bytes:
    """An HTML mail of `count` unclosed comments ("<!--"): the standard library's HTML parser
    needs time quadratic in their number (minutes for this 800 KB mail)."""
    return (b"From: Salma <salma@example.ma>\nTo: omdp.direction.2@gmail.com\nSubject: Candidature\n"
            b"Message-ID: <slow@example.ma>\nDate: Tue, 28 Apr 2026 09:12:00 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: text/html; charset=utf-8\n\n" + b"<!--" * count)


def test_a_mail_whose_parsing_runs_past_its_budget_fails_alone(tmp_path, db_url):
    paths = write_mails(tmp_path / "mails", 4)
    slow = tmp_path / "mails" / "slow.eml"
    slow.write_bytes(unclosed_html_comments(200_000))
    intake = Intake(tmp_path / "data", db_url)
    done = intake("ingest", slow, *paths)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    report = intake.report()
    failed = {f["message_id"]: f["error"] for f in report["failed"]}
    assert list(failed) == ["<slow@example.ma>"]
    assert failed["<slow@example.ma>"].startswith("parse: BudgetExceeded: took over 20 s")
    assert len(places(report)) == 5


def test_two_ingests_started_at_once_on_one_database_both_finish_cleanly(tmp_path, db_url):
    first = write_mails(tmp_path / "a", 40, prefix="a")
    second = write_mails(tmp_path / "b", 40, prefix="b")
    expected = {f"<{p}{n}@example.ma>" for p in "ab" for n in range(40)}
    for attempt in range(3):
        intake = Intake(tmp_path / f"data{attempt}", db_url if attempt == 0 else
                        (db_url if not db_url.startswith("sqlite") else f"sqlite:///{tmp_path}/db{attempt}.db"))
        runs = [intake.start("ingest", *first, *second[:10], stdout=subprocess.PIPE),
                intake.start("ingest", *second, *first[:10], stdout=subprocess.PIPE)]
        outputs = [run.communicate(timeout=600) for run in runs]
        for run, (out, err) in zip(runs, outputs):
            assert run.returncode == 0, f"attempt {attempt}: {err.decode()[-3000:]}"
            assert b"Traceback" not in err and b"locked" not in err, err.decode()[-3000:]
        report = intake.report()
        assert_each_in_one_place(report, expected, f"attempt {attempt}", all_there=True)
        assert report["failed"] == []
        dossiers = [d for p in report["postings"] for d in p["dossiers"]]
        assert all(d["messages"] == 1 for d in dossiers)
        if not db_url.startswith("sqlite"):
            break   # one PostgreSQL database per test
