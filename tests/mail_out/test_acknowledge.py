"""Applicants are told what arrived and what is missing, before the deadline: end to end, from
`intake ingest` to a real SMTP receiver on loopback."""
from __future__ import annotations

import email.utils
import logging

import pytest

from intake.daemon import Daemon
from tests.mail_out.desk import CV, LETTER, SUBJECT, Desk, hours_ago
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver


def test_the_applicant_is_told_what_arrived_and_what_is_missing_in_a_threaded_automatic_reply(
        tmp_path, db_url, capsys):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        first = make_mail(received=hours_ago(1), message_id="<cv-1@mail.gmail.com>", attachments=[CV])
        assert desk.ingest(first) == 0
        assert desk.intake("acknowledge") == 0
        second = make_mail(received=hours_ago(0.5), message_id="<letter-2@mail.gmail.com>", attachments=[LETTER],
                           subject=f"RE: {SUBJECT}", headers={"References": "<cv-1@mail.gmail.com>",
                                                              "In-Reply-To": "<cv-1@mail.gmail.com>"})
        assert desk.ingest(second) == 0
        assert desk.intake("acknowledge") == 0

    assert len(rx.messages) == 2
    ack = rx.messages[0]
    assert rx.envelopes[0].rcpt_tos == ["salma.bennani@example.ma"]
    assert rx.envelopes[0].mail_from == "recrutement@omp.example"
    assert ack["To"] == "salma.bennani@example.ma" and ack["Cc"] is None and ack["Bcc"] is None
    assert ack["From"] == "Recrutement OMP <recrutement@omp.example>"
    assert ack["Reply-To"] == "omdp.direction.2@gmail.com"       # a reply reaches the posting's mailbox
    assert ack["Subject"] == f"Re: {SUBJECT}"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<cv-1@mail.gmail.com>" and ack["References"] == "<cv-1@mail.gmail.com>"
    rows = desk.rows()
    assert [r.message_id for r in rows] == [m["Message-ID"] for m in rx.messages]   # fixed before sending
    text = ack.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Bonjour Salma Bennani," in text
    assert "« Chargé(e) de projet « Dialogue » »" in text
    assert "Pièces reçues à ce jour :\n  - CV\n" in text
    assert "Pièces encore manquantes :\n  - lettre de motivation\n" in text
    deadline = rows[0].created_at  # any date: the text names the posting's deadline in local time
    assert "heure du Maroc" in text and str(deadline.year) in text

    done = rx.messages[1]
    assert done["In-Reply-To"] == "<letter-2@mail.gmail.com>"
    assert done["References"] == "<cv-1@mail.gmail.com> <letter-2@mail.gmail.com>"
    assert "Votre dossier est complet." in done.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert email.utils.parsedate_to_datetime(done["Date"]) is not None

    dossier = desk.report()["postings"][0]["dossiers"][0]
    assert [(a["state"], a["missing"]) for a in dossier["acknowledgements"]] == [
        ("sent", ["cover_letter"]), ("sent", [])]
    capsys.readouterr()
    assert desk.intake("report") == 0
    report = " ".join(capsys.readouterr().out.split())
    assert "Accusés de réception aux candidats : 2 envoyés, 0 en échec" in report
    assert "Accusé de réception : envoyé le" in report and "2 envoyés en tout" in report
    assert desk.intake("report", "--format", "html", "--output", str(tmp_path / "r.html")) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Accusés de réception aux candidats : 2 envoyés" in html and "Accusé de réception : envoyé le" in html


def test_never_twice_for_the_same_state_and_reprocess_never_resends(tmp_path, db_url):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(2), attachments=[CV]))
        desk.intake("acknowledge")
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV], body="Je renvoie mon CV, au cas où."))
        assert desk.intake("reprocess") == 0
        assert desk.intake("acknowledge") == 0
    assert len(rx.messages) == 1
    assert [r.state for r in desk.rows()] == ["sent"]


