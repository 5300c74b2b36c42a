"""Nothing is lost: a message that fails is kept, listed as failed with its error, and retried."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SAMPLE = REPO / "samples" / "mailbox"


def test_a_failed_message_is_listed_then_recovered_by_reprocess_failed(tmp_path, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    data = tmp_path / "data"
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir", str(data), "--db", db_url]

    def intake(*args):
        return subprocess.run([*base, *args], env=env, capture_output=True, text=True)

    def report():
        return json.loads(intake("report", "--format", "json").stdout)

    assert intake("ingest", str(SAMPLE)).returncode == 0
    before = report()
    dossier = next(d for p in before["postings"] for d in p["dossiers"])
    victim = next(data.glob("messages/*/*.eml"))
    saved = victim.read_bytes()
    victim.unlink()                               # the disk lost one stored message

    done = intake("reprocess")
    assert done.returncode == 1                   # the command ran and found a problem
    failed = report()["failed"]
    assert len(failed) == 1 and failed[0]["attempts"] == 1
    assert "FileNotFoundError" in failed[0]["error"] and failed[0]["stored_as"] in str(victim)

    victim.write_bytes(saved)                     # restored from a backup
    assert intake("reprocess", "--failed").returncode == 0
    after = report()
    assert after["failed"] == []
    assert json.dumps(after["postings"]) .count('"applicant"') == json.dumps(before["postings"]).count('"applicant"')
    assert dossier["applicant"] in json.dumps(after["postings"])
