"""Who is told what arrived, and who never is (pure: understand/acknowledge.py, mail_out/words.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from intake.mail_out.send import next_allowed
from intake.mail_out.words import language_of
from intake.rules import check_rules
from intake.understand.acknowledge import Told, decide
from intake.understand.parse import parse
from tests.support.maildata import make_mail

NOW = datetime(2026, 4, 28, 12, 0, tzinfo=timezone.utc)
RECEIVED = NOW - timedelta(hours=2)
OWN = {"omdp.direction.2@gmail.com", "recrutement@omp.example", "omdp.finances@gmail.com"}
STATE = Told(pieces={"cv": 1}, missing=("cover_letter",))

POSTING = '''title = "Chargé(e) de projet"
addresses = ["omdp.direction.2@gmail.com"]
subject = "Candidature_chargé(e) de projet_OMP"
deadline = 2026-05-04T16:00:00
acknowledge = true
{extra}
[required]
cv = 1
cover_letter = 1
'''


def posting(tmp_path, extra=""):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "omp.toml").write_text(POSTING.format(extra=extra), encoding="utf-8")
    rules = check_rules(folder)
    assert not rules.errors, rules.errors
    return rules.postings[0]


def told(mail: bytes, tmp_path, *, received=RECEIVED, now=NOW, last=None, extra=""):
    return decide(posting(tmp_path, extra), parse(mail), received, now, STATE, last, OWN)


def test_an_applicant_writing_on_time_is_told_at_their_address(tmp_path):
    decision = told(make_mail(), tmp_path)
    assert decision.send and decision.to == "salma.bennani@example.ma"


def test_the_reply_goes_to_the_reply_to_address_when_there_is_one(tmp_path):
    mail = make_mail(headers={"Reply-To": "Salma <salma.pro@example.ma>"})
    assert told(mail, tmp_path).to == "salma.pro@example.ma"


@pytest.mark.parametrize("headers, sender, why", [
    ({"Auto-Submitted": "auto-replied"}, None, "auto-reply"),
    ({"Auto-Submitted": "auto-generated; owner-email=x@y.z"}, None, "auto-reply"),
    ({"Precedence": "bulk"}, None, "bulk"),
    ({"Precedence": "junk"}, None, "bulk"),
    ({"Precedence": "list"}, None, "bulk"),
    ({"List-Id": "<candidats.lists.example.org>"}, None, "bulk"),
    ({"List-Post": "<mailto:candidats@lists.example.org>"}, None, "list or loop header"),
    ({"X-Loop": "candidats@lists.example.org"}, None, "list or loop header"),
    ({"X-Autoreply": "yes"}, None, "auto-reply"),
    ({"X-Auto-Response-Suppress": "All"}, None, "asks for no automatic reply"),
    ({"Return-Path": "<>"}, None, "null return path (a bounce)"),
    ({}, "MAILER-DAEMON@mx.example.ma", "bounce"),
    ({}, "Ne pas répondre <noreply@rekrute.com>", "a no-reply or robot address"),
    ({}, "no-reply@jobs.example.org", "a no-reply or robot address"),
    ({}, "candidats-bounces@lists.example.org", "a no-reply or robot address"),
    ({}, "Direction OMP <omdp.direction.2@gmail.com>", "own-mail"),
    ({"Reply-To": "noreply@example.ma"}, None, "a no-reply or robot address"),
    ({"Reply-To": "recrutement@omp.example"}, None, "the organisation's own address"),
    ({"Reply-To": "a@example.ma, b@example.ma"}, None, "Reply-To names several addresses"),
])
def test_never_to_machine_mail_lists_robots_or_ourselves(tmp_path, headers, sender, why):
    mail = make_mail(headers=headers, **({"sender": sender} if sender else {}))
    decision = told(mail, tmp_path)
    assert not decision.send and decision.reason == why


def test_never_for_a_late_message(tmp_path):
    deadline = datetime(2026, 5, 4, 15, 0, tzinfo=timezone.utc)   # 16:00 in Casablanca
    decision = told(make_mail(), tmp_path, received=deadline, now=deadline + timedelta(minutes=1))
    assert (decision.send, decision.reason) == (False, "late message")


def test_never_once_the_deadline_has_passed_even_for_a_message_received_on_time(tmp_path):
    deadline = datetime(2026, 5, 4, 15, 0, tzinfo=timezone.utc)
    decision = told(make_mail(), tmp_path, received=deadline - timedelta(minutes=5),
                    now=deadline + timedelta(seconds=1))
    assert (decision.send, decision.reason) == (False, "deadline passed")


def test_never_for_mail_received_long_before_it_is_understood(tmp_path):
    """A backfill of an old mailbox writes to nobody."""
    assert not told(make_mail(), tmp_path, received=NOW - timedelta(hours=49)).send
    assert told(make_mail(), tmp_path, received=NOW - timedelta(hours=47)).send
    assert not told(make_mail(), tmp_path, received=NOW - timedelta(hours=7),
                    extra="acknowledge_within_hours = 6").send


def test_never_twice_for_the_same_state(tmp_path):
    same = Told(pieces={"cv": 1}, missing=("cover_letter",))
    decision = told(make_mail(), tmp_path, last=same)
    assert (decision.send, decision.reason) == (False, "nothing new since the last acknowledgement")
    assert told(make_mail(), tmp_path, last=Told(pieces={}, missing=("cv", "cover_letter"))).send


def test_off_unless_the_rules_file_says_so(tmp_path):
    folder = tmp_path / "off"
    folder.mkdir()
    (folder / "omp.toml").write_text(POSTING.format(extra="").replace("acknowledge = true\n", ""), encoding="utf-8")
    off = check_rules(folder).postings[0]
    decision = decide(off, parse(make_mail()), RECEIVED, NOW, STATE, None, OWN)
    assert (decision.send, decision.reason) == (False, "posting does not acknowledge")


def test_at_most_the_daily_cap_in_any_24_hours():
    sent = [NOW - timedelta(hours=h) for h in (30, 20, 5, 1)]   # three in the last 24 hours
    assert next_allowed(sent, NOW, cap=4) is None
    assert next_allowed(sent, NOW, cap=3) == NOW - timedelta(hours=20) + timedelta(hours=24)
    assert next_allowed([], NOW, cap=1) is None


@pytest.mark.parametrize("text, language", [
    ("Bonjour,\n\nVeuillez trouver ci-joint mon CV et ma lettre de motivation.\nCordialement", "fr"),
    ("Dear Sir or Madam,\n\nPlease find attached my CV for the position. Kind regards", "en"),
    ("السلام عليكم،\nتجدون رفقته سيرتي الذاتية ورسالة التحفيز.\nSalma Bennani", "ar"),
    ("CV", "fr"),
    ("Bonjour, ci-joint mon CV.\n> On Monday, the recruiter wrote: please send the documents for the job", "fr"),
])
def test_the_reply_is_in_the_language_the_applicant_wrote_in(text, language):
    assert language_of(text) == language


def test_never_for_an_application_a_colleague_forwarded(tmp_path):
    decision = decide(posting(tmp_path), parse(make_mail()), RECEIVED, NOW, STATE, None, OWN, forwarded=True)
    assert (decision.send, decision.reason) == (False, "forwarded by a colleague")


def test_a_dossier_line_says_what_was_last_told_not_what_was_cancelled_since():
    from intake.reports.words import acknowledged_words

    items = [{"state": "sent", "at": "2026-04-28T09:12:00+00:00", "pieces": {"cv": 1}, "missing": ["cover_letter"]},
             {"state": "cancelled", "at": "2026-04-28T10:00:00+00:00", "error": "rien de nouveau à dire"}]
    assert acknowledged_words(items, "Africa/Casablanca", {}, {"cv": 1, "cover_letter": 1}) == \
        "envoyé le 28/04/2026 10:12 (manquait : lettre de motivation)"
    assert acknowledged_words(items[1:], "Africa/Casablanca", {}, {}).startswith("annulé le 28/04/2026 11:00")
