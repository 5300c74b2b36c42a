"""Recruiters' decisions: stored with who and when, applied at once, kept by every reprocess.

The pure rule (intake/understand/decisions.py) first, on plain data; then as a recruiter makes them in the
web view, followed by `intake reprocess`, with the mail corpus ingested by the real CLI.
"""
from __future__ import annotations

import json
import warnings
from types import SimpleNamespace as Row

import pytest
from sqlalchemy import select

from intake.app import open_app
from intake.config import load_settings
from intake.understand.decisions import apply_decisions, latest_assignment
from intake.understand.evaluate import Found
from intake.models import Decision, Dossier, Message
from intake.web.app import create_app
from intake.web.links import make_token
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver
from tests.support.webdata import (DIRECTION, POSTING_IDS, SECRET, SECRET_ENV, Office,
                                   rules_with_recipients, write_config)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ECPM, DIALOGUE = POSTING_IDS["ecpm"], POSTING_IDS["dialogue"]
IMANE = "imane.chakir@gmail.com"      # a07: one referee of the two asked for
REDA = "reda.fikri@gmail.com"          # b13: unmatched (subject names no posting)
NORA = "nora.saidi@example.ma"         # her scan cannot be read: a review item


def piece(kind, document="d1", file="a.pdf", piece=None, count=None, reason=None, posting=None):
    return Row(kind=kind, document=document, file=file, piece=piece, count=count,
               reason=reason, posting_id=posting)


# -- the rule, on plain data ----------------------------------------------------------------

def test_a_file_decision_replaces_the_classifiers_finding_for_that_file_and_piece():
    found = [Found("references", 1, "d1", "refs.pdf", ("a@x.ma",)), Found("cv", 1, "d2", "cv.pdf")]
    files = {"d1": "refs.pdf", "d2": "cv.pdf"}
    out, _ = apply_decisions(found, [], files, [piece("piece", "d1", "refs.pdf", "references", 2)])
    assert sorted((f.piece, f.count, f.document) for f in out) == [
        ("cv", 1, "d2"), ("references", 2, "d1")]
    out, _ = apply_decisions(found, [], files, [piece("piece", "d2", "cv.pdf", "cv", 0)])
    assert [f.piece for f in out] == ["references"], "it is not the CV"


def test_the_latest_decision_wins_and_decisions_on_other_files_are_left_out():
    found = [Found("cv", 1, "d1", "a.pdf")]
    decisions = [piece("piece", "d1", "a.pdf", "cv", 0), piece("piece", "d1", "a.pdf", "cv", 1),
                 piece("piece", "elsewhere", "b.pdf", "cover_letter", 1)]
    out, _ = apply_decisions(found, [], {"d1": "a.pdf"}, decisions)
    assert [(f.piece, f.count) for f in out] == [("cv", 1)]


def test_a_checked_item_and_the_items_of_a_file_a_person_classified_leave_the_review_list():
    review = [("scan.pdf", "illisible"), ("scan.pdf", "autre chose"), ("b.pdf", "vide")]
    _, left = apply_decisions([], review, {"d9": "b.pdf"},
                              [piece("checked", file="scan.pdf", reason="illisible"),
                               piece("piece", "d9", "b.pdf", "cv", 1)])
    assert left == [("scan.pdf", "autre chose")]


def test_the_latest_assignment_names_the_posting_if_it_still_exists():
    decisions = [piece("assign", posting="a"), piece("assign", posting="b")]
    assert latest_assignment(decisions, ["a", "b"]) == "b"
    assert latest_assignment(decisions, ["a"]) is None, "posting b was removed from the rules"
    assert latest_assignment([], ["a"]) is None


# -- as a recruiter makes them ---------------------------------------------------------------

def unreadable_scan() -> bytes:
    return make_mail(sender=f"Nora Saidi <{NORA}>", to="omdp.direction@gmail.com",
                     delivered_to="omdp.direction@gmail.com",
                     subject="Chargé·e projet peine de mort au Maroc",
                     attachments=[("scan.pdf", b"%PDF-1.4 garbage that is no PDF at all",
                                   "application/pdf")])


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    rules = rules_with_recipients(tmp_path, {})
    with smtp_receiver() as rx:
        config = write_config(tmp_path, rx.port, base_url="http://testserver")
        office = Office(config, db_url, rules, tmp_path / "data")
        office.ingest("a07-one-reference-of-two.eml", "b13-no-fallback-shared-mailbox.eml",
                      "b01-complete.eml")
        (tmp_path / "nora.eml").write_bytes(unreadable_scan())
        office.intake("ingest", str(tmp_path / "nora.eml"))
        office.app = open_app(load_settings(config=str(config), db=db_url, rules=str(rules),
                                            data_dir=str(tmp_path / "data")))
        office.browser = TestClient(create_app(office.app), follow_redirects=False)
        answer = office.browser.get(f"/connexion/lien?jeton={make_token(SECRET, DIRECTION)}")
        assert answer.status_code == 303
        yield office
        office.app.close()


