"""The audit log: who did what, when, on which dossier; never document content, never an
applicant's address. Web-view actions, report mails, exports, purges and erasures are recorded;
each dossier's page shows its history; `intake audit` exports it as text, JSON or CSV. The hook
other parts call (acknowledgements) resolves a dossier by posting and applicant."""
from __future__ import annotations

import csv
import io
import json
import warnings
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from intake import audit
from intake.models import AuditEntry, Dossier
from intake.web.app import create_app
from intake.web.links import make_token
from tests.privacy.office import DIRECTION, KARIM, OUAFAE, POSTE, ingest_all, open_office, write_office
from tests.support.smtp import smtp_receiver

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

SECRET = "test-secret-0123456789-abcdefghijklmnop"


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("INTAKE_WEB_SECRET", SECRET)
    with smtp_receiver() as rx:
        office = write_office(tmp_path, db_url, rx.port)
        ingest_all(office, tmp_path)
        office.app = open_office(office)
        office.browser = TestClient(create_app(office.app), follow_redirects=False)
        assert office.browser.get(f"/connexion/lien?jeton={make_token(SECRET, DIRECTION)}").status_code == 303
        office.rx = rx
        yield office
        office.app.close()


def karim(office) -> Dossier:
    with office.app.db.session() as s:
        return s.scalar(select(Dossier).where(Dossier.posting_id == POSTE, Dossier.applicant == KARIM.address))


def post(office, url: str, **data):
    token = office.browser.get("/").text.split('name="csrf" value="')[1].split('"')[0]
    return office.browser.post(url, data={"csrf": token, **data})


def test_web_actions_and_report_mails_are_recorded_and_shown_on_the_dossier_page(office):
    row = karim(office)
    form = next(d for d in row.verdict["documents"] if d["file"] == "Formulaire de candidature.pdf")
    item = next(i for i in row.verdict["needs_review"] if i["file"] == "Formulaire de candidature.pdf")
    assert post(office, f"/dossiers/{row.id}/verifie", file=item["file"], reason=item["reason"]).status_code == 303
    assert post(office, f"/dossiers/{row.id}/fichiers/{form['key']}/nature", piece="cv",
                count="0").status_code == 303
    assert office.intake("report", "--send") == 0
    page = office.browser.get(f"/dossiers/{row.id}").text
    history = page.split("<h2>Historique")[1]
    assert "point à vérifier marqué comme vérifié" in history
    assert "nature d'un fichier corrigée : ce n'est pas « CV »" in history.replace("&#34;", '"').replace("&#39;", "'")
    assert f"rapport envoyé à {DIRECTION}" in history
    assert history.index("vérifié") < history.index("corrigée") < history.index("rapport envoyé")
    with office.app.db.session() as s:
        ouafae = s.scalar(select(Dossier).where(Dossier.posting_id == POSTE, Dossier.applicant == OUAFAE.address))
    assert "point à vérifier" not in office.browser.get(f"/dossiers/{ouafae.id}").text, "per dossier"


def test_the_audit_command_exports_text_json_and_csv_since_a_date(office, tmp_path, capsys):
    row = karim(office)
    form = next(d for d in row.verdict["documents"] if d["file"] == "Formulaire de candidature.pdf")
    post(office, f"/dossiers/{row.id}/fichiers/{form['key']}/nature", piece="cover_letter", count="1")
    assert office.intake("forget", OUAFAE.address) == 0
    today = datetime.now(timezone.utc).date().isoformat()
    capsys.readouterr()
    assert office.intake("audit", "--since", today, "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["who"], r["dossier"]) for r in rows][0] == ("decision.piece", DIRECTION, row.id)
    assert rows[0]["detail"] == {"piece": "cover_letter", "count": 1}
    assert rows[-1]["action"] == "forget" and rows[-1]["detail"]["dossiers"] == 2
    written = json.dumps(rows, ensure_ascii=False)
    assert OUAFAE.address not in written and "Formulaire" not in written, "no address, no file name"
    assert office.intake("audit", "--format", "csv", "--output", str(tmp_path / "a.csv")) == 0
    table = list(csv.reader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["quand (UTC)", "qui", "action"] and len(table) == len(rows) + 1
    assert office.intake("audit", "--since", "2999-01-01") == 0
    assert capsys.readouterr().out == ""
    assert office.intake("audit") == 0
    assert "nature d'un fichier corrigée : lettre de motivation × 1" in capsys.readouterr().out
    assert office.intake("audit", "--since", "hier") == 2
    assert "--since 'hier' is not a date" in capsys.readouterr().err


def test_the_hook_names_a_dossier_by_its_number_and_refuses_content(office):
    with office.app.db.transaction() as s:
        entry = audit.record(s, "intake", audit.ACKNOWLEDGED, (POSTE, KARIM.address),
                             detail={"message": 12})
        s.flush()
        assert (entry.dossier_id, entry.posting_id) == (karim(office).id, POSTE)
        with pytest.raises(ValueError, match="no document content"):
            audit.record(s, "intake", audit.ACKNOWLEDGED, (POSTE, KARIM.address),
                         detail={"body": "Madame, nous avons bien reçu votre candidature " * 10})
    with office.app.db.session() as s:
        assert [e.action for e in s.scalars(select(AuditEntry))] == [audit.ACKNOWLEDGED]
    assert "accusé de réception envoyé au candidat" in office.browser.get(f"/dossiers/{karim(office).id}").text
