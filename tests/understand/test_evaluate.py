"""Evaluation: the status, pieces and missing pieces of a dossier, as interface.md defines them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from intake.understand.evaluate import Found, MessageFacts, evaluate
from intake.rules import Posting

CASA = ZoneInfo("Africa/Casablanca")
DEADLINE = datetime(2026, 5, 4, 16, 0, tzinfo=CASA)
POSTING = Posting(id="p", title="t", organisation=None, addresses=("a@b.ma",), subjects=("s",),
                  deadline=DEADLINE, timezone="Africa/Casablanca",
                  required={"cv": 1, "cover_letter": 1, "references": 3}, cover_letter_in_body=True,
                  recipients=(), vocab={})


def msg(when, *found, review=()):
    return MessageFacts(message_id=f"<{when.isoformat()}>", received_at=when, found=tuple(found), needs_review=review)


def cv(doc="h1"):
    return Found("cv", 1, doc, "cv.pdf")


def letter(doc="h2"):
    return Found("cover_letter", 1, doc, "lettre.pdf")


def refs(n, doc="h3"):
    return Found("references", n, doc, "references.pdf")


BEFORE = DEADLINE - timedelta(seconds=1)
AFTER = DEADLINE + timedelta(minutes=1)


def test_every_piece_on_time_is_complete():
    verdict = evaluate(POSTING, [msg(BEFORE, cv(), letter(), refs(3))])
    assert (verdict.status, verdict.missing) == ("complete", [])
    assert verdict.pieces == {"cover_letter": 1, "cv": 1, "references": 3}


def test_the_deadline_instant_itself_is_late():
    verdict = evaluate(POSTING, [msg(DEADLINE.astimezone(timezone.utc), cv(), letter(), refs(3))])
    assert verdict.status == "late"


def test_morocco_local_time_is_used_for_the_deadline():
    # 16:00 in Casablanca on 4 May 2026 is 15:00 UTC (UTC+1 outside Ramadan).
    assert DEADLINE.astimezone(timezone.utc) == datetime(2026, 5, 4, 15, 0, tzinfo=timezone.utc)


def test_too_few_references_leaves_the_dossier_incomplete():
    verdict = evaluate(POSTING, [msg(BEFORE, cv(), letter(), refs(1))])
    assert (verdict.status, verdict.missing) == ("incomplete", ["references"])


def test_a_follow_up_merges_into_the_dossier():
    verdict = evaluate(POSTING, [msg(BEFORE - timedelta(days=1), cv()), msg(BEFORE, letter(), refs(3))])
    assert verdict.status == "complete"
    assert len(verdict.message_ids) == 2


def test_a_piece_sent_after_the_deadline_does_not_complete_the_dossier():
    verdict = evaluate(POSTING, [msg(BEFORE, cv(), letter()), msg(AFTER, refs(3))])
    assert (verdict.status, verdict.missing) == ("incomplete", ["references"])
    assert verdict.pieces["references"] == 3  # still shown as found


def test_a_dossier_with_no_message_on_time_is_late_and_says_what_it_lacked():
    verdict = evaluate(POSTING, [msg(AFTER, cv(), letter())])
    assert (verdict.status, verdict.missing) == ("late", ["references"])
    assert verdict.late_by_seconds == 60


def test_the_same_document_sent_twice_counts_once():
    verdict = evaluate(POSTING, [msg(BEFORE, refs(2, doc="same")), msg(BEFORE, refs(2, doc="same"), cv(), letter())])
    assert verdict.pieces["references"] == 2
    assert verdict.missing == ["references"]


def test_needs_review_lists_each_file_once():
    verdict = evaluate(POSTING, [msg(BEFORE, cv(), review=(("scan.pdf", "scan sans texte"),)),
                                 msg(BEFORE, review=(("scan.pdf", "scan sans texte"),))])
    assert verdict.needs_review == [{"file": "scan.pdf", "reason": "scan sans texte"}]


def test_a_referee_named_in_the_cv_and_again_in_the_body_counts_once():
    in_cv = Found("references", 2, "cv-hash", "cv.pdf", referees=("a.alaoui@amdh.ma", "+212661000002"))
    in_body = Found("references", 2, "body:1", "corps du message", referees=("a.alaoui@amdh.ma", "k.idrissi@omdh.ma"))
    verdict = evaluate(POSTING, [msg(BEFORE, cv(), letter(), in_cv, in_body)])
    assert verdict.pieces["references"] == 3 and verdict.status == "complete"
