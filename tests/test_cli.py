"""The command line a user types: every mistake gets one clear line and exit code 2, no traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from intake.config import load_settings
from tests.conftest import REPO

SAMPLE = REPO / "samples" / "mailbox"


def run(*args, cwd=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "intake", *args], cwd=cwd, env=env, capture_output=True, text=True)


def no_traceback(done):
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("command", [["rules", "check"], ["ingest"], ["poll", "--once"], ["run"], ["report"], ["reprocess"]])
def test_every_command_of_the_interface_has_help(command):
    done = run(*command, "--help")
    assert done.returncode == 0 and "usage: intake" in done.stdout


def test_global_options_work_before_or_after_the_command(tmp_path):
    before = run("--rules", str(REPO / "rules"), "rules", "check")
    after = run("rules", "check", "--rules", str(REPO / "rules"))
    assert before.returncode == after.returncode == 0


def test_the_main_job_works_without_any_config_file(tmp_path):
    done = run("--rules", str(REPO / "rules"), "ingest", str(SAMPLE), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "intake.db").exists()
    report = run("--rules", str(REPO / "rules"), "report", cwd=tmp_path)
    assert report.returncode == 0 and "Dossiers" in report.stdout


@pytest.mark.parametrize("args, says", [
    (["--config", "nope.toml", "report"], "nope.toml: config file not found"),
    (["ingest"], "ingest needs at least one PATH"),
    (["poll"], "use `intake poll --once`"),
    (["--db", "nosuchdb://x", "report"], "database URL 'nosuchdb://x' is not usable"),
    (["report", "--posting", "nope"], "no posting 'nope' in the rules; known postings:"),
    (["report", "--format", "xlsx"], "the xlsx format is a file: give --output FILE.xlsx"),
    (["reprocess", "--posting", "nope"], "no posting 'nope' in the rules"),
])
def test_a_usage_mistake_is_one_clear_line_and_exit_2(tmp_path, args, says):
    done = run("--rules", str(REPO / "rules"), "--data-dir", str(tmp_path / "data"), *args, cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr


def test_a_config_file_with_a_misspelt_key(tmp_path):
    (tmp_path / "config.toml").write_text('[schedule]\npoll_intervall_seconds = 60\n', encoding="utf-8")
    done = run("report", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert "config.toml: unknown key 'schedule.poll_intervall_seconds'" in done.stderr


def test_a_config_file_that_is_not_toml(tmp_path):
    (tmp_path / "config.toml").write_text('[database\nurl = 1\n', encoding="utf-8")
    done = run("report", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2 and "config.toml: not valid TOML" in done.stderr


def test_an_invalid_rules_file_is_named_and_disables_its_posting_only(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.toml").write_text('title = "x"\ndeadlin = 2026-01-01\n', encoding="utf-8")
    done = run("--rules", str(rules), "--data-dir", str(tmp_path / "data"), "ingest", str(SAMPLE))
    no_traceback(done)
    assert done.returncode == 1   # the mail is taken in and sorted; a person must fix the file
    assert "x.toml:2: unknown key 'deadlin'" in done.stderr
    assert "its posting is disabled until it is fixed" in done.stderr


def test_a_path_that_does_not_exist_is_refused_by_name_and_exit_1(tmp_path):
    done = run("--rules", str(REPO / "rules"), "--data-dir", str(tmp_path / "data"), "ingest", str(tmp_path / "missing.eml"))
    no_traceback(done)
    assert done.returncode == 1
    assert f"{tmp_path / 'missing.eml'}: refused: no such file or folder" in done.stderr


def test_a_file_that_is_not_mail_is_refused_by_name(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("Hello, this is just a note.\n")
    done = run("--rules", str(REPO / "rules"), "--data-dir", str(tmp_path / "data"), "ingest", str(junk))
    assert done.returncode == 1
    assert f"{junk}: refused: no mail header at the top" in done.stderr


def test_precedence_flag_over_environment_over_file_over_default(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndata_dir = "from-file"\nrules_dir = "rules-from-file"\n', encoding="utf-8")
    from_file = load_settings(config=str(config), env={})
    assert from_file.data_dir == (tmp_path / "from-file").resolve()
    from_env = load_settings(config=str(config), env={"INTAKE_DATA_DIR": str(tmp_path / "env")})
    assert from_env.data_dir == (tmp_path / "env").resolve()
    from_flag = load_settings(config=str(config), data_dir=str(tmp_path / "flag"), env={"INTAKE_DATA_DIR": "x"})
    assert from_flag.data_dir == (tmp_path / "flag").resolve()
    assert from_flag.db_url == f"sqlite:///{(tmp_path / 'flag').resolve() / 'intake.db'}"
    default = load_settings(env={})
    assert default.rules_dir.name == "rules" and default.data_dir.name == "data"


def test_reprocess_after_a_rules_edit_reroutes_stored_mail(tmp_path):
    """An admin fixes a subject line; `intake reprocess` sorts the mail already received."""
    import json
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    posting = rules / "omp-dialogue-detenus-2026.toml"
    source = posting.read_text(encoding="utf-8")
    posting.write_text(source.replace('subject = "Candidature_chargé(e) de projet_OMP"', 'subject = "Autre chose"'), encoding="utf-8")
    base = ["--rules", str(rules), "--data-dir", str(tmp_path / "data")]
    assert run(*base, "ingest", str(SAMPLE)).returncode == 0

    def dossiers():
        report = json.loads(run(*base, "report", "--posting", "omp-dialogue-detenus-2026", "--format", "json").stdout)
        return report["postings"][0]["dossiers"], report["unmatched"]

    before, unmatched_before = dossiers()
    assert before == [] and len(unmatched_before) == 7
    posting.write_text(source, encoding="utf-8")
    done = run(*base, "reprocess")
    assert done.returncode == 0, done.stderr
    after, unmatched_after = dossiers()
    assert len(after) == 6 and unmatched_after == []


def test_the_program_does_its_work_with_the_collector_on_and_its_modules_set_aside():
    """The program imports its modules without the garbage collector (its passes over them
    were an eighth of the start-up), then freezes them and collects again: a command, the
    daemon above all, never runs with the collector off."""
    probe = ("import gc, sys\n"
             "from intake import cli, commands\n"
             "def status(args):\n"
             "    print(gc.isenabled(), gc.get_freeze_count() > 10000, flush=True)\n"
             "    return 0\n"
             "commands.status = status\n"
             "sys.argv = ['intake', 'status']\n"
             "cli.run()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                          env={k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")})
    assert (done.returncode, done.stdout) == (0, "True True\n"), done.stderr
