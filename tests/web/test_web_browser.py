"""The web view as a recruiter uses it, in a real browser: Debian's Chromium driven by
Playwright, against `intake serve` on a loopback port, with the mail corpus ingested by the
real `intake ingest` and the nightly report mailed to a real SMTP server.

She opens the report mail, follows a link (it signs her in), opens a dossier, downloads a file
(the bytes the applicant sent), then attributes an unmatched application and sees the dossier
it makes. Screenshots of the posting and dossier pages, at desktop and phone width, are taken
on the way; INTAKE_UPDATE_DOCS=1 copies them to docs/.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.support.smtp import free_port, smtp_receiver
from tests.support.webdata import (DIRECTION, MAILS, POSTING_IDS, REPO, SECRET, SECRET_ENV,
                                   Office, rules_with_recipients, write_config)

CHROMIUM = Path("/usr/bin/chromium")
DOCS = REPO / "docs"
DIALOGUE = POSTING_IDS["dialogue"]
ENTRY = "import sys; from intake.cli import main; sys.exit(main())"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def need_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("chromium is missing under CI: apt-get install -y chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")


def serve(office: Office, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({SECRET_ENV: SECRET, "PYTHONPATH": str(REPO)})
    process = subprocess.Popen([sys.executable, "-c", ENTRY, *office.args(
        "serve", "--port", str(port))], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"intake serve stopped: {process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("intake serve did not listen within 30 s")


@pytest.fixture
def office(tmp_path, db_url, monkeypatch):
    need_browser()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    port = free_port()
    rules = rules_with_recipients(tmp_path, {})
    with smtp_receiver() as rx:
        config = write_config(tmp_path, rx.port, base_url=f"http://127.0.0.1:{port}")
        office = Office(config, db_url, rules, tmp_path / "data")
        office.ingest()
        assert office.intake("report", "--send") == 0
        office.mail = rx.messages[0]
        server = serve(office, port)
        try:
            yield office
        finally:
            server.terminate()
            server.wait(10)


def attachment_sent(eml: str, filename: str) -> bytes:
    msg = message_from_bytes((MAILS / eml).read_bytes(), policy=policy.default)
    return next(p.get_content() for p in msg.iter_attachments() if p.get_filename() == filename)


def link_to(mail_html: str, text: str) -> str:
    """The address of the mail's link whose text is `text`."""
    for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', mail_html):
        if html.unescape(label).strip() == text:
            return html.unescape(href)
    raise AssertionError(f"no link {text!r} in the mail")


def shoot(page, name: str, folder: Path) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("INTAKE_UPDATE_DOCS"):
        shutil.copyfile(path, DOCS / path.name)
        os.chmod(DOCS / path.name, 0o644)
    return path


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_recruiter_signs_in_from_the_mail_opens_a_dossier_downloads_and_assigns(
        office, tmp_path):
    from playwright.sync_api import sync_playwright

    assert office.mail["To"] == DIRECTION
    mail_html = office.mail.get_body(("html",)).get_content()
    salma = link_to(mail_html, "Salma Bennani")
    assert "/connexion/lien?jeton=" in salma and "suite=/dossiers/" in salma
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
            base = salma.split("/connexion/")[0]
            answer = page.goto(f"{base}/offres/{DIALOGUE}")   # not signed in yet
            assert answer.status == 401 and "Salma" not in page.content()
            assert page.get_by_role("button", name="Recevoir un lien de connexion").is_visible()
            page.goto(salma)   # the link in her mail signs her in and opens the dossier
            assert re.search(r"/dossiers/\d+$", page.url)
            assert page.locator("h1").inner_text() == "Salma Bennani"
            assert page.locator(".badge.complete").first.inner_text() == "complet"
            with page.expect_download() as download:
                page.get_by_role("link", name="CV.pdf").click()
            assert download.value.suggested_filename == "CV.pdf"
            saved = tmp_path / "downloaded-cv.pdf"
            download.value.save_as(saved)
            assert saved.read_bytes() == attachment_sent("a01-complete.eml", "CV.pdf")

            page.get_by_role("link", name="Vos offres").click()
            page.get_by_role("link", name=re.compile("messages sans offre")).click()
            card = page.locator("li.card", has_text="reda.fikri@gmail.com")
            card.locator("select").select_option(DIALOGUE)
            card.get_by_role("button", name="Attribuer").click()
            assert page.locator("p.ok").inner_text().startswith("Le message a été attribué")
            assert page.locator("h1").inner_text() == "Reda Fikri"
            assert page.get_by_role("link", name="CV Reda Fikri.pdf").is_visible()
            assert "message attribué à cette offre — par direction@omp.example" in \
                page.locator("ul.decisions").inner_text()
            shoot(page, "web-dossier", tmp_path)
            dossier_url = page.url

            page.get_by_role("link", name=re.compile("Agir en faveur")).click()
            assert page.locator("li.dossier", has_text="Reda Fikri").count() == 1
            shoot(page, "web-posting", tmp_path)
            page.goto(f"{base}/sans-offre")
            assert "reda.fikri@gmail.com" not in page.content()

            phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                        device_scale_factor=2).new_page()
            phone.goto(salma)
            phone.goto(dossier_url)
            assert fits(phone), "no sideways scrolling on a phone"
            shoot(phone, "web-dossier-phone", tmp_path)
            phone.get_by_role("link", name=re.compile("Agir en faveur")).click()
            assert fits(phone)
            shoot(phone, "web-posting-phone", tmp_path)
        finally:
            browser.close()

