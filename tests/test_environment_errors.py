"""What the machine gets wrong ends in one line that names the file, key or folder and what to
do: exit 2 for configuration, 1 for a full disk; never a traceback, and nothing taken in is
lost. intake keeps its data folder and database private (0700/0600) from the start."""
from __future__ import annotations

import os
import signal
import resource
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.cli import Intake, places
from tests.support.maildata import make_mail

IS_ROOT = os.geteuid() == 0


def run(*args, cwd=None, env=None, **kwargs) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "intake", *map(str, args)], cwd=cwd or REPO,
                          env=environment, capture_output=True, text=True, **kwargs)


def one_line(done: subprocess.CompletedProcess, code: int, *says: str) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("intake: error:")]
    assert len(lines) == 1, done.stderr
    for text in says:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_config_path_that_is_a_folder(tmp_path):
    done = run("--config", tmp_path, "report")
    one_line(done, 2, f"{tmp_path}: is a folder, not a config file", "--config")


def test_a_database_url_whose_driver_is_not_installed(tmp_path):
    done = run("--db", "mysql://intake:s3cret@db.example.org/intake", "--data-dir", tmp_path / "data",
               "--rules", REPO / "rules", "report")
    line = one_line(done, 2, "needs the Python package 'MySQLdb'", "postgresql+psycopg://")
    assert "s3cret" not in done.stderr and "mysql://intake:***@db.example.org/intake" in line


def test_report_output_into_a_missing_folder_is_refused_before_any_work(tmp_path):
    data = tmp_path / "data"
    done = run("--data-dir", data, "--rules", REPO / "rules", "report", "--format", "html",
               "--output", tmp_path / "nope" / "rapport.html")
    one_line(done, 2, f"the folder {tmp_path / 'nope'} does not exist")
    assert not data.exists()


@contextmanager
def tmpfs(where: Path, options: str):
    """A small file system of its own, mounted for the test (root only)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def read_only_folder(tmp_path):
    """A data folder this process cannot write in: a read-only file system as root (root
    writes anywhere else), a 0500 folder otherwise."""
    if IS_ROOT:
        with tmpfs(tmp_path / "ro", "ro,size=1m,mode=0700") as folder:
            yield folder
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        yield folder
        folder.chmod(0o700)


def test_an_unwritable_data_folder(tmp_path, read_only_folder):
    mail = tmp_path / "a.eml"
    mail.write_bytes(make_mail())
    done = run("--data-dir", read_only_folder, "--db", f"sqlite:///{tmp_path / 'x.db'}",
               "--rules", REPO / "rules", "ingest", mail)
    one_line(done, 2, f"the data folder {read_only_folder} is not writable", "--data-dir")


def mails(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for n in range(count):
        path = folder / f"{n:03}.eml"
        path.write_bytes(make_mail(message_id=f"<m{n}@example.ma>", sender=f"a{n} <a{n}@example.ma>",
                                   attachments=[(f"CV {n}.txt", os.urandom(24_000).hex().encode(), "text/plain")]))
        paths.append(path)
    return paths


@pytest.mark.skipif(not IS_ROOT, reason="mounting a small file system needs root")
def test_a_full_disk_stops_with_one_line_and_loses_nothing(tmp_path):
    paths = mails(tmp_path / "in", 40)            # about 2 MB of mail for a 1 MB disk
    with tmpfs(tmp_path / "small", "size=1m") as disk:
        intake = Intake(disk / "data", f"sqlite:///{disk / 'data' / 'intake.db'}")
        done = intake("ingest", *paths)
        one_line(done, 1, "the disk is full", "free some space")
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = intake("ingest", *paths)
        assert again.returncode == 0, again.stderr
        where = places(intake.report())
    assert sorted(where) == sorted(f"<m{n}@example.ma>" for n in range(40))
    assert all(len(p) == 1 for p in where.values()), where


def test_a_file_too_large_for_the_process_limit_is_a_full_disk_too(tmp_path):
    """Without root: RLIMIT_FSIZE makes every write past 1 MB fail like a full disk."""
    paths = mails(tmp_path / "in", 40)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))

    intake = Intake(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'intake.db'}")
    done = intake("ingest", *paths[:1])
    assert done.returncode == 0, done.stderr
    big = tmp_path / "big.eml"
    big.write_bytes(make_mail(message_id="<big@example.ma>",
                              attachments=[("CV.txt", os.urandom(800_000).hex().encode(), "text/plain")]))
    full = intake("ingest", big, preexec_fn=limit)
    one_line(full, 1, "the disk is full")
    assert intake("ingest", big, *paths).returncode == 0
    where = places(intake.report())
    assert len(where) == 41 and all(len(p) == 1 for p in where.values())


def test_an_unset_password_variable_is_a_configuration_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[mailboxes]]\nname = "recrutement"\nhost = "127.0.0.1"\nport = 1\n'
                      'security = "none"\nusername = "r"\npassword_env = "INTAKE_TEST_UNSET_PW"\n')
    for command in (["poll", "--once"], ["run"]):
        done = run("--config", config, "--data-dir", tmp_path / "data", "--rules", REPO / "rules",
                   *command, timeout=60)
        one_line(done, 2, "mailbox 'recrutement'", "INTAKE_TEST_UNSET_PW is not set")


def test_smtp_without_tls_is_refused_to_a_host_that_is_not_loopback(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[smtp]\nhost = "mail.example.org"\nport = 25\nsecurity = "none"\n'
                      'sender = "intake@example.org"\n[report]\nrecipients = ["rh@example.org"]\n')
    done = run("--config", config, "--data-dir", tmp_path / "data", "--rules", REPO / "rules",
               "report", "--send")
    one_line(done, 2, "[smtp] security = \"none\"", "only allowed to a loopback host",
             "'mail.example.org'")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_loose_data_folder_and_database_are_made_private_at_start(tmp_path):
    data = tmp_path / "data"
    intake = Intake(data, f"sqlite:///{data / 'intake.db'}")
    assert intake("report").returncode == 0
    data.chmod(0o755)
    (data / "intake.db").chmod(0o644)
    elsewhere = tmp_path / "db"
    elsewhere.mkdir()
    assert Intake(data, f"sqlite:///{elsewhere / 'other.db'}")("report").returncode == 0
    (elsewhere / "other.db").chmod(0o664)

    assert intake("report").returncode == 0
    assert Intake(data, f"sqlite:///{elsewhere / 'other.db'}")("report").returncode == 0
    assert mode(data) == 0o700 and mode(data / "intake.db") == 0o600
    assert mode(elsewhere / "other.db") == 0o600


def test_a_loose_data_folder_intake_cannot_tighten_is_refused(tmp_path):
    """The data folder is open to all (0777) and its mode cannot be changed (immutable, as
    a folder of another owner would be): intake refuses to use it, and says what to do."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)
    if subprocess.run(["chattr", "+i", str(data)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a folder immutable here (chattr +i needs root and ext4 or tmpfs)")
    try:
        done = run("--data-dir", data, "--db", f"sqlite:///{tmp_path / 'x.db'}", "--rules",
                   REPO / "rules", "report")
    finally:
        subprocess.run(["chattr", "-i", str(data)], check=True)
    one_line(done, 2, f"the data folder {data} is open to other users (mode 777)",
             f"chmod 700 {data}")
