"""Routing: which posting a mail applies to, from its subject and the mailbox it reached."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from intake.understand.parse import parse
from intake.understand.route import mailboxes_of, route
from intake.rules import load_rules
from tests.conftest import REPO
from tests.support.maildata import make_mail

RULES = load_rules(REPO / "rules")
ECPM = "omp-ecpm-peine-de-mort-2021"
DIALOGUE = "omp-dialogue-detenus-2026"
CONSULTANT = "omp-consultant-gouvernance-2025"
MD = "md-tpm-souss-massa-2020"


def routed(subject, to="omdp.direction.2@gmail.com", delivered_to=None, body="Bonjour,\nci-joint.\n", attachments=()):
    mail = parse(make_mail(subject=subject, to=to, body=body, attachments=attachments))
    boxes = mailboxes_of(mail, {delivered_to} if delivered_to else set(), delivered_to is None, RULES)
    return route(mail, boxes, RULES)


@pytest.mark.parametrize("subject, to, expected", [
    ("Chargé·e projet peine de mort au Maroc", "omdp.direction@gmail.com", ECPM),
    ("RE: TR: Chargée projet peine de mort au Maroc", "omdp.direction@gmail.com", ECPM),
    ("Fwd: CHARGE.E PROJET PEINE DE MORT AU MAROC", "omdp.direction@gmail.com", ECPM),
    ("Chargé(e) projet peine de mort au Maroc - Candidature de Youssef Alami", "omdp.direction@gmail.com", ECPM),
    ("Chargé projet peine de mrot au Maroc", "omdp.direction@gmail.com", ECPM),          # one typo
    ("Candidature_chargé(e) de projet_OMP", "omdp.direction.2@gmail.com", DIALOGUE),
    ("Réf : Candidature chargée de projet OMP", "omdp.direction.2@gmail.com", DIALOGUE),
    ("candidature - charge(e) de projet - OMP", "omdp.direction.2@gmail.com", DIALOGUE),
    ("Consultant – consultante gestions de projets", "omdp.finances@gmail.com", CONSULTANT),
    ("Consultant - consultante gestion de projets", "omdp.direction.2@gmail.com", CONSULTANT),  # hyphen, singular
    ("TR: Candidature Chargé.es des projets Territorialisation des Politiques Migratoires",
     "mohamed.mansour@migdev.org", MD),
    ("Candidature chargée des projets territorialisation politiques migratoires", "mohamed.mansour@migdev.org", MD),
])
def test_a_subject_variant_reaches_its_posting(subject, to, expected):
    decision = routed(subject, to=to)
    assert decision.posting is not None, decision.reason
    assert decision.posting.id == expected


def test_an_application_with_a_garbled_subject_falls_back_to_the_only_posting_at_its_mailbox():
    decision = routed("Ma candidature", to="omdp.direction@gmail.com", delivered_to="omdp.direction@gmail.com")
    assert decision.posting.id == ECPM and decision.reason == "adresse de l'offre"


def test_a_cv_attached_makes_a_mail_plainly_an_application():
    decision = routed("Bonjour", to="omdp.direction@gmail.com",
                      attachments=[("CV_Youssef.pdf", b"%PDF-1.4 x", "application/pdf")])
    assert decision.posting.id == ECPM


def test_no_mailbox_fallback_where_two_postings_share_the_address():
    decision = routed("Ma candidature", to="omdp.direction.2@gmail.com")
    assert decision.posting is None
    assert "2 offres reçoivent du courriel" in decision.reason


def test_spam_to_a_recruiting_address_is_unmatched():
    decision = routed("Apply For Loans @ 2% Per Annum", to="omdp.direction@gmail.com",
                      body="Dear Sir, we offer loans at 2%. Contact us now.")
    assert decision.posting is None
    assert "ne ressemble pas à une candidature" in decision.reason


def test_a_mail_naming_a_posting_that_takes_no_mail_is_not_routed_elsewhere():
    decision = routed("Candidature au poste de Directeur de Promotion des droits de l'Homme",
                      to="omdp.direction@gmail.com")
    assert decision.posting is None
    assert "cndh-directeur-promotion-dh" in decision.reason


def test_an_exact_subject_wins_over_the_mailbox():
    # Sent to the 2026 address but with the 2021 posting's subject: the subject says which posting.
    decision = routed("Chargé·e projet peine de mort au Maroc", to="omdp.direction.2@gmail.com")
    assert decision.posting.id == ECPM and decision.reason == "objet exact"


@pytest.mark.parametrize("subject", ["Candidature chargé de projet TPM", "candidature chargée de projet",
                                     "Candidature - Chargé de projet (TPM)", "TR: chargé de projet TPM - candidature"])
def test_a_near_subject_of_another_posting_never_beats_the_posting_that_owns_the_mailbox(subject):
    # Three of the four words of the OMP posting's subject, sent to an address only M&D uses.
    decision = routed(subject, to="mohamed.mansour@migdev.org",
                      delivered_to="mohamed.mansour@migdev.org")
    assert decision.posting is not None and decision.posting.id == MD, decision.reason
    assert decision.reason == "adresse de l'offre"


def test_a_near_subject_still_routes_mail_whose_mailbox_no_posting_owns():
    decision = routed("Candidature chargé projet", to="someone@else.org")
    assert decision.posting.id == DIALOGUE and decision.reason == "objet proche"


def test_each_decision_says_why_in_the_recruiters_words():
    assert routed("Candidature_chargé(e) de projet_OMP").reason == "objet exact, adresse de l'offre"
    assert routed("Candidature chargé projet", to="omdp.direction.2@gmail.com").reason == "objet proche, adresse de l'offre"


def test_mailbox_comes_from_delivered_to_else_the_posting_addresses_in_to_and_cc():
    mail = parse(make_mail(to="someone@else.org", cc="omdp.finances@gmail.com"))
    assert mailboxes_of(mail, set(), True, RULES) == {"omdp.finances@gmail.com"}
    assert mailboxes_of(mail, {"omdp.direction@gmail.com"}, False, RULES) == {"omdp.direction@gmail.com"}


def test_the_sender_is_the_applicant_address_and_the_display_name_their_name():
    mail = parse(make_mail(sender="=?utf-8?q?Salma_Benn=C3=A2ni?= <Salma.Bennani@Example.MA>"))
    assert (mail.sender, mail.sender_name) == ("salma.bennani@example.ma", "Salma Bennâni")


def test_a_subject_of_ordinary_length_is_remembered_and_a_huge_one_never_is():
    """Scores are remembered, since the applications to a posting mostly share its subject; a
    huge subject (a hostile mail's) is routed the same but never kept in memory."""
    from intake.understand.route import MAX_REMEMBERED, _words, subject_score

    long_subject = "Chargé·e projet peine de mort au Maroc" + " ." * MAX_REMEMBERED
    kept = subject_score.cache_info().currsize, _words.cache_info().currsize
    assert routed(long_subject, to="omdp.direction@gmail.com").posting.id == ECPM
    assert (subject_score.cache_info().currsize, _words.cache_info().currsize) == kept
    short_subject = "Chargé·e projet peine de mort au Maroc - Candidature 4417"
    assert routed(short_subject, to="omdp.direction@gmail.com").posting.id == ECPM
    assert subject_score.cache_info().currsize > kept[0] and _words.cache_info().currsize > kept[1]


def _score_by_definition(subject: str, expected: tuple[str, ...]):
    """subject_score as the rule reads: every word of an expected subject looked for, one in
    four may be missing; the best (share found, words found)."""
    from intake.understand.route import _present, _words

    got, best = _words(subject), None
    if not got:
        return None
    for wanted_subject in expected:
        wanted = list(dict.fromkeys(_words(wanted_subject)))
        if wanted:
            found = sum(1 for word in wanted if _present(word, got))
            if len(wanted) - found <= len(wanted) // 4:
                best = max(best or (0, 0), (found / len(wanted), found))
    return best


_SUBJECT_WORDS = ["Chargé·e", "chargee", "projet", "projt", "peine", "de", "mort", "au", "Maroc",
                  "Candidature", "RE:", "TR:", "coordinateur", "coordinatrice", "régional", "stage",
                  "plaidoyer", "المغرب", "مشروع", "x" * 12]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_SUBJECT_WORDS), max_size=9),
       st.lists(st.lists(st.sampled_from(_SUBJECT_WORDS), min_size=1, max_size=8), min_size=1, max_size=3))
def test_a_subject_scores_as_its_definition_says(subject, expected):
    """subject_score stops looking at a posting's subject once too many of its words are
    missing: the score is still the one the rule gives."""
    from intake.understand.route import subject_score

    subject_text, expected_texts = " ".join(subject), tuple(" ".join(words) for words in expected)
    assert subject_score(subject_text, expected_texts) == _score_by_definition(subject_text, expected_texts)
