"""What a sender writes cannot act on whoever reads intake's output, and never reaches the log.

A display name, subject, Message-ID or file name may hold terminal escape sequences (ESC [2J
clears the screen, ESC ]0; retitles the window), other control characters, or bidirectional
overrides (U+202E turns "fdp.exe" into "exe.pdf" on screen). Every output built from a mail
(reports in every format, log lines, the command line's own lines) neutralises them; and
`--log-level debug` writes no message body and no attachment, whatever a library would log.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import subprocess
import sys
from email.header import Header
from email.message import EmailMessage

import pytest

from intake import logs
from intake.safetext import printable
from tests.support.cli import REPO, Intake
from tests.support.documents import pdf_bytes

ESCAPES = ("\x1b", "\x9b", "\x07", "\x00")
BIDI = tuple(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
BODY_MARKER = "MOTDEPASSE-DU-CORPS-7731"
PDF_MARKER = "Contenu confidentiel du CV 9182"


def assert_clean(text: str, where: str) -> None:
    for ch in ESCAPES + BIDI:
        assert ch not in text, f"{where}: {ch!r} reached the output"
    assert "\\u001b" not in text.lower() and "\\x1b" not in text, f"{where}: an escaped ESC reached the output"


def with_headers(headers: list[str], msg: EmailMessage) -> bytes:
    """Raw header lines (as a hostile sender writes them, raw control bytes included) above
    the MIME body built by the email package."""
    return "".join(f"{h}\n" for h in headers).encode("utf-8") + msg.as_bytes()


def encoded(text: str) -> str:
    return Header(text, "utf-8").encode(maxlinelen=900)


def hostile_mail() -> tuple[bytes, bytes]:
    """An application whose name, subject, Message-ID and file name carry escape sequences and
    bidi overrides; its body and its PDF hold markers that must never reach a log. Returns the
    raw mail and the PDF."""
    pdf = pdf_bytes(["Curriculum vitae", PDF_MARKER, "Expérience professionnelle", "Formation"])
    msg = EmailMessage()
    msg.set_content(f"Bonjour,\n\n{BODY_MARKER}\n")
    msg.add_attachment(pdf, maintype="application", subtype="pdf",
                       filename="CV \x1b[2J\u202efdp.exe.pdf")
    return with_headers([
        f"From: {encoded(chr(27) + '[2J' + chr(27) + ']0;pwned' + chr(7) + 'Salma ' + chr(0x202e) + 'inannaB')} <salma.bennani@example.ma>",
        "To: omdp.direction.2@gmail.com",
        "Subject: Candidature_chargé(e) de projet_OMP \x1b[31mURGENT\x1b[0m \u2066x\u2069",
        "Date: Tue, 28 Apr 2026 09:12:00 +0000",
        "Message-ID: <\x1b[2Jesc@example.ma>",
    ], msg), pdf


def unmatched_mail() -> bytes:
    msg = EmailMessage()
    msg.set_content("Une question sur vos activités.\n")
    return with_headers([
        "From: Karim <karim@example.ma>",
        "To: omdp.direction.2@gmail.com",
        f"Subject: {encoded('Bonjour ' + chr(27) + ']0;owned' + chr(7) + ' ' + chr(0x202e) + 'txt.exe')}",
        "Date: Tue, 28 Apr 2026 09:12:00 +0000",
        "Message-ID: <karim@example.ma>",
    ], msg)


@pytest.fixture
def ingested(tmp_path, db_url):
    raw, pdf = hostile_mail()
    (tmp_path / "hostile.eml").write_bytes(raw)
    (tmp_path / "question.eml").write_bytes(unmatched_mail())
    intake = Intake(tmp_path / "data", db_url)
    done = intake("--log-level", "debug", "ingest", tmp_path / "hostile.eml", tmp_path / "question.eml")
    assert done.returncode == 0, done.stderr
    return intake, done, raw, pdf


def test_debug_logs_of_an_ingest_hold_no_escape_no_body_and_no_attachment(ingested):
    intake, done, raw, pdf = ingested
    assert_clean(done.stderr, "intake --log-level debug ingest")
    assert_clean(done.stdout, "intake ingest's summary")
    assert "esc@example.ma" in done.stderr        # the line is there, made harmless
    assert BODY_MARKER not in done.stderr and PDF_MARKER not in done.stderr
    encoded = base64.encodebytes(pdf).decode().split()
    assert not any(line in done.stderr for line in encoded if len(line) >= 40)


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_every_report_format_neutralises_what_the_sender_wrote(ingested, fmt):
    intake = ingested[0]
    done = intake("report", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert_clean(done.stdout, f"report --format {fmt}")
    assert "Salma" in done.stdout and "inannaB" in done.stdout
    assert "fdp.exe.pdf" in done.stdout or fmt in ("json",)


def test_the_text_report_keeps_the_words_and_drops_only_the_controls(ingested):
    text = ingested[0]("report", "--format", "text").stdout
    assert "pwnedSalma inannaB <salma.bennani@example.ma>" in text
    assert "Bonjour ]0;owned txt.exe" in " ".join(text.split())
    report = ingested[0].report()
    assert report["unmatched"][0]["subject"] == "Bonjour ]0;owned txt.exe"


def test_printable_neutralises_controls_and_bidi_and_keeps_every_script():
    assert printable("\x1b[2J\x1b]0;title\x07Salma") == "[2J]0;titleSalma"
    assert printable("a\u202eb\u2066c\u2069d\u202ae\u202cf") == "abcdef"
    assert printable("ligne 1\nligne 2\r\tfin\u2028x\x85y") == "ligne 1 ligne 2  fin x y"
    assert printable("ligne 1\nligne 2\x9b", keep_newlines=True) == "ligne 1\nligne 2"
    assert printable("السيرة الذاتية — Chargé·e 履歴書 \u200f") == "السيرة الذاتية — Chargé·e 履歴書 \u200f"


def test_a_log_line_built_from_a_mail_is_one_printable_line(tmp_path):
    stream = (tmp_path / "log").open("w+")
    handler = logs.configure("debug", stream=stream)
    try:
        logging.getLogger("intake.test").warning("subject %s", "x\nFAKE ERROR line\x1b[2J\u202e" + "y" * 5000)
        try:
            raise ValueError("bad " + chr(27) + "]0;title" + chr(7) + " header")
        except ValueError:
            logging.getLogger("intake.test").exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    stream.seek(0)
    written = stream.read()
    assert_clean(written, "log")
    first = written.splitlines()[0]
    assert "x FAKE ERROR line[2J" in first and first.endswith("characters, cut)")
    assert len(first) < logs.MAX_RECORD_CHARS + 100
    assert "ValueError: bad ]0;title header" in written


LIBRARY_FLOOD = """
import logging, sys
from intake import logs
logs.configure("debug")
chatty = logging.getLogger("somelibrary.parser")
for n in range(100_000):
    chatty.warning("missing property %d", n)
    chatty.debug("token %d", n)