def test_never_to_machine_mail_robots_lists_old_mail_or_the_organisation(tmp_path, db_url):
    """Each of these mails becomes (or joins) a dossier, and none of them gets a reply."""
    def mail(sender, **kwargs):
        kwargs.setdefault("received", hours_ago(1))
        return make_mail(sender=sender, attachments=[CV], **kwargs)

    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(
            mail("Karim <karim@example.ma>", headers={"List-Post": "<mailto:candidats@lists.example.org>"}),
            mail("Nadia <nadia@example.ma>", headers={"X-Auto-Response-Suppress": "All"}),
            mail("Omar <omar@example.ma>", headers={"Reply-To": "noreply@plateforme-emploi.ma"}),
            mail("Imane <imane@example.ma>", headers={"Reply-To": "recrutement@omp.example"}),
            mail("Youssef <youssef@example.ma>", headers={"Reply-To": "a@example.ma, b@example.ma"}),
            mail("Rekrute <no-reply@rekrute.example>"),
            mail("Ancien <ancien@example.ma>", received=hours_ago(72)),        # a backfill: too old
            mail("Direction <omdp.direction.2@gmail.com>", subject=f"Fwd: {SUBJECT}", body=(
                "Je transfère.\n\n---------- Forwarded message ---------\nDe : Hind <hind@example.ma>\n"
                f"Date: {email.utils.format_datetime(hours_ago(2))}\nSubject: {SUBJECT}\n"
                "To: <omdp.direction@gmail.com>\n\nBonjour, ci-joint mon CV.\nHind\n")),  # a colleague's forward
            mail("Salma <salma.bennani@example.ma>"),                          # the one person to answer
        )
        assert desk.intake("acknowledge") == 0
    dossiers = {d["applicant"] for d in desk.report()["postings"][0]["dossiers"]}
    assert len(dossiers) == 9 and "hind@example.ma" in dossiers
    assert [e.rcpt_tos for e in rx.envelopes] == [["salma.bennani@example.ma"]]


def test_never_after_the_deadline_nor_for_a_late_message(tmp_path, db_url):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port, deadline=hours_ago(1))
        desk.ingest(make_mail(received=hours_ago(2), sender="Avant <avant@example.ma>", attachments=[CV]),
                    make_mail(received=hours_ago(0.5), sender="Apres <apres@example.ma>", attachments=[CV]))
        assert desk.intake("acknowledge") == 0
    assert rx.messages == [] and desk.rows() == []


def test_a_queued_acknowledgement_is_cancelled_when_the_deadline_passes_before_it_goes(tmp_path, db_url):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        Desk(tmp_path, db_url, rx.port, deadline=hours_ago(0.1))   # the admin moves the deadline back
        assert desk.intake("acknowledge") == 0
    assert rx.messages == []
    assert [(r.state, r.error) for r in desk.rows()] == [("cancelled", "date limite passée avant l'envoi")]


def test_arabic_and_english_applicants_are_answered_in_their_language(tmp_path, db_url):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(
            make_mail(received=hours_ago(1), sender="Amina <amina@example.ma>", attachments=[CV],
                      body="السلام عليكم،\nتجدون رفقته سيرتي الذاتية.\nمع خالص التحية"),
            make_mail(received=hours_ago(1), sender="John <john@example.org>", attachments=[CV],
                      body="Dear Sir or Madam,\n\nPlease find attached my CV for the position.\nKind regards"))
        assert desk.intake("acknowledge") == 0
    texts = {m["To"]: (m["Content-Language"], m.get_body(("plain",)).get_content().replace("\r\n", "\n")) for m in rx.messages}
    language, arabic = texts["amina@example.ma"]
    assert language == "ar" and "الوثائق التي ما تزال ناقصة" in arabic and "رسالة التحفيز" in arabic
    language, english = texts["john@example.org"]
    assert language == "en" and "Documents still missing:\n  - cover letter" in english


