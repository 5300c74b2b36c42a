"""Mailing the report to a real SMTP server (aiosmtpd on loopback) and keeping a private copy."""
import io
import json
import logging
import stat

import openpyxl
import pytest

from intake.reports.deliver import SmtpConfigError, send_report
from intake.reports.render import render
from tests.support.reportdata import sample_report
from tests.support.smtp import SmtpTestSettings, free_port, self_signed_cert, smtp_receiver

GLOBAL = ["Direction OMP <direction@omp.example>", "RH@omp.ma"]


@pytest.fixture
def report(tmp_path):
    return sample_report(data_dir=str(tmp_path))


def send(report, settings, tmp_path, **kwargs):
    kwargs.setdefault("backoff", 0)
    return send_report(report, settings, GLOBAL, tmp_path, **kwargs)


def test_one_mail_with_html_text_alternative_and_spreadsheets(report, tmp_path):
    with smtp_receiver() as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port), tmp_path)
    assert result.delivered and result.attempts == 1 and result.error is None
    assert len(rx.messages) == 1
    msg = rx.messages[0]
    assert msg["Subject"] == "Rapport des candidatures du 22 avril 2026 (3 nouveaux dossiers)"
    assert msg["From"] == "Recrutement OMP <recrutement@omp.example>"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Manque : lettre de motivation, 1 référence sur 3" in text
    assert "lettre de motivation, 1 référence sur 3" in html and "<table" in html
    assert msg.get_body(("plain",)) is not msg.get_body(("html",))
    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(files) == {"candidatures-2026-04-22.xlsx", "candidatures-2026-04-22.csv"}
    workbook = openpyxl.load_workbook(io.BytesIO(
        files["candidatures-2026-04-22.xlsx"].get_content()))
    assert {p["id"] for p in report["postings"]} <= set(workbook.sheetnames)
    csv_part = files["candidatures-2026-04-22.csv"]
    assert csv_part.get_payload(decode=True) == render(report, "csv")
    assert "pièces manquantes" in csv_part.get_content()


def test_the_mail_goes_to_exactly_the_recipients_given_once_each(report, tmp_path):
    with smtp_receiver() as rx:
        send_report(report, SmtpTestSettings("127.0.0.1", rx.port),
                    [*GLOBAL, "rh@OMP.ma"], tmp_path, backoff=0)
    assert rx.envelopes[0].rcpt_tos == ["direction@omp.example", "RH@omp.ma"], \
        "a posting's own recipients get their own mail (see test_report_scope.py)"
    assert rx.envelopes[0].mail_from == "recrutement@omp.example"


def test_a_private_copy_is_written_before_sending(report, tmp_path):
    with smtp_receiver() as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port), tmp_path)
    folder = tmp_path / "reports"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in result.saved) == [
        "2026-04-22T200000Z.html", "2026-04-22T200000Z.source.json", "2026-04-22T200000Z.txt",
        "2026-04-22T200000Z.xlsx"], "and the data it was rendered from (an erasure re-renders it)"
    assert json.loads((folder / "2026-04-22T200000Z.source.json").read_text()) == report
    for path in result.saved:
        assert path.parent == folder and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (folder / "2026-04-22T200000Z.txt").read_bytes() == render(report, "text")
    assert not list(folder.glob("*.tmp"))


def test_a_temporary_refusal_is_retried_with_back_off(report, tmp_path, caplog):
    delays = []
    caplog.set_level(logging.WARNING, logger="intake.reports.deliver")
    with smtp_receiver(refuse_first=1) as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port), tmp_path, backoff=0.01,
                      sleep=delays.append)
    assert result.delivered and result.attempts == 2
    assert rx.refusals == 1 and len(rx.messages) == 1
    assert delays == [0.01]
    assert "attempt 1/4 failed" in caplog.text and "451" in caplog.text


def test_back_off_doubles_and_gives_up_when_the_server_stays_down(report, tmp_path, caplog):
    delays = []
    port = free_port()  # nothing listens there: connection refused each time
    result = send(report, SmtpTestSettings("127.0.0.1", port), tmp_path, attempts=3,
                  backoff=1.5, sleep=delays.append)
    assert not result.delivered and result.attempts == 3
    assert delays == [1.5, 3.0]
    assert f"127.0.0.1:{port}" in result.error and "Refused" in result.error
    assert "giving up" in caplog.text
    assert len(result.saved) == 4, "the report is kept even when it could not be sent"


