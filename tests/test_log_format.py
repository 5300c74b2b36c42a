"""Logs a server wants: --log-format json / [logging] format, one JSON object per line with
stable keys; journald-friendly plain lines under systemd; log text in English."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.cli import Intake
from tests.support.dovecot import make_message, write_config

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "mailbox"
FRENCH = re.compile(r"[àâçéèêëîïôûùüœ]|\b(?:objet|offre|candidature|aucune?)\b", re.I)


def json_lines(stderr: str) -> list[dict]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing logged"
    return [json.loads(line) for line in lines]   # every line is one JSON object


def test_json_logs_of_an_ingest_have_stable_keys_and_english_text(tmp_path, db_url):
    intake = Intake(tmp_path / "data", db_url)
    done = intake("--log-format", "json", "--log-level", "info", "ingest", str(SAMPLES))
    assert done.returncode == 0, done.stderr
    records = json_lines(done.stderr)
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
        assert datetime.fromisoformat(record["time"]).tzinfo is not None
        assert record["level"] in ("debug", "info", "warning", "error", "critical")
    outcomes = [r for r in records if "outcome" in r]
    assert {r["outcome"] for r in outcomes} == {"dossier", "ignored"}
    for r in outcomes:
        assert r["message_id"].startswith("<") and isinstance(r["duration"], float)
        assert ("posting" in r) == (r["outcome"] == "dossier")
    ours = [r["message"] for r in records if r["logger"].startswith("intake")]
    assert not [m for m in ours if FRENCH.search(m)], "French in the log"


def test_unmatched_reasons_stay_out_of_the_log(tmp_path, db_url):
    """The reason an unmatched message is given is the recruiters' French: the report says it."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.toml").write_text('title = "P"\naddresses = ["jobs@example.org"]\n'
                                  'subject = "Candidature juriste"\n', encoding="utf-8")
    (tmp_path / "1.eml").write_bytes(make_message(1, subject="Bonjour"))
    done = Intake(tmp_path / "data", db_url, rules)("--log-format", "json", "--log-level", "info",
                                                    "ingest", str(tmp_path / "1.eml"))
    assert done.returncode == 0, done.stderr
    [line] = [r for r in json_lines(done.stderr) if r.get("outcome")]
    assert line["outcome"] == "unmatched" and "posting" not in line
    assert not FRENCH.search(line["message"]), line


def test_the_config_file_chooses_json_and_the_flag_wins(tmp_path, db_url):
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nformat = "json"\n', encoding="utf-8")
    intake = Intake(tmp_path / "data", db_url)
    from_file = intake("--config", config, "--log-level", "info", "ingest", str(SAMPLES))
    assert from_file.returncode == 0, from_file.stderr
    assert json_lines(from_file.stderr)
    again = Intake(tmp_path / "data2", f"sqlite:///{tmp_path / 'second.db'}")
    flag = again("--config", config, "--log-format", "text", "--log-level", "info", "ingest",
                 str(SAMPLES))
    lines = flag.stderr.splitlines()
    assert lines and not any(line.startswith("{") for line in lines)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ", lines[0]), lines[0]

    config.write_text('[logging]\nformat = "xml"\n', encoding="utf-8")
    wrong = intake("--config", config, "report")
    assert wrong.returncode == 2 and "logging.format" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_under_systemd_plain_lines_carry_the_journal_priority_and_no_time(tmp_path, db_url):
    intake = Intake(tmp_path / "data", db_url, env={"JOURNAL_STREAM": "8:12345"})
    done = intake("--log-level", "info", "ingest", str(SAMPLES))
    lines = done.stderr.splitlines()
    assert lines and all(re.match(r"<[2-7]>(DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
                         for line in lines), lines[:5]
    assert any(line.startswith("<6>INFO message ") for line in lines)


@pytest.mark.dovecot
def test_json_poll_lines_name_the_mailbox_and_the_duration(dovecot, imap_user, tmp_path, db_url):
    box = dovecot.mailbox(imap_user)
    dovecot.append(imap_user, "INBOX", make_message(1),
                   datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc))
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url,
                          data_dir=tmp_path / "data", rules_dir=REPO / "rules")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({"PYTHONPATH": str(REPO), box.password_env: imap_user.password})
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "--log-format",
                           "json", "poll", "--once"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    records = json_lines(done.stderr)
    [folder] = [r for r in records if "folder 'INBOX'" in r["message"]]
    assert folder["mailbox"] == box.name and folder["outcome"] == "ok"
    assert folder["duration"] >= 0
