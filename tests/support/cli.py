"""Run the real `intake` command in a child process, on one data folder and database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Intake:
    """`intake` with --rules, --data-dir and --db fixed; the environment without INTAKE_*."""

    def __init__(self, data_dir: Path, db_url: str, rules_dir: Path = REPO / "rules",
                 env: dict[str, str] | None = None):
        self.data_dir, self.db_url = Path(data_dir), db_url
        self.base = [sys.executable, "-m", "intake", "--rules", str(rules_dir),
                     "--data-dir", str(data_dir), "--db", db_url]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        self.env["PYTHONPATH"] = str(REPO)
        self.env.update(env or {})

    def command(self, *args: str) -> list[str]:
        return [*self.base, *map(str, args)]

    def __call__(self, *args, **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.command(*args), env=self.env, cwd=REPO, **kwargs)

    def start(self, *args, **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.command(*args), env=self.env, cwd=REPO, **kwargs)

    def report(self) -> dict:
        done = self("report", "--format", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def places(report: dict) -> dict[str, list[str]]:
    """Message-ID -> every place the report shows it: "dossier:<posting>", "unmatched",
    "ignored", "failed". A message must be in exactly one."""
    where: dict[str, list[str]] = {}
    for posting in report["postings"]:
        for dossier in posting["dossiers"]:
            for mid in dossier["message_ids"]:
                where.setdefault(mid, []).append(f"dossier:{posting['id']}")
    for name in ("unmatched", "ignored", "failed"):
        for item in report[name]:
            where.setdefault(item["message_id"], []).append(name)
    return where
