"""A recruiting office as the web view and the per-person reports meet it: the repository's
rules with recipients per posting, a config file pointing at a real SMTP receiver, the mail
corpus ingested by the real `intake ingest`, and a mail's parts decoded to text."""
from __future__ import annotations

import csv
import io
import shutil
from email.message import EmailMessage
from pathlib import Path

import openpyxl

from intake.cli import main

REPO = Path(__file__).resolve().parents[2]
MAILS = REPO / "tests" / "mails"
SECRET_ENV = "INTAKE_TEST_WEB_SECRET"
SECRET = "test-secret-0123456789-abcdefghijklmnop"
DIRECTION = "direction@omp.example"      # [report] recipients: every posting
ECPM = "ecpm"
DIALOGUE = "dialogue"
POSTING_IDS = {ECPM: "omp-ecpm-peine-de-mort-2021", DIALOGUE: "omp-dialogue-detenus-2026"}


def rules_with_recipients(folder: Path, recipients: dict[str, list[str]]) -> Path:
    """A copy of rules/ where each posting id of `recipients` names its own recipients."""
    rules = folder / "rules"
    shutil.copytree(REPO / "rules", rules)
    for posting_id, addresses in recipients.items():
        path = rules / f"{posting_id}.toml"
        listed = ", ".join(f'"{a}"' for a in addresses)
        path.write_text(f"recipients = [{listed}]\n" + path.read_text(encoding="utf-8"),
                        encoding="utf-8")
    return rules


def write_config(folder: Path, smtp_port: int, *, recipients=(DIRECTION,),
                 base_url: str | None = None, listen: str | None = None,
                 link_hours: int = 72) -> Path:
    web = [f'secret_env = "{SECRET_ENV}"', f"link_hours = {link_hours}"]
    if base_url:
        web.append(f'base_url = "{base_url}"')
    if listen:
        web.append(f'listen = "{listen}"')
    config = folder / "config.toml"
    listed = ", ".join(f'"{a}"' for a in recipients)
    config.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "Recrutement OMP <recrutement@omp.example>"
timeout = 10

[report]
recipients = [{listed}]

[web]
{chr(10).join(web)}
""", encoding="utf-8")
    return config


class Office:
    """The paths every `intake` command of a test is given."""

    def __init__(self, config: Path, db_url: str, rules: Path, data_dir: Path):
        self.config, self.db_url, self.rules, self.data_dir = config, db_url, rules, data_dir

    def args(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--db", self.db_url, "--rules", str(self.rules),
                "--data-dir", str(self.data_dir), *args]

    def intake(self, *args: str) -> int:
        return main(self.args(*args))

    def ingest(self, *names: str) -> None:
        files = [str(MAILS / n) for n in names] if names else [str(p) for p in
                                                               sorted(MAILS.glob("*.eml"))]
        assert self.intake("ingest", *files) in (0, 1)


def decoded_parts(msg: EmailMessage) -> dict[str, str]:
    """Every part of a report mail as text: the text and HTML bodies, the CSV, and every cell
    of every sheet of the XLSX."""
    out = {"text": msg.get_body(("plain",)).get_content(),
           "html": msg.get_body(("html",)).get_content()}
    for part in msg.iter_attachments():
        name, data = part.get_filename(), part.get_payload(decode=True)
        if name.endswith(".csv"):
            rows = csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
            out[name] = "\n".join(";".join(row) for row in rows)
        elif name.endswith(".xlsx"):
            book = openpyxl.load_workbook(io.BytesIO(data))
            out[name] = "\n".join(
                f"{sheet.title}\t" + "\t".join("" if v is None else str(v).replace("\n", " / ")
                                                for v in row)
                for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
        else:
            out[name] = data.decode("utf-8", "replace")
    return out
