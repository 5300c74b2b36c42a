"""Mail built to hurt is taken in within bounded time and memory, and lands somewhere visible.

Each run is a real `intake ingest` in a child process with a hard memory limit (1.5 GB address
space) and CPU limit (5 minutes): unbounded work would be killed and the test would fail.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.text import MIMEText

import pytest

from tests.conftest import REPO
from tests.extract.test_extract_budget import nested_zeros, tnef_declaring_endless_properties

APPLICANT = "Salma Bennani <salma.bennani@example.ma>"
HEADERS = {"From": APPLICANT, "To": "omdp.direction.2@gmail.com",
           "Subject": "Candidature_chargé(e) de projet_OMP", "Date": "Tue, 28 Apr 2026 10:00:00 +0100"}


def _head(msg, mid):
    for name, value in HEADERS.items():
        msg[name] = value
    msg["Message-ID"] = f"<{mid}@example.ma>"
    return msg


def five_thousand_parts() -> bytes:
    outer = _head(MIMEMultipart("mixed"), "parts")
    outer.attach(MIMEText("Bonjour, voici mon dossier.", "plain", "utf-8"))
    for n in range(5000):
        part = MIMEText(f"piece {n}", "plain", "utf-8")
        part.add_header("Content-Disposition", "attachment", filename=f"annexe-{n}.txt")
        outer.attach(part)
    return outer.as_bytes()


def megabyte_header() -> bytes:
    msg = _head(EmailMessage(), "header")
    msg["X-Padding"] = " ".join(["x" * 70] * 15000)   # about 1 MB, folded
    msg.set_content("Bonjour, voici ma candidature.")
    return msg.as_bytes()


def sixty_nested() -> bytes:
    inner = _head(EmailMessage(), "level-0")
    inner.set_content("le message le plus profond")
    for level in range(1, 61):
        outer = _head(MIMEMultipart("mixed"), f"level-{level}")
        outer.attach(MIMEText(f"niveau {level}", "plain", "utf-8"))
        outer.attach(MIMEMessage(inner))
        inner = outer
    return inner.as_bytes()


def with_attachment(mid: str, filename: str, data: bytes, subtype: str) -> bytes:
    outer = _head(MIMEMultipart("mixed"), mid)
    outer.attach(MIMEText("Bonjour, voici mon dossier.", "plain", "utf-8"))
    part = MIMEApplication(data, subtype)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    outer.attach(part)
    return outer.as_bytes()


def nested_zips() -> bytes:
    """A 43 KB mail: zips of zips of zeros, each harmless alone, 1.4 GB unpacked in all."""
    return with_attachment("zips", "dossier.zip", nested_zeros(12, 12), "zip")


def endless_winmail() -> bytes:
    """21 bytes of winmail.dat declaring 4 billion MAPI properties (one log line each, once)."""
    return with_attachment("tnef", "winmail.dat", tnef_declaring_endless_properties(), "ms-tnef")


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
    resource.setrlimit(resource.RLIMIT_CPU, (300, 300))


REVIEW = {
    "nested-zips": ("dossier.zip", "archive trop volumineuse : plus de 100 Mo"),
    "endless-winmail": ("winmail.dat", "archive illisible ou corrompue"),
}


@pytest.mark.parametrize("name, build", [("5000-parts", five_thousand_parts), ("1mb-header", megabyte_header),
                                         ("60-nested", sixty_nested), ("nested-zips", nested_zips),
                                         ("endless-winmail", endless_winmail)])
def test_hostile_mail_is_taken_in_within_bounds(tmp_path, db_url, name, build):
    mail = tmp_path / f"{name}.eml"
    mail.write_bytes(build())
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    base = [sys.executable, "-m", "intake", "--data-dir", str(tmp_path / "data"), "--rules", str(REPO / "rules"), "--db", db_url]
    done = subprocess.run([*base, "ingest", str(mail)], env=env, capture_output=True, text=True, preexec_fn=limited, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stderr.splitlines()) < 20, done.stderr[-2000:]   # no library floods the log
    report = json.loads(subprocess.run([*base, "report", "--format", "json"], env=env, capture_output=True,
                                       text=True, check=True).stdout)
    dossiers = [d for p in report["postings"] for d in p["dossiers"]]
    assert [d["applicant"] for d in dossiers] == ["salma.bennani@example.ma"]
    if name == "5000-parts":
        reasons = [r["reason"] for r in dossiers[0]["needs_review"]]
        assert any("seules les 40 premières ont été lues" in r for r in reasons)
    if name in REVIEW:
        file, reason = REVIEW[name]
        assert any(r["file"] == file and r["reason"].startswith(reason) for r in dossiers[0]["needs_review"]), \
            dossiers[0]["needs_review"]
