"""The completeness report rendered as text, json and html from the sample report."""
import json
import re

import pytest

from intake.reports import words
from intake.reports.render import UnknownFormat, render
from tests.support.reportdata import sample_report

INTERFACE_POSTING = {"id", "title", "deadline", "counts", "dossiers"}
INTERFACE_DOSSIER = {"applicant", "name", "status", "first_received_at", "last_received_at",
                     "messages", "message_ids", "pieces", "missing", "needs_review"}
INTERFACE_MAIL = {"message_id", "from", "subject", "received_at", "reason"}
INTERFACE_FAILED = {"message_id", "stored_as", "error", "attempts"}


@pytest.fixture
def report():
    return sample_report()


@pytest.fixture
def text(report):
    return render(report, "text").decode("utf-8")


@pytest.fixture
def html(report):
    return render(report, "html").decode("utf-8")


def posting_block(text: str, title: str) -> str:
    """The part of the text report about one posting (up to the next rule line)."""
    start = text.index(title)
    end = text.find("=" * 80, start)
    return text[start:end]


def all_dossiers(report):
    return [(p, d) for p in report["postings"] for d in p["dossiers"]]


# --- text --------------------------------------------------------------------------------

def test_text_shows_each_posting_with_local_deadline_and_days_left(report, text):
    dialogue = posting_block(text, report["postings"][0]["title"])
    assert "Date limite : 4 mai 2026 à 16 h 00 (encore 12 jours)" in dialogue
    closed = posting_block(text, report["postings"][1]["title"])
    assert "(clôturé)" in closed


def test_text_counts_per_posting_match_the_report(report, text):
    for p in report["postings"]:
        if not p["takes_mail"]:
            continue
        c = p["counts"]
        line = (f"Dossiers : {words.count_words(c['complete'], 'complet')}, "
                f"{words.count_words(c['incomplete'], 'incomplet')}, {c['late']} hors délai.")
        assert line in posting_block(text, p["title"].split(" (")[0])


def test_a_posting_that_takes_no_mail_says_so(report, text):
    cndh = next(p for p in report["postings"] if not p["takes_mail"])
    block = posting_block(text, cndh["title"])
    assert "ne reçoit pas de candidatures par courriel" in block
    assert "Date limite : aucune" in block


def test_text_lists_every_incomplete_dossier_with_missing_pieces_in_words(report, text):
    for p, d in all_dossiers(report):
        if d["status"] == "incomplete":
            assert f"{d['name']} <{d['applicant']}>" in text
    assert "Manque : lettre de motivation, 1 référence sur 3" in text
    assert "Manque : copie du diplôme" in text


def test_text_says_how_late_late_dossiers_were(text):
    assert "Retard : 1 h 30 après la date limite" in text
    assert "Retard : 3 jours après la date limite" in text


def test_text_shows_what_is_new_since_the_last_report(report, text):
    dialogue = report["postings"][0]
    block = posting_block(text, dialogue["title"])
    news = block.split("Nouveau depuis le dernier rapport")[1].split("Dossiers incomplets")[0]
    for d in dialogue["dossiers"]:
        assert (d["applicant"] in news) == d["is_new"]
    assert "Rien de nouveau depuis le dernier rapport." in posting_block(
        text, "Territorialisation")


def test_text_shows_every_file_to_review_and_every_file_by_its_name(report, text):
    for _, d in all_dossiers(report):
        for item in d["needs_review"]:
            assert f"{item['file']} ({d['name']}) : {item['reason']}" in text
        for doc in d["documents"]:
            assert f"· {doc['file']} :" in text


def test_text_shows_mail_outside_dossiers_so_nothing_hides(report, text):
    for m in report["unmatched"]:
        assert m["from"] in text and m["subject"] in text and m["reason"] in text
    for m in report["ignored"]:
        assert m["from"] in text and m["subject"] in text
        assert f"Raison : {words.reason_label(m['reason'])}" in " ".join(text.split())
    for f in report["failed"]:
        assert f["message_id"] in text and f["error"] in text


def test_text_fits_an_80_column_terminal_except_unbreakable_paths(text):
    for line in text.splitlines():
        assert len(line) <= 80 or len(line.split()) == 1, line


def test_first_report_calls_everything_new(report):
    report["since"] = None
    assert "Premier rapport" in render(report, "text").decode()


# --- json --------------------------------------------------------------------------------

EXTENSIONS = {"routing", "acknowledgements"}   # documented in docs/reference.md


def test_json_has_the_interface_shape_and_only_documented_extensions(report):
    data = json.loads(render(report, "json"))
    assert set(data) == {"generated_at", "problems", "postings", "unmatched", "ignored", "failed"}
    assert data["problems"] == []   # `problems` (interface.md "Health"): empty when all is well
    assert data["generated_at"] == report["generated_at"]
    assert len(data["postings"]) == len(report["postings"])
    for out, src in zip(data["postings"], report["postings"]):
        assert set(out) == INTERFACE_POSTING
        assert set(out["counts"]) == {"complete", "incomplete", "late"}
        for d_out, d_src in zip(out["dossiers"], src["dossiers"], strict=True):
            assert {k: d_out[k] for k in INTERFACE_DOSSIER} == {k: d_src[k] for k in INTERFACE_DOSSIER}
            assert set(d_out) - INTERFACE_DOSSIER <= EXTENSIONS
    assert all(set(m) == INTERFACE_MAIL for m in data["unmatched"] + data["ignored"])
    assert all(set(f) == INTERFACE_FAILED for f in data["failed"])
    assert data["ignored"][1]["reason"] == "auto-reply"


