"""`intake report --send` end to end: mail ingested, report mailed to a real SMTP receiver,
and the "new since the last report" point moving only after a delivery."""
from pathlib import Path

from intake.cli import main
from tests.support.documents import pdf_bytes
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver

REPO = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "Recrutement OMP <recrutement@omp.example>"
timeout = 10

[report]
recipients = ["direction@omp.example"]
""", encoding="utf-8")
    return config


def intake(config: Path, db_url: str, data_dir: Path, *args: str) -> int:
    return main(["--config", str(config), "--db", db_url, "--rules", str(REPO / "rules"),
                 "--data-dir", str(data_dir), *args])


def ingest_one_application(tmp_path, config, db_url, data_dir) -> None:
    cv = pdf_bytes(["Salma Bennani", "Curriculum vitae", "Expérience professionnelle",
                    "Formation", "Compétences"])
    eml = tmp_path / "salma.eml"
    eml.write_bytes(make_mail(attachments=[("CV_Salma.pdf", cv, "application/pdf")]))
    assert intake(config, db_url, data_dir, "ingest", str(eml)) == 0


def posting_news(text: str) -> str:
    block = text.split("réf. omp-dialogue-detenus-2026")[1]
    return block.split("Dossiers incomplets")[0]


def test_report_send_mails_the_report_and_moves_the_new_since_point(tmp_path, db_url,
                                                                      data_dir, capsys):
    with smtp_receiver() as rx:
        config = write_config(tmp_path, rx.port)
        ingest_one_application(tmp_path, config, db_url, data_dir)
        assert intake(config, db_url, data_dir, "report", "--send") == 0
        assert intake(config, db_url, data_dir, "report", "--send") == 0
    first, second = (m.get_body(("plain",)).get_content() for m in rx.messages)
    assert "salma.bennani@example.ma" in posting_news(first)
    assert "Rien de nouveau depuis le dernier rapport." in posting_news(second)
    assert rx.envelopes[0].rcpt_tos[0] == "direction@omp.example"
    assert len(list((data_dir / "reports").glob("*.xlsx"))) >= 1


def test_a_failed_send_exits_1_keeps_a_copy_and_does_not_move_the_point(tmp_path, db_url,
                                                                         data_dir, capsys):
    with smtp_receiver(refuse_first=99, reply="554 5.7.1 Rejected") as rx:
        config = write_config(tmp_path, rx.port)
        ingest_one_application(tmp_path, config, db_url, data_dir)
        assert intake(config, db_url, data_dir, "report", "--send") == 1
    assert "report not sent" in capsys.readouterr().err
    assert list((data_dir / "reports").glob("*.html"))
    with smtp_receiver() as rx:
        config = write_config(tmp_path, rx.port)
        assert intake(config, db_url, data_dir, "report", "--send") == 0
    text = rx.messages[0].get_body(("plain",)).get_content()
    assert "salma.bennani@example.ma" in posting_news(text), "still new: never delivered"


def test_an_unset_password_variable_exits_2_naming_it(tmp_path, db_url, data_dir, capsys,
                                                      monkeypatch):
    monkeypatch.delenv("INTAKE_TEST_NO_SUCH_PASSWORD", raising=False)
    config = write_config(tmp_path, 25)
    config.write_text(config.read_text().replace(
        'timeout = 10', 'timeout = 10\nusername = "omp"\n'
        'password_env = "INTAKE_TEST_NO_SUCH_PASSWORD"'), encoding="utf-8")
    assert intake(config, db_url, data_dir, "report", "--send") == 2
    assert "INTAKE_TEST_NO_SUCH_PASSWORD" in capsys.readouterr().err
