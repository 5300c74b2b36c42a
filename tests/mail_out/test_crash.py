"""A crash never sends an acknowledgement twice and never loses one."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.conftest import REPO
from tests.mail_out.desk import CV, LETTER, Desk, hours_ago
from tests.support.maildata import make_mail
from tests.support.smtp import smtp_receiver


def test_a_sender_killed_between_smtp_acceptance_and_the_outbox_update_never_resends(tmp_path, db_url, capsys):
    """The SMTP server stores the mail, then the sending process is SIGKILLed before it hears
    the 250: the outbox still says "sending". The next run does not send it again: it marks it
    uncertain, and the report names its Message-ID for a person to look up."""
    sender: list[subprocess.Popen] = []

    def kill_the_sender() -> None:
        os.kill(sender[0].pid, signal.SIGKILL)

    with smtp_receiver(after_accept=kill_the_sender) as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}, "PYTHONPATH": str(REPO)}
        sender.append(subprocess.Popen([sys.executable, "-m", "intake", *desk.args("acknowledge")], cwd=REPO,
                                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert sender[0].wait(timeout=120) == -signal.SIGKILL
        assert len(rx.envelopes) == 1
        assert [r.state for r in desk.rows()] == ["sending"]        # recorded before DATA

        rx.after_accept = None
        assert desk.intake("acknowledge") == 1                      # a person should look
        assert desk.intake("acknowledge") == 0
        assert desk.intake("reprocess") == 0
        assert desk.intake("acknowledge") == 0
        assert len(rx.envelopes) == 1                               # never twice

        row = desk.rows()[0]
        assert row.state == "uncertain" and row.message_id == rx.messages[0]["Message-ID"]
        capsys.readouterr()
        desk.intake("report")
        report = " ".join(capsys.readouterr().out.split())
        assert "0 envoyé, 0 en échec, 0 en attente, 1 incertain" in report
        assert "envoi incertain le" in report and row.message_id in report

        desk.ingest(make_mail(received=hours_ago(0.5), attachments=[LETTER]))   # a new state is told
        assert desk.intake("acknowledge") == 0
    assert len(rx.envelopes) == 2
    assert [r.state for r in desk.rows()] == ["uncertain", "sent"]


def test_an_unreachable_server_loses_nothing_the_next_run_sends(tmp_path, db_url):
    with smtp_receiver() as rx:
        port = rx.port
    desk = Desk(tmp_path, db_url, port)                            # nobody listens there now
    desk.ingest(make_mail(received=hours_ago(1), attachments=[CV]))
    assert desk.intake("acknowledge") == 0
    assert [(r.state, r.attempts) for r in desk.rows()] == [("queued", 1)]
    with smtp_receiver() as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        assert desk.intake("acknowledge") == 0
    assert len(rx.messages) == 1 and [r.state for r in desk.rows()] == ["sent"]


def test_a_refusal_does_not_stop_the_other_acknowledgements_of_the_run(tmp_path, db_url):
    with smtp_receiver(refuse_first=1) as rx:
        desk = Desk(tmp_path, db_url, rx.port)
        desk.ingest(*[make_mail(received=hours_ago(1), sender=f"Candidat {n} <c{n}@example.ma>", attachments=[CV])
                      for n in range(3)])
        assert desk.intake("acknowledge") == 0
        assert [r.state for r in desk.rows()] == ["queued", "sent", "sent"]   # the first refused with 451
        assert desk.intake("acknowledge") == 0
    assert sorted(e.rcpt_tos[0] for e in rx.envelopes) == ["c0@example.ma", "c1@example.ma", "c2@example.ma"]