def test_json_is_utf8_readable_and_indented(report):
    raw = render(report, "json")
    assert "« Agir en faveur des détenu.e.s vulnérables »".encode() in raw
    assert b"\\u00" not in raw
    assert raw.startswith(b"{\n  ")


# --- html --------------------------------------------------------------------------------

def test_html_is_self_contained_for_mail_programs(html):
    lowered = html.lower()
    assert "<script" not in lowered and "<style" not in lowered
    assert not re.search(r'src=["\']?https?:', lowered), "no remote images"
    assert "<link" not in lowered
    assert 'charset="utf-8"' in lowered and 'lang="fr"' in lowered


BASE = "https://intake.example.org"


def test_with_a_base_url_html_and_text_link_every_dossier_and_file_to_the_web_view(report):
    report["web"] = {"base_url": BASE, "token": None}
    html, text = render(report, "html").decode(), render(report, "text").decode()
    for p, d in all_dossiers(report):
        assert f'href="{BASE}/dossiers/{d["id"]}"' in html
        assert f"{BASE}/dossiers/{d['id']}\n" in text
        for doc in d["documents"]:
            assert f'href="{BASE}/dossiers/{d["id"]}/fichiers/{doc["key"]}"' in html
            assert f"{BASE}/dossiers/{d['id']}/fichiers/{doc['key']}" in text
    assert f'href="{BASE}/sans-offre#m901"' in html
    assert "file://" not in html + text and "attachments/" not in html + text


def test_a_persons_mail_links_sign_them_in_then_open_the_page(report):
    report["web"] = {"base_url": BASE, "token": "TOKEN.abc"}
    d = report["postings"][0]["dossiers"][0]
    html = render(report, "html").decode()
    assert (f'href="{BASE}/connexion/lien?jeton=TOKEN.abc&amp;suite=/dossiers/{d["id"]}"'
            in html)
    assert f'href="{BASE}/connexion/lien?jeton=TOKEN.abc"' in html, "the 'open' button"


def test_without_a_base_url_the_report_says_how_to_open_files_and_shows_no_server_path(report):
    for fmt in ("html", "text"):
        out = " ".join(render(report, fmt).decode().split())
        assert "Pour ouvrir les fichiers" in out and "message d'origine" in out
        assert "file://" not in out and report["data_dir"] not in out
        assert "attachments/" not in out and "messages/" not in out


def test_html_carries_the_same_facts_as_the_text(report, html):
    for fact in ("encore 12 jours", "clôturé", "1 h 30 après la date limite",
                 "lettre de motivation, 1 référence sur 3", "ne reçoit pas de candidatures",
                 "scan sans texte (image seule)", "réponse automatique",
                 "message de non-remise (rebond)", report["failed"][0]["error"]):
        assert fact in html


def test_html_escapes_what_applicants_wrote(report):
    report["postings"][0]["dossiers"][0]["name"] = '<img src="http://x/y.png">Eve & co'
    html = render(report, "html").decode()
    assert "&lt;img src=&#34;http://x/y.png&#34;&gt;Eve &amp; co" in html
    assert '<img src="http://x' not in html


def test_unknown_format_is_named():
    with pytest.raises(UnknownFormat, match="pdf.*text, json, csv, html, xlsx"):
        render(sample_report(), "pdf")


def test_a_posting_without_dossiers_says_so_briefly(report):
    report["postings"][2]["dossiers"] = []
    report["postings"][2]["counts"] = {"complete": 0, "incomplete": 0, "late": 0}
    text = render(report, "text").decode()
    block = posting_block(text, "Territorialisation")
    assert "Aucun dossier reçu pour cette offre." in block
    assert "Dossiers incomplets" not in block
    assert "Aucun dossier reçu pour cette offre." in render(report, "html").decode()


def test_a_short_report_keeps_the_totals_and_says_how_many_are_left_out():
    from tests.support.reportdata import synthetic_report

    report = synthetic_report(postings=2, dossiers=200)
    first = report["postings"][0]
    incomplete = first["counts"]["incomplete"]
    text = render(report, "text", limit=5).decode()
    block = text.split(first["title"])[1].split("=" * 80)[0]
    assert f"Dossiers incomplets ({incomplete})" in block
    assert f"… et {incomplete - 5} de plus, dans la pièce jointe XLSX." in block
    assert block.count("Reçu le") == 15, "5 incomplete, 5 late, 5 complete"
    html = render(report, "html", limit=5).decode()
    assert f"… et {incomplete - 5} de plus, dans la pièce jointe XLSX." in html
    assert "Rapport abrégé" in html and "Rapport abrégé" not in render(report, "html").decode()


def test_the_problems_open_every_format_and_the_mail_subject(report):
    from intake.reports.mail import subject

    line = ("La boîte omdp.direction@gmail.com n'a pas pu être relevée depuis le 3 décembre 2026 "
            "à 14 h 05 : mot de passe refusé.")
    quiet = subject(report)
    report["problems"] = [line, "Le fichier de règles juriste.toml contient une erreur (ligne 5)."]
    text = render(report, "text").decode()
    assert text.index("À FAIRE D'ABORD (2)") < text.index("En bref")
    assert line in " ".join(text.split())
    html = render(report, "html").decode()
    assert html.index("À faire d") < html.index("Rapport des candidatures</h1>")
    assert "omdp.direction@gmail.com n&#39;a pas pu être relevée" in html
    assert json.loads(render(report, "json"))["problems"] == report["problems"]
    assert "2 problèmes à régler" in subject(report) and "problème" not in quiet