def post(office, url: str, **data):
    token = office.browser.get("/").text.split('name="csrf" value="')[1].split('"')[0]
    return office.browser.post(url, data={"csrf": token, **data})


def dossier(office, capsys, applicant: str) -> dict | None:
    capsys.readouterr()
    assert office.intake("report", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    return next((d for p in report["postings"] for d in p["dossiers"]
                 if d["applicant"] == applicant), None)


def row(office, applicant: str) -> Dossier:
    with office.app.db.session() as s:
        return s.scalar(select(Dossier).where(Dossier.applicant == applicant))


def test_saying_how_many_referees_a_file_names_completes_the_dossier_and_survives_reprocess(
        office, capsys):
    assert dossier(office, capsys, IMANE)["status"] == "incomplete"
    imane = row(office, IMANE)
    refs = next(d for d in imane.verdict["documents"] if "references" in d["pieces"])
    answer = post(office, f"/dossiers/{imane.id}/fichiers/{refs['key']}/nature",
                  piece="references", count="2")
    assert answer.status_code == 303
    after = dossier(office, capsys, IMANE)
    assert (after["status"], after["pieces"]["references"], after["missing"]) == (
        "complete", 2, []), "re-evaluated at once"
    assert office.intake("reprocess") == 0
    again = dossier(office, capsys, IMANE)
    assert (again["status"], again["pieces"]["references"]) == ("complete", 2)
    page = office.browser.get(f"/dossiers/{imane.id}").text
    assert f"compte 2 × référence — par {DIRECTION}" in page


def test_saying_a_file_is_not_the_cv_makes_the_cv_missing(office, capsys):
    imane = row(office, IMANE)
    cv = next(d for d in imane.verdict["documents"] if "cv" in d["pieces"])
    post(office, f"/dossiers/{imane.id}/fichiers/{cv['key']}/nature", piece="cv", count="0")
    assert "cv" in dossier(office, capsys, IMANE)["missing"]
    assert office.intake("reprocess") == 0
    assert "cv" in dossier(office, capsys, IMANE)["missing"]


def test_a_checked_review_item_leaves_the_list_for_good(office, capsys):
    items = dossier(office, capsys, NORA)["needs_review"]
    assert [i["file"] for i in items] == ["scan.pdf"]
    nora = row(office, NORA)
    assert post(office, f"/dossiers/{nora.id}/verifie", file=items[0]["file"],
                reason=items[0]["reason"]).status_code == 303
    assert dossier(office, capsys, NORA)["needs_review"] == []
    assert office.intake("reprocess") == 0
    assert dossier(office, capsys, NORA)["needs_review"] == []
    with office.app.db.session() as s:
        decision = s.scalar(select(Decision))
    assert (decision.kind, decision.decided_by, decision.file) == ("checked", DIRECTION, "scan.pdf")
    assert decision.decided_at.tzinfo is not None


def test_assigning_an_unmatched_message_makes_its_dossier_which_reprocess_keeps(office, capsys):
    assert dossier(office, capsys, REDA) is None
    with office.app.db.session() as s:
        pk = s.scalar(select(Message.id).where(Message.state == "unmatched"))
    answer = post(office, f"/messages/{pk}/attribuer", posting=DIALOGUE)
    assert answer.status_code == 303
    reda = dossier(office, capsys, REDA)
    assert reda is not None and reda["pieces"] == {"cover_letter": 1, "cv": 1}
    assert answer.headers["location"].startswith(f"/dossiers/{row(office, REDA).id}")
    assert office.intake("reprocess") == 0
    capsys.readouterr()
    office.intake("report", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["unmatched"] == []
    assert [d["applicant"] for p in report["postings"] if p["id"] == DIALOGUE
            for d in p["dossiers"]].count(REDA) == 1
    assert post(office, f"/messages/{pk}/attribuer", posting=ECPM).status_code == 409, \
        "no longer unmatched"
