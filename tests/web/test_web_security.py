"""The web view refuses what it must, over plain HTTP (Starlette's TestClient, httpx).

Without a valid session nothing but the sign-in page; tampered and expired links refused;
another posting's dossier, file, message or ZIP answers 404 to a jury member; a POST without
its CSRF token changes nothing; what applicants wrote (a name, a file name carrying <script>)
is escaped, and their files only ever leave as downloads.
"""
from __future__ import annotations

import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

with warnings.catch_warnings():   # Starlette now prefers httpx2; httpx is what is packaged here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from intake.app import open_app
from intake.config import load_settings
from intake.models import Decision, Dossier, Message
from intake.web.app import create_app
from intake.web.links import SALT, make_token
from tests.support.documents import pdf_bytes
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver
from tests.support.webdata import (DIRECTION, POSTING_IDS, SECRET, SECRET_ENV, Office,
                                   rules_with_recipients, write_config)

ECPM, DIALOGUE = POSTING_IDS["ecpm"], POSTING_IDS["dialogue"]
JURY = "jury.ecpm@omp.example"
SCRIPT_NAME = "<script>alert('nom')</script> Eve"
SCRIPT_FILE = "<script>alert(1)</script>.html"   # take-in keeps it as "script_.html"
QUOTE_FILE = "Lettre' autofocus onfocus='alert(1).html"
MAILS = ("a01-complete.eml", "a04-only-cv-document1.eml", "b01-complete.eml",
         "b05-missing-letter.eml", "b13-no-fallback-shared-mailbox.eml")


def hostile_mail() -> bytes:
    cv = pdf_bytes(["Eve Curriculum vitae", "Expérience professionnelle", "Formation"])
    return make_mail(sender=f'"{SCRIPT_NAME}" <eve@example.ma>', to="omdp.direction@gmail.com",
                     delivered_to="omdp.direction@gmail.com",
                     subject="Chargé·e projet peine de mort au Maroc",
                     received=datetime(2021, 2, 5, 9, 0, tzinfo=timezone.utc),
                     attachments=[("CV Eve.pdf", cv, "application/pdf"),
                                  (SCRIPT_FILE, b"<html><script>alert(2)</script></html>",
                                   "text/html"),
                                  (QUOTE_FILE, b"<html><script>alert(3)</script></html>",
                                   "text/html")])


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    rules = rules_with_recipients(tmp_path, {ECPM: [JURY]})
    with smtp_receiver() as rx:
        config = write_config(tmp_path, rx.port, base_url="http://testserver", link_hours=1)
        office = Office(config, db_url, rules, tmp_path / "data")
        office.ingest(*MAILS)
        (tmp_path / "eve.eml").write_bytes(hostile_mail())
        assert office.intake("ingest", str(tmp_path / "eve.eml")) == 0
        app = open_app(load_settings(config=str(config), db=db_url, rules=str(rules),
                                     data_dir=str(tmp_path / "data")))
        office.app, office.rx = app, rx
        yield office
        app.close()


def client(office) -> TestClient:
    return TestClient(create_app(office.app), follow_redirects=False)


def signed_in(office, address: str) -> TestClient:
    browser = client(office)
    answer = browser.get(f"/connexion/lien?jeton={make_token(SECRET, address)}")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    return browser


def dossier_of(office, posting_id: str, applicant: str | None = None) -> Dossier:
    with office.app.db.session() as s:
        query = select(Dossier).where(Dossier.posting_id == posting_id)
        if applicant:
            query = query.where(Dossier.applicant == applicant)
        return s.scalars(query.order_by(Dossier.id)).first()


def urls_of(office, dossier: Dossier) -> list[str]:
    key = next(d["key"] for d in dossier.verdict["documents"] if d.get("stored_as"))
    with office.app.db.session() as s:
        pk = s.scalar(select(Message.id).where(Message.posting_id == dossier.posting_id,
                                               Message.applicant == dossier.applicant))
    return [f"/offres/{dossier.posting_id}", f"/offres/{dossier.posting_id}/dossiers-complets.zip",
            f"/dossiers/{dossier.id}", f"/dossiers/{dossier.id}/fichiers/{key}",
            f"/messages/{pk}.eml"]


def applicant_data(office) -> list[str]:
    with office.app.db.session() as s:
        rows = s.scalars(select(Dossier)).all()
    return [r.applicant for r in rows] + [r.name for r in rows if r.name]


def test_without_a_session_every_page_is_the_sign_in_page_and_holds_no_applicant_data(office):
    browser = client(office)
    secret_words = applicant_data(office)
    for url in ["/", "/sans-offre", *urls_of(office, dossier_of(office, ECPM))]:
        answer = browser.get(url)
        assert answer.status_code == 401, url
        assert "Recevoir un lien de connexion" in answer.text
        assert not [w for w in secret_words if w in answer.text], url
    dossier = dossier_of(office, ECPM)
    for url in (f"/dossiers/{dossier.id}/verifie", "/messages/1/attribuer", "/deconnexion"):
        assert browser.post(url, data={"csrf": "x"}).status_code == 403


