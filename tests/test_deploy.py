"""The deployment as shipped: the systemd unit and the container image's entry point.

No container engine runs on this machine (and no image registry is reachable), so the image is
not built here: these tests check the Dockerfile, .dockerignore and compose file for what the
deployment promises, and run the image's entry point and health check, and the unit's ExecStart
line, as they are written, against a real Dovecot mailbox."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.dovecot import make_message, write_config
from tests.test_daemon import WHEN, Intake

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "docs" / "deploy"
VENV_BIN = Path(sys.executable).parent


# -- reading the files as the tools would ------------------------------------------------------

def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file: section -> [(key, value)] in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions: (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines
            if line and not line.startswith("#")]


def docker_env(instructions) -> dict[str, str]:
    env = {}
    for name, args in instructions:
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(instructions, name: str) -> list[str]:
    [args] = [args for n, args in instructions if n == name]
    return json.loads(args)


def remap(text: str, mapping: dict[str, Path]) -> str:
    for old, new in mapping.items():
        text = text.replace(old, str(new))
    return text


# -- the systemd unit ---------------------------------------------------------------------------

def test_the_systemd_unit_restarts_on_failure_and_is_hardened():
    sections = unit(DEPLOY / "intake.service")
    service = dict(sections["Service"])
    assert service["Restart"] == "on-failure" and service["User"] == "intake"
    assert service["KillSignal"] == "SIGTERM"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["UMask"] == "0077" and service["StateDirectoryMode"] == "0700"
    assert service["CapabilityBoundingSet"] == ""
    # the secrets come from an environment file, never from the unit (world-readable)
    assert service["EnvironmentFile"] == "/etc/intake/intake.env"
    assert "PASSWORD" not in (DEPLOY / "intake.service").read_text()
    assert dict(sections["Unit"])["StartLimitBurst"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path):
    copy = tmp_path / "intake.service"
    copy.write_text(remap((DEPLOY / "intake.service").read_text(),
                          {"/opt/intake/venv/bin": VENV_BIN}))
    checked = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                             text=True, timeout=60)
    problems = [line for line in checked.stderr.splitlines()
                if str(copy) in line and "User" not in line]
    assert checked.returncode == 0 and not problems, checked.stderr


@pytest.mark.dovecot
def test_the_units_exec_start_runs_the_daemon_which_stops_on_its_kill_signal(
        dovecot, imap_user, tmp_path, db_url, rules_dir):
    etc, state = tmp_path / "etc" / "intake", tmp_path / "var" / "lib" / "intake"
    shutil.copytree(rules_dir, etc / "rules")
    state.mkdir(parents=True, mode=0o700)
    box = dovecot.mailbox(imap_user)
    write_config(etc / "config.toml", [box], db_url=db_url, data_dir=tmp_path / "unused",
                 rules_dir=tmp_path / "unused", poll_interval_seconds=30)
    (etc / "intake.env").write_text(f"{box.password_env}={imap_user.password}\n")
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    mapping = {"/opt/intake/venv/bin": VENV_BIN, "/etc/intake": etc, "/var/lib/intake": state}
    service = unit(DEPLOY / "intake.service")["Service"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    for key, value in service:
        if key == "Environment":
            env.update(pair.split("=", 1) for pair in shlex.split(remap(value, mapping)))
        if key == "EnvironmentFile":
            for line in Path(remap(value, mapping)).read_text().splitlines():
                env.update([line.split("=", 1)])
    env["PYTHONPATH"] = str(REPO)
    command = shlex.split(remap(dict(service)["ExecStart"], mapping))

    daemon = Intake.command(command, env, cwd=remap(dict(service)["WorkingDirectory"], mapping))
    daemon.wait_for("1 new, 0 already known")
    daemon.process.send_signal(getattr(signal, dict(service)["KillSignal"]))
    daemon.process.wait(timeout=int(dict(service)["TimeoutStopSec"]))

    assert daemon.process.returncode == 0, daemon.log[-2000:]
    assert "stopped cleanly" in daemon.log
    assert (state / "raw").is_dir() or any(state.iterdir())   # the data went to the state folder
    assert not (tmp_path / "unused").exists()


# -- the container ------------------------------------------------------------------------------

def test_the_image_is_pinned_runs_as_a_user_keeps_data_in_a_volume_and_has_a_health_check():
    instructions = dockerfile(REPO / "Dockerfile")
    [base] = [args for name, args in instructions if name == "FROM"]
    assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?", base), base
    [user] = [args for name, args in instructions if name == "USER"]
    assert user not in ("root", "0") and not user.startswith("0:")
    assert json.loads([args for name, args in instructions if name == "VOLUME"][0]) == ["/data"]
    assert docker_env(instructions)["INTAKE_DATA_DIR"] == "/data"
    health = [args for name, args in instructions if name == "HEALTHCHECK"]
    assert health and json.loads(health[0].split(" CMD ", 1)[1]) == ["intake", "status"]
    copied = [source for name, args in instructions if name == "COPY"
              for source in args.split()[:-1]]   # every source; the last word is the target
    assert not {"rules", "config.toml", "data", "."} & set(copied), "mounted, never baked in"


def test_the_build_context_holds_only_what_the_image_is_built_from():
    ignore = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*", "everything is left out, then the build's own files let in"
    let_in = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {source.rstrip("/") for name, args in dockerfile(REPO / "Dockerfile")
              if name == "COPY" for source in args.split()[:-1]}
    assert let_in == {"pyproject.toml", "README.md", "intake", "migrations"}
    assert copied <= let_in
    assert not let_in & {"data", ".venv", "tests", "rules", "config.toml", ".git"}


def test_the_compose_file_runs_intake_on_postgresql_with_config_and_rules_mounted():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    intake, postgres = services["intake"], services["postgres"]
    assert (DEPLOY / intake["build"] / "Dockerfile").resolve() == REPO / "Dockerfile"
    assert intake["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert postgres["healthcheck"]["test"]
    assert re.search(r":\d+\.\d+", postgres["image"]) and "latest" not in postgres["image"]
    url = intake["environment"]["INTAKE_DB_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    volumes = intake["volumes"]
    assert any(v.endswith(":/data") for v in volumes)
    assert "./config.toml:/etc/intake/config.toml:ro" in volumes
    assert "./rules:/etc/intake/rules:ro" in volumes
    assert (DEPLOY / (intake["env_file"] + ".example")).is_file()


@pytest.mark.dovecot
def test_the_images_entry_point_runs_the_daemon_and_its_health_check_answers(
        dovecot, imap_user, tmp_path, db_url, rules_dir):
    instructions = dockerfile(REPO / "Dockerfile")
    root = tmp_path / "container"
    mapping = {"/etc/intake": root / "etc" / "intake", "/data": root / "data"}
    shutil.copytree(rules_dir, root / "etc" / "intake" / "rules")
    (root / "data").mkdir(mode=0o700)
    box = dovecot.mailbox(imap_user)
    write_config(root / "etc" / "intake" / "config.toml", [box], db_url=db_url,
                 data_dir=tmp_path / "unused", rules_dir=tmp_path / "unused",
                 poll_interval_seconds=30)
    dovecot.append(imap_user, "INBOX", make_message(1), WHEN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({k: remap(v, mapping) for k, v in docker_env(instructions).items()})
    env.update({"PATH": f"{VENV_BIN}{os.pathsep}{env['PATH']}", "PYTHONPATH": str(REPO),
                box.password_env: imap_user.password})
    command = exec_form(instructions, "ENTRYPOINT") + exec_form(instructions, "CMD")
    health = json.loads([args for name, args in instructions
                         if name == "HEALTHCHECK"][0].split(" CMD ", 1)[1])

    daemon = Intake.command(command, env, cwd=root)
    try:
        daemon.wait_for("1 new, 0 already known")
        checked = subprocess.run(health, env=env, cwd=root, capture_output=True, text=True,
                                 timeout=60)
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=60)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert daemon.process.returncode == 0, daemon.log[-2000:]
    assert any((root / "data").iterdir())
    assert not (tmp_path / "unused").exists()
