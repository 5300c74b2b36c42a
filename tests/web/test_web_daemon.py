"""`intake run` serves the web view too when [web] listen is set, and stops it with itself."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.support.dovecot import dovecot, imap_user  # noqa: F401
from tests.support.smtp import free_port
from tests.support.webdata import SECRET, SECRET_ENV
from tests.test_daemon import REPO, Intake, daemon_setup  # noqa: F401


def with_web(config, port: int) -> None:
    config.write_text(config.read_text() + f"""
[report]
recipients = ["direction@omp.example"]

[web]
listen = "127.0.0.1:{port}"
secret_env = "{SECRET_ENV}"
""")


@pytest.mark.dovecot
def test_intake_run_serves_the_web_view_and_stops_it_on_sigterm(daemon_setup):  # noqa: F811
    config, env, _ = daemon_setup
    port = free_port()
    with_web(config, port)
    daemon = Intake(config, {**env, SECRET_ENV: SECRET}, "run")
    daemon.wait_for("web view listening on 127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/connexion").status_code == 200
    assert httpx.get(f"{base}/").status_code == 401
    link = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "web", "link",
                           "direction@omp.example"], cwd=REPO, env={**env, SECRET_ENV: SECRET},
                          capture_output=True, text=True, timeout=60).stdout.strip()
    with httpx.Client(follow_redirects=True) as browser:
        assert browser.get(link).status_code == 200 and "Vos offres" in browser.get(base).text
    daemon.process.send_signal(signal.SIGTERM)
    daemon.process.wait(timeout=60)
    assert daemon.process.returncode == 0 and "stopped cleanly" in daemon.log
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_intake_run_with_a_web_view_refuses_to_start_without_its_secret(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("""
[[mailboxes]]
name = "m"
host = "127.0.0.1"
username = "u@example.org"
password_env = "X"
""")
    with_web(config, free_port())
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config),
                           "--data-dir", str(tmp_path / "data"), "run"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and SECRET_ENV in done.stderr


@pytest.mark.parametrize("line, named", [
    ('listen = "8025"', "web.listen"), ('base_url = "intake.example.org"', "web.base_url"),
    ("link_hours = 0", "web.link_hours"), ('lisen = "x"', "unknown key 'web.lisen'")])
def test_a_wrong_web_key_is_one_line_naming_it(tmp_path, line, named):
    config = tmp_path / "config.toml"
    config.write_text(f"[web]\n{line}\n")
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "serve"],
                          cwd=REPO, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert named in done.stderr