logging.getLogger("imapclient.imaplib").debug("< * 1 FETCH (BODY[] {{5}} SECRET)")
logging.getLogger("intake.poller").info("our own line")
"""


def test_a_library_cannot_flood_the_log_or_print_mail_at_debug():
    done = subprocess.run([sys.executable, "-c", LIBRARY_FLOOD.format()], cwd=REPO,
                          capture_output=True, text=True)
    lines = done.stderr.splitlines()
    assert done.returncode == 0, done.stderr[-2000:]
    assert sum("missing property" in line for line in lines) == logs.LIBRARY_LINES_PER_MINUTE
    assert sum("the rest of this minute's are dropped" in line for line in lines) == 1
    assert not any("token" in line or "SECRET" in line for line in lines)
    assert lines[-1].endswith("our own line")
    assert len(lines) <= logs.LIBRARY_LINES_PER_MINUTE + 3


def test_a_library_minute_counts_from_its_first_line_not_from_the_clock():
    now = [59.5]   # a burst that starts half a second before the clock's minute turns
    gate = logs.LibraryGate(per_minute=3, clock=lambda: now[0])

    def passed() -> bool:
        return gate.filter(logging.LogRecord("somelibrary", logging.WARNING, "", 0, "x", None, None))

    burst = [passed() for _ in range(3)]
    now[0] = 60.5
    assert burst + [passed(), passed()] == [True, True, True, True, False]   # the 4th says "dropped"
    now[0] = 119.6
    assert passed() is True   # a minute after the burst began


@pytest.mark.dovecot
def test_polling_at_debug_level_logs_no_message_content(dovecot, imap_user, tmp_path, db_url, rules_dir):
    from tests.support.dovecot import write_config

    raw, pdf = hostile_mail()
    dovecot.append(imap_user, "INBOX", raw.replace(b"\n", b"\r\n"), dt.datetime(2026, 4, 28, 9, 12, tzinfo=dt.timezone.utc))
    box = dovecot.mailbox(imap_user)
    config = write_config(tmp_path / "config.toml", [box], db_url=db_url, data_dir=tmp_path / "data",
                          rules_dir=rules_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({"PYTHONPATH": str(REPO), box.password_env: imap_user.password})
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "--log-level",
                           "debug", "poll", "--once"], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 new" in done.stderr
    assert_clean(done.stderr, "poll --once at debug level")
    assert BODY_MARKER not in done.stderr and PDF_MARKER not in done.stderr
    encoded = base64.encodebytes(pdf).decode().split()
    assert not any(line in done.stderr for line in encoded if len(line) >= 40)
    assert imap_user.password not in done.stderr
    json.loads(subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "report",
                               "--format", "json"], cwd=REPO, env=env, capture_output=True,
                              text=True).stdout)