def test_a_flood_of_50_mails_gives_at_most_the_daily_cap(tmp_path, db_url):
    """Each mail adds a new certificate, so the dossier changes 50 times; the outbox is sent after
    each one, as the daemon does at each poll."""
    from intake.commands import ingest_paths
    from intake.mail_out.send import send_outbox

    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port, required="attestation = 50\n[pieces.attestation]\n"
                                                       'label = "attestation"\nnames = ["attestation"]\n')
        app = desk.open_app()
        try:
            for number in range(50):
                path = tmp_path / f"flood-{number:02d}.eml"
                path.write_bytes(make_mail(received=hours_ago(1), attachments=[
                    (f"attestation_{number}.txt", f"Attestation numero {number}\n".encode(), "text/plain")]))
                ingest_paths(app, [path])
                send_outbox(app)
        finally:
            app.close()
    assert len(rx.messages) == 3          # [acknowledgements] per_applicant_per_day, default 3
    rows = desk.rows()
    assert [r.state for r in rows] == ["sent", "sent", "sent", "queued"]
    assert rows[-1].told["pieces"]["attestation"] == 50   # the newest state waits for the cap
    assert rows[-1].send_after > rows[0].sending_at


def test_a_burst_understood_together_gives_one_acknowledgement_of_the_newest_state(tmp_path, db_url):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(*[make_mail(received=hours_ago(1), attachments=[CV], body=f"Envoi {n}") for n in range(49)],
                    make_mail(received=hours_ago(0.5), attachments=[CV, LETTER]))
        assert desk.intake("acknowledge") == 0
    assert len(rx.messages) == 1
    assert "Votre dossier est complet." in rx.messages[0].get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_dry_run_shows_what_would_go_and_changes_nothing(tmp_path, db_url, capsys):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        capsys.readouterr()
        assert desk.intake("acknowledge", "--dry-run") == 0
        shown = capsys.readouterr().out
        assert rx.messages == [] and [r.state for r in desk.rows()] == ["queued"]
        assert desk.intake("acknowledge") == 0
    assert "#1 would send: omp -> salma.bennani@example.ma" in shown
    assert f"Subject: Re: {SUBJECT}" in shown and "    |   - lettre de motivation" in shown
    assert "1 would send (dry run: nothing would be sent or changed)" in shown
    assert len(rx.messages) == 1 and f"Message-ID: {rx.messages[0]['Message-ID']}" in shown


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_counted_as_failed(tmp_path, db_url, capsys):
    with smtp_receiver(refuse_first=1) as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        assert desk.intake("acknowledge") == 0               # 451: tried again later
        assert [(r.state, r.attempts) for r in desk.rows()] == [("queued", 1)]
        assert desk.intake("acknowledge") == 0
    assert len(rx.messages) == 1 and [r.state for r in desk.rows()] == ["sent"]

    with smtp_receiver(refuse_first=99, reply="550 5.1.1 No such user") as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(0.5), attachments=[LETTER]))
        assert desk.intake("acknowledge") == 1
    assert rx.messages == [] and desk.rows()[-1].state == "failed"
    assert "550 5.1.1 No such user" in desk.rows()[-1].error
    capsys.readouterr()
    desk.intake("report")
    assert "1 envoyé, 1 en échec" in " ".join(capsys.readouterr().out.split())


def test_the_daemon_sends_at_each_poll_and_logs_without_content(tmp_path, db_url, caplog):
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        app = desk.open_app()
        try:
            with caplog.at_level(logging.INFO):
                Daemon(app).acknowledge()
        finally:
            app.close()
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake"))
    assert len(rx.messages) == 1
    assert "acknowledgements: 1 sent" in ours and rx.messages[0]["Message-ID"] in ours
    assert "salma" not in ours.lower() and "lettre de motivation" not in ours   # no address, no content


