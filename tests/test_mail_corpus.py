"""The mail corpus, end to end, through the command line as a user runs it.

`intake ingest tests/mails` then `intake report --format json` must put every mail where its
<case>.expected.toml says (one dossier, unmatched, or ignored with a reason) and build exactly the
dossiers of tests/mails/dossiers.toml. A second ingest of the same files changes nothing.
The corpus is made by tests/mails/build.py, which must reproduce the committed bytes.

With INTAKE_TEST_DB_URL set to PostgreSQL (scripts/test), the run uses a fresh PostgreSQL database.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import fresh_pg_database

REPO = Path(__file__).resolve().parents[1]
MAILS = REPO / "tests" / "mails"
MAIL_FILES = sorted(MAILS.glob("*.eml"))
DOSSIERS = tomllib.loads((MAILS / "dossiers.toml").read_text(encoding="utf-8"))["dossier"]
ENTRY = "import sys; from intake.cli import main; sys.exit(main())"   # the `intake` console script


def intake(*args: str, data_dir: Path, db: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", ENTRY, "--data-dir", str(data_dir), "--rules", str(REPO / "rules"),
           "--db", db, *args]
    return subprocess.run(cmd, cwd=data_dir, env=env, capture_output=True, text=True, timeout=600)


def report_json(data_dir: Path, db: str) -> dict:
    done = intake("report", "--format", "json", data_dir=data_dir, db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Ingest the corpus, report, ingest it again, report again."""
    data_dir = tmp_path_factory.mktemp("intake-data")
    if os.environ.get("INTAKE_TEST_DB_URL", "").startswith("postgresql"):
        db, drop = fresh_pg_database()
    else:
        db, drop = f"sqlite:///{data_dir / 'intake.db'}", (lambda: None)
    files = [str(p) for p in MAIL_FILES]        # `intake ingest tests/mails/*.eml`: the folder also holds
    first = intake("ingest", *files, data_dir=data_dir, db=db)   # expectations, which are not mail
    report = report_json(data_dir, db)
    second = intake("ingest", *files, data_dir=data_dir, db=db)
    yield {"first": first, "second": second, "report": report, "report_again": report_json(data_dir, db)}
    drop()


def bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def places(report: dict, message_id: str) -> list[tuple]:
    """Every place of the report where this Message-ID appears."""
    wanted = bare(message_id)
    found = []
    for posting in report["postings"]:
        for dossier in posting["dossiers"]:
            found += [("dossier", posting["id"], dossier["applicant"])
                      for mid in dossier["message_ids"] if bare(mid) == wanted]
    found += [("unmatched",) for item in report["unmatched"] if bare(item["message_id"] or "") == wanted]
    found += [("ignored", item["reason"]) for item in report["ignored"] if bare(item["message_id"] or "") == wanted]
    found += [("failed", item.get("error")) for item in report["failed"] if bare(item["message_id"] or "") == wanted]
    return found


def expected_place(expected: dict) -> tuple:
    if expected["outcome"] == "dossier":
        return ("dossier", expected["posting"], expected["applicant"])
    if expected["outcome"] == "ignored":
        return ("ignored", expected["reason"])
    return (expected["outcome"],)


def test_ingest_succeeds_without_failures(run):
    for done in (run["first"], run["second"]):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    assert run["report"]["failed"] == []


@pytest.mark.parametrize("eml", MAIL_FILES, ids=lambda p: p.stem)
def test_mail_lands_where_expected(run, eml):
    expected = tomllib.loads(eml.with_suffix(".expected.toml").read_text(encoding="utf-8"))
    assert places(run["report"], expected["message_id"]) == [expected_place(expected)]


def dossier_in(report: dict, posting_id: str, applicant: str) -> dict | None:
    for posting in report["postings"]:
        if posting["id"] == posting_id:
            for dossier in posting["dossiers"]:
                if dossier["applicant"] == applicant:
                    return dossier
    return None


@pytest.mark.parametrize("want", DOSSIERS, ids=lambda d: f"{d['posting']}/{d['applicant']}")
def test_dossier_state(run, want):
    got = dossier_in(run["report"], want["posting"], want["applicant"])
    assert got is not None, "dossier missing from the report"
    assert {k: v for k, v in got["pieces"].items() if v} == want["pieces"]
    assert sorted(got["missing"]) == sorted(want["missing"])
    assert got["status"] == want["status"]
    assert got["messages"] == want["messages"] == len(got["message_ids"])


def test_no_dossier_beyond_the_expected_ones(run):
    got = {(p["id"], d["applicant"]) for p in run["report"]["postings"] for d in p["dossiers"]}
    assert got == {(d["posting"], d["applicant"]) for d in DOSSIERS}


def test_counts_agree_with_dossiers(run):
    for posting in run["report"]["postings"]:
        statuses = [d["status"] for d in posting["dossiers"]]
        assert posting["counts"] == {s: statuses.count(s) for s in ("complete", "incomplete", "late")}


def test_second_ingest_changes_nothing(run):
    first, again = dict(run["report"]), dict(run["report_again"])
    first.pop("generated_at")
    again.pop("generated_at")
    assert again == first


def build_into(script: Path, out: Path) -> None:
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"}


def assert_built_as_committed(script: Path, committed: Path, tmp_path: Path) -> None:
    """The script builds the committed files, byte for byte. Only names go into the messages:
    pytest's diff of the bytes would take minutes."""
    build_into(script, tmp_path)
    built, kept = files_under(tmp_path), files_under(committed)
    assert sorted(built) == sorted(kept)
    stale = [name for name in built if built[name] != kept[name]]
    assert stale == [], f"run `python {script.relative_to(REPO)} {committed.relative_to(REPO)}` and commit what changed"


def test_corpus_generator_is_deterministic(tmp_path):
    assert_built_as_committed(MAILS / "build.py", MAILS, tmp_path)


def test_sample_mailbox_is_generated(tmp_path):
    assert_built_as_committed(REPO / "samples" / "build_sample_mailbox.py", REPO / "samples" / "mailbox", tmp_path)