def test_a_tampered_link_is_refused(office):
    token = make_token(SECRET, DIRECTION)
    browser = client(office)
    # one character of the signature changed: not the last one, whose low bits are base64
    # padding (changing only those leaves the same signature)
    i = len(token) - 10
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    for bad in (tampered, token + "x", "abc",
                make_token("another-secret-of-the-same-length!!", DIRECTION)):
        answer = browser.get(f"/connexion/lien?jeton={bad}")
        assert answer.status_code == 403 and "pas valable" in answer.text
    assert browser.get("/").status_code == 401, "no session was opened"


def test_an_expired_link_is_refused(office):
    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 2 * 3600

    old = URLSafeTimedSerializer(SECRET, salt=SALT, signer=TwoHoursAgo).dumps({"e": DIRECTION})
    browser = client(office)
    answer = browser.get(f"/connexion/lien?jeton={old}")
    assert answer.status_code == 403 and "a expiré" in answer.text, "link_hours = 1"
    assert browser.get("/").status_code == 401


def test_a_link_for_an_address_that_no_longer_receives_a_report_opens_nothing(office):
    answer = client(office).get(f"/connexion/lien?jeton={make_token(SECRET, 'old@omp.example')}")
    assert answer.status_code == 403 and "ne reçoit plus de rapport" in answer.text


def test_a_session_cookie_is_httponly_and_samesite_and_not_javascript_readable(office):
    browser = client(office)
    answer = browser.get(f"/connexion/lien?jeton={make_token(SECRET, JURY)}")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_the_cookie_is_secure_when_the_base_url_is_https(office):
    office.app.settings.web.base_url = "https://intake.example.org"
    browser = TestClient(create_app(office.app), base_url="https://testserver",
                         follow_redirects=False)
    answer = browser.get(f"/connexion/lien?jeton={make_token(SECRET, JURY)}")
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_a_jury_member_sees_their_posting_and_gets_404_for_anothers_dossier_and_files(office):
    jury = signed_in(office, JURY)
    for url in urls_of(office, dossier_of(office, ECPM)):
        assert jury.get(url).status_code == 200, url
    other = dossier_of(office, DIALOGUE)
    for url in urls_of(office, other):
        answer = jury.get(url)
        assert answer.status_code == 404, url
        assert other.applicant not in answer.text and (other.name or "@") not in answer.text
    assert jury.get("/sans-offre").status_code == 404, "mail outside dossiers: the direction's"
    home = jury.get("/").text
    assert "peine de mort" in home and "détenu" not in home
    for url in urls_of(office, other)[2:4]:   # the same URLs work for the direction
        assert signed_in(office, DIRECTION).get(url).status_code == 200


def test_a_post_without_its_csrf_token_changes_nothing(office):
    direction = signed_in(office, DIRECTION)
    with office.app.db.session() as s:
        unmatched = s.scalar(select(Message.id).where(Message.state == "unmatched"))
    for data in ({"posting": DIALOGUE}, {"posting": DIALOGUE, "csrf": "forged-token"}):
        answer = direction.post(f"/messages/{unmatched}/attribuer", data=data)
        assert answer.status_code == 403 and "Formulaire expiré" in answer.text
    other = client(office)   # another browser's token is not this one's
    token_elsewhere = other.get("/connexion").text.split('name="csrf" value="')[1].split('"')[0]
    answer = direction.post(f"/messages/{unmatched}/attribuer",
                            data={"posting": DIALOGUE, "csrf": token_elsewhere})
    assert answer.status_code == 403
    with office.app.db.session() as s:
        assert s.get(Message, unmatched).state == "unmatched"
        assert s.scalar(select(Decision.id)) is None