def test_a_permanent_refusal_is_not_retried(report, tmp_path):
    with smtp_receiver(refuse_first=99, reply="550 5.7.1 Relaying denied") as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port), tmp_path)
    assert not result.delivered and result.attempts == 1
    assert "550 5.7.1 Relaying denied" in result.error


def test_starttls_with_login_to_a_server_with_a_self_signed_certificate(
        report, tmp_path, monkeypatch):
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert.certfile))  # trust this one certificate
    monkeypatch.setenv("TEST_REPORT_SMTP_PASSWORD", "s3cret")
    with smtp_receiver(tls=cert, login=("omp", "s3cret")) as rx:
        result = send(report, SmtpTestSettings(
            "localhost", rx.port, "starttls", "omp", "TEST_REPORT_SMTP_PASSWORD"), tmp_path)
    assert result.delivered, result.error
    assert len(rx.messages) == 1


def test_implicit_tls(report, tmp_path, monkeypatch):
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert.certfile))
    with smtp_receiver(implicit_tls=cert) as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port, "ssl"), tmp_path)
    assert result.delivered, result.error
    assert len(rx.messages) == 1


def test_an_untrusted_certificate_is_refused_and_not_retried(report, tmp_path, monkeypatch):
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    with smtp_receiver(tls=cert) as rx:
        result = send(report, SmtpTestSettings("localhost", rx.port, "starttls"), tmp_path)
    assert not result.delivered and result.attempts == 1
    assert "certificate" in result.error.lower()
    assert rx.messages == []


def test_a_wrong_password_is_reported_and_not_retried(report, tmp_path, monkeypatch):
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert.certfile))
    monkeypatch.setenv("TEST_REPORT_SMTP_PASSWORD", "wrong")
    with smtp_receiver(tls=cert, login=("omp", "s3cret")) as rx:
        result = send(report, SmtpTestSettings(
            "localhost", rx.port, "starttls", "omp", "TEST_REPORT_SMTP_PASSWORD"), tmp_path)
    assert not result.delivered and result.attempts == 1
    assert "535" in result.error


def test_an_unset_password_variable_is_a_clear_error_naming_it(report, tmp_path, monkeypatch):
    monkeypatch.delenv("INTAKE_SMTP_PASSWORD", raising=False)
    settings = SmtpTestSettings("127.0.0.1", free_port(), "starttls", "omp",
                                "INTAKE_SMTP_PASSWORD")
    with pytest.raises(SmtpConfigError, match="environment variable INTAKE_SMTP_PASSWORD"):
        send(report, settings, tmp_path)
    assert len(list((tmp_path / "reports").iterdir())) == 4


def test_bad_security_value_is_named(report, tmp_path):
    with pytest.raises(SmtpConfigError, match="'tls'.*ssl, starttls, none"):
        send(report, SmtpTestSettings("127.0.0.1", free_port(), "tls"), tmp_path)


def test_no_recipient_at_all_is_not_a_delivery(report, tmp_path):
    for p in report["postings"]:
        p["recipients"] = []
    result = send_report(report, SmtpTestSettings("127.0.0.1", free_port()), [], tmp_path)
    assert not result.delivered and "no recipients" in result.error


def test_a_report_too_large_for_one_mail_is_sent_short_with_the_xlsx(report, tmp_path,
                                                                     caplog):
    with smtp_receiver() as rx:
        result = send(report, SmtpTestSettings("127.0.0.1", rx.port), tmp_path,
                      max_bytes=40_000)
    assert result.delivered
    msg = rx.messages[0]
    assert len(msg.as_bytes()) < 40_000 + 30_000  # body now short; the XLSX is what it weighs
    text = msg.get_body(("plain",)).get_content()
    assert "RAPPORT ABRÉGÉ" in text and "pièce jointe XLSX" in " ".join(text.split())
    assert "CV_Salma.pdf" not in text, "no file lists in the short report"
    assert [p.get_filename() for p in msg.iter_attachments()] == [
        "candidatures-2026-04-22.xlsx"]
    assert "sending a short report" in caplog.text
    full = (tmp_path / "reports" / "2026-04-22T200000Z.txt").read_text()
    assert "RAPPORT ABRÉGÉ" not in full and "CV_Salma.pdf" in full


def test_the_mail_still_goes_when_the_copy_cannot_be_written(report, tmp_path, caplog):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the data directory should be")
    with smtp_receiver() as rx:
        result = send_report(report, SmtpTestSettings("127.0.0.1", rx.port), GLOBAL, blocked,
                             backoff=0)
    assert result.delivered and result.saved == []
    assert f"could not save the report under {blocked}/reports" in caplog.text
    assert len(rx.messages) == 1
