"""A recruiting desk for acknowledgement tests: a posting that acknowledges (deadline in 10 days),
a config pointing at a real SMTP receiver on loopback, and the intake command line."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from intake.app import open_app
from intake.cli import main
from intake.config import load_settings
from intake.models import OutboxMail

CV = ("CV_Salma.txt", b"Curriculum vitae\nExperience professionnelle\nFormation\nCompetences\n", "text/plain")
LETTER = ("Lettre_de_motivation.txt", "Madame, Monsieur,\n\nJe souhaite rejoindre votre équipe.\n".encode(),
          "text/plain")
SUBJECT = "Candidature_chargé(e) de projet_OMP"

POSTING = '''title = "Chargé(e) de projet « Dialogue »"
organisation = "Observatoire Marocain des Prisons (OMP)"
addresses = ["omdp.direction.2@gmail.com"]
subject = "{subject}"
deadline = {deadline}
timezone = "Africa/Casablanca"
acknowledge = true
{extra}
[required]
cv = 1
cover_letter = 1
{required}'''


def hours_ago(hours: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours)


class Desk:
    def __init__(self, tmp_path: Path, db_url: str, port: int, *, deadline: datetime | None = None,
                 extra: str = "", required: str = "", config: str = ""):
        self.tmp, self.db_url = tmp_path, db_url
        local = (deadline or datetime.now(timezone.utc) + timedelta(days=10)).astimezone(
            ZoneInfo("Africa/Casablanca")).replace(tzinfo=None, microsecond=0)
        self.rules = tmp_path / "rules"
        self.rules.mkdir(exist_ok=True)
        (self.rules / "omp.toml").write_text(POSTING.format(
            subject=SUBJECT, deadline=local.isoformat(), extra=extra, required=required), encoding="utf-8")
        self.config = tmp_path / "config.toml"
        self.config.write_text(f'''
[[mailboxes]]
name = "omp"
host = "127.0.0.1"
username = "omdp.direction.2@gmail.com"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "Recrutement OMP <recrutement@omp.example>"
timeout = 10

[acknowledgements]
retry_seconds = 0
{config}
''', encoding="utf-8")

    def args(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--db", self.db_url, "--rules", str(self.rules),
                "--data-dir", str(self.tmp / "data"), *args]

    def open_app(self):
        """The app a command opens (for driving the daemon's jobs directly)."""
        return open_app(load_settings(config=str(self.config), db=self.db_url, rules=str(self.rules),
                                      data_dir=str(self.tmp / "data"), env={}))

    def intake(self, *args: str) -> int:
        return main(self.args(*args))

    def ingest(self, *mails: bytes) -> int:
        folder = self.tmp / f"mails-{len(list(self.tmp.glob('mails-*'))) + 1}"
        folder.mkdir()
        for number, raw in enumerate(mails):
            (folder / f"{number:03d}.eml").write_bytes(raw)
        return self.intake("ingest", str(folder))

    def report(self) -> dict:
        out = self.tmp / "report.json"
        assert self.intake("report", "--format", "json", "--output", str(out)) == 0
        return json.loads(out.read_text(encoding="utf-8"))

    def rows(self) -> list[OutboxMail]:
        engine = create_engine(self.db_url)
        try:
            with Session(engine) as session:
                return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        finally:
            engine.dispose()