def test_what_applicants_wrote_is_escaped_and_their_files_only_download(office):
    direction = signed_in(office, DIRECTION)
    eve = dossier_of(office, ECPM, "eve@example.ma")
    assert eve.name == SCRIPT_NAME
    files = {d["file"]: d for d in eve.verdict["documents"]}
    assert QUOTE_FILE in files and "<" not in "".join(files)
    for url in (f"/offres/{ECPM}", f"/dossiers/{eve.id}"):
        page = direction.get(url).text
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(" in page
    page = direction.get(f"/dossiers/{eve.id}").text
    assert "Lettre&#39; autofocus onfocus=&#39;alert(1).html" in page and "autofocus onfocus='" not in page
    for name, doc in files.items():
        if not doc.get("stored_as"):
            continue
        answer = direction.get(f"/dossiers/{eve.id}/fichiers/{doc['key']}")
        assert answer.status_code == 200
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="')
        fallback = disposition.split('filename="')[1].split('"; filename*=')[0]
        assert "'" not in fallback and '"' not in fallback and ";" not in fallback
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"].startswith("sandbox")
    html = direction.get(f"/dossiers/{eve.id}/fichiers/{files[QUOTE_FILE]['key']}")
    assert html.content == b"<html><script>alert(3)</script></html>"
    assert "filename*=UTF-8''Lettre%27%20autofocus%20onfocus%3D%27alert%281%29.html" in \
        html.headers["content-disposition"]


def test_every_page_carries_a_restrictive_content_security_policy(office):
    direction = signed_in(office, DIRECTION)
    for url in ("/", "/connexion", f"/offres/{ECPM}", "/sans-offre", "/nulle-part"):
        answer = direction.get(url)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, url
        assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"


def test_the_sign_in_page_mails_a_link_to_a_recipient_and_says_the_same_to_anyone(office):
    browser = client(office)
    token = browser.get("/connexion").text.split('name="csrf" value="')[1].split('"')[0]
    answers = {who: browser.post("/connexion", data={"csrf": token, "adresse": who})
               for who in ("Jury.ECPM@omp.example", "stranger@example.org")}
    texts = {who: answer.text.replace(who.lower(), "X").replace(who, "X")
             for who, answer in answers.items()}
    assert texts["Jury.ECPM@omp.example"] == texts["stranger@example.org"]
    assert all(a.status_code == 200 for a in answers.values())
    assert [e.rcpt_tos for e in office.rx.envelopes] == [[JURY]], "only the recipient"
    link = next(line for line in office.rx.messages[0].get_content().splitlines()
                if "/connexion/lien?jeton=" in line)
    fresh = client(office)
    assert fresh.get(link.replace("http://testserver", "")).status_code == 303
    assert fresh.get("/").status_code == 200
    browser.post("/connexion", data={"csrf": token, "adresse": JURY})
    assert len(office.rx.envelopes) == 1, "at most one mail a minute per address"


def test_a_sign_in_link_never_sends_anyone_to_another_site(office):
    token = make_token(SECRET, DIRECTION)
    for then in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = client(office).get("/connexion/lien", params={"jeton": token, "suite": then})
        assert answer.headers["location"] == "/"
    answer = client(office).get("/connexion/lien", params={"jeton": token, "suite": "/sans-offre"})
    assert answer.headers["location"] == "/sans-offre"


def test_serve_refuses_to_start_without_a_secret_in_one_line(office, monkeypatch, capsys):
    monkeypatch.delenv(SECRET_ENV)
    assert office.intake("serve", "--port", "1") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and SECRET_ENV in err and "Traceback" not in err
    monkeypatch.setenv(SECRET_ENV, "short")
    assert office.intake("serve") == 2
    assert "too short" in capsys.readouterr().err


def test_web_link_prints_one_url_for_a_recipient_and_exits_2_for_anyone_else(office, capsys):
    assert office.intake("web", "link", "Jury.Ecpm@omp.example") == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://testserver/connexion/lien?jeton=") and "\n" not in url
    assert client(office).get(url.replace("http://testserver", "")).status_code == 303
    assert office.intake("web", "link", "stranger@example.org") == 2
    assert "receives no report" in capsys.readouterr().err


def test_a_person_removed_from_the_lists_loses_access_at_once(office, tmp_path):
    jury = signed_in(office, JURY)
    assert jury.get(f"/offres/{ECPM}").status_code == 200
    from intake.rules import load_rules
    rules_file = Path(office.rules) / f"{ECPM}.toml"
    rules_file.write_text(rules_file.read_text().split("\n", 1)[1], encoding="utf-8")
    office.app.rules = load_rules(office.rules)
    assert jury.get(f"/offres/{ECPM}").status_code == 401


def test_the_first_page_counts_each_posting_as_the_report_does(office, capsys):
    capsys.readouterr()
    assert office.intake("report", "--format", "json") == 0
    import json
    report = json.loads(capsys.readouterr().out)
    home = signed_in(office, DIRECTION).get("/").text
    for posting in report["postings"]:
        card = home.split(f"réf. {posting['id']}")[1].split("</li>")[0]
        counts, total = posting["counts"], len(posting["dossiers"])
        if total:
            assert f"{counts['complete']} complet" in card and f"{counts['late']} hors délai" in card
            assert f"{total} nouveau" in card, "never reported: every dossier is new"


def test_a_dossier_page_says_why_its_mail_was_filed_under_the_posting(office):
    direction = signed_in(office, DIRECTION)
    page = direction.get(f"/dossiers/{dossier_of(office, ECPM).id}").text
    assert "Classé ici par" in page and "objet exact" in page