@pytest.mark.dovecot
def test_a_poll_understands_the_new_mail_and_sends_its_acknowledgement(dovecot, imap_user, tmp_path, db_url):
    """Real IMAP in, real SMTP out: what `intake poll --once` and each poll of `intake run` do."""
    from intake.commands import poll_once
    from intake.config import load_settings

    when = hours_ago(1)
    dovecot.append(imap_user, "INBOX", make_mail(received=when, attachments=[CV]), when)
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        settings = load_settings(config=str(desk.config), db=db_url, rules=str(desk.rules),
                                 data_dir=str(tmp_path / "data"), env={})
        settings.mailboxes = [dovecot.mailbox(imap_user)]
        assert poll_once(settings) == 0
    assert [e.rcpt_tos for e in rx.envelopes] == [["salma.bennani@example.ma"]]


def test_the_recruiters_web_view_shows_what_the_applicant_was_told(tmp_path, db_url, monkeypatch):
    import warnings

    from sqlalchemy import create_engine, select

    from intake.models import Dossier
    from intake.web.app import create_app
    from intake.web.links import make_token

    with warnings.catch_warnings():   # Starlette now prefers httpx2; httpx is what is packaged here
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    secret = "test-secret-0123456789-abcdefghijklmnop"
    monkeypatch.setenv("INTAKE_TEST_WEB_SECRET", secret)
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port, extra='recipients = ["jury@omp.example"]',
                    config='\n[web]\nsecret_env = "INTAKE_TEST_WEB_SECRET"\n')
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        assert desk.intake("acknowledge") == 0
    engine = create_engine(db_url)
    with engine.connect() as conn:
        dossier_id = conn.scalar(select(Dossier.id))
    engine.dispose()
    app = desk.open_app()
    try:
        browser = TestClient(create_app(app), follow_redirects=False)
        assert browser.get(f"/connexion/lien?jeton={make_token(secret, 'jury@omp.example')}").status_code == 303
        page = browser.get(f"/dossiers/{dossier_id}").text
    finally:
        app.close()
    assert "<dt>Accusé de réception</dt><dd>envoyé le" in page
    assert "(manquait : lettre de motivation)" in page


@pytest.mark.dovecot
def test_mail_announced_by_imap_idle_is_acknowledged_without_waiting_for_the_scheduled_poll(
        dovecot, imap_user, tmp_path, db_url, caplog):
    """With `idle = true` mail comes in within seconds of its arrival; so does its
    acknowledgement, not at the next scheduled poll (an hour away here)."""
    import threading
    import time

    from intake.config import load_settings
    from intake.daemon import run

    caplog.set_level(logging.INFO)
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        settings = load_settings(config=str(desk.config), db=db_url, rules=str(desk.rules),
                                 data_dir=str(tmp_path / "data"), env={})
        box = dovecot.mailbox(imap_user)
        settings.mailboxes = [box.model_copy(update={"idle": True, "address": "omdp.direction.2@gmail.com"})]
        settings.schedule.poll_interval_seconds = 3600
        stop = threading.Event()
        daemon = threading.Thread(target=run, args=(settings,), kwargs={"stop": stop}, daemon=True)
        daemon.start()
        try:
            deadline = time.monotonic() + 30
            while f"mailbox {box.name!r} folder 'INBOX': 0 new" not in caplog.text:   # the first poll
                assert time.monotonic() < deadline, caplog.text[-3000:]
                time.sleep(0.05)
            time.sleep(1)   # IDLE is in place
            when = hours_ago(0)
            dovecot.append(imap_user, "INBOX", make_mail(received=when, attachments=[CV]), when)
            while not rx.messages:
                assert time.monotonic() < deadline + 30, caplog.text[-3000:]
                time.sleep(0.05)
        finally:
            stop.set()
            daemon.join(30)
    assert [e.rcpt_tos for e in rx.envelopes] == [["salma.bennani@example.ma"]]
