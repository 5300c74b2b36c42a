"""PostgreSQL lets several instances share the work: two ingests at once count nothing twice."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import REPO

MAILS = sorted((REPO / "tests" / "mails").glob("*.eml"))


def dossier_summary(report: dict) -> dict:
    return {(p["id"], d["applicant"]): (d["status"], d["messages"], tuple(sorted(d["pieces"].items())))
            for p in report["postings"] for d in p["dossiers"]}


@pytest.mark.postgres
def test_two_instances_ingesting_the_same_mail_at_once_agree_with_one(tmp_path, pg_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--rules", str(REPO / "rules"), "--data-dir", str(tmp_path / "data"), "--db", pg_url]
    # Both instances start from a migrated database (the first start migrates under a lock).
    subprocess.run([*base, "report", "--format", "json"], env=env, check=True, capture_output=True)
    runs = [subprocess.Popen([*base, "ingest", *map(str, MAILS)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    assert report["failed"] == []
    listed = [m for p in report["postings"] for d in p["dossiers"] for m in d["message_ids"]]
    listed += [m["message_id"] for m in report["unmatched"] + report["ignored"]]
    distinct = {tomllib.loads(m.with_suffix(".expected.toml").read_text(encoding="utf-8"))["message_id"] for m in MAILS}
    assert len(listed) == len(set(listed)) == len(distinct)   # duplicate deliveries are one message
    expected = tomllib.loads((REPO / "tests" / "mails" / "dossiers.toml").read_text(encoding="utf-8"))["dossier"]
    assert len(dossier_summary(report)) == len(expected)
