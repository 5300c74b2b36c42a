"""ParsedMail -> the posting it applies to, or unmatched with the reason (pure).

Evidence that cannot be mistaken wins over evidence that can: an exact subject (every word of
a posting's subject, a typo allowed) and the mailbox the mail reached beat a subject that merely
resembles a posting's. A near subject of a posting that never takes mail at the mailbox the
mail reached never takes it from the posting that owns that mailbox. Each decision says why,
in the recruiters' words (EXACT_SUBJECT, NEAR_SUBJECT, MAILBOX).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .parse import ParsedMail
from ..rules import Posting, RuleSet
from ..text import fold, subject_words

APPLICATION_WORDS = ("candidature", "postuler", "je postule", "application for", "job application",
                     "applying for", "ترشيح", "ترشح", "طلب توظيف", "طلب عمل")
CV_NAMES = {"cv", "curriculum", "resume", "سيرة", "السيرة"}


EXACT_SUBJECT = "objet exact"
NEAR_SUBJECT = "objet proche"
MAILBOX = "adresse de l'offre"


@dataclass(frozen=True)
class Route:
    posting: Posting | None
    reason: str


def mailboxes_of(mail: ParsedMail, delivered_to: set[str], any_unknown: bool, rules: RuleSet) -> set[str]:
    """interface.md: Delivered-To (or the IMAP account); else the posting addresses in To and Cc."""
    boxes = set(delivered_to)
    if any_unknown or not boxes:
        boxes |= {a for a in mail.to + mail.cc if a in rules.addresses}
    return boxes


def route(mail: ParsedMail, mailboxes: set[str], rules: RuleSet) -> Route:
    taking = [p for p in rules.postings if p.takes_mail]
    at_box = [p for p in taking if set(p.addresses) & mailboxes]
    scores = {p.id: score for p in taking if (score := subject_score(mail.subject, p.subjects)) is not None}
    exact = [p for p in taking if p.id in scores and scores[p.id][0] == 1.0]
    near = [p for p in taking if p.id in scores and p not in exact]
    waiting = _waiting_for(mail, mailboxes, rules)
    for candidates, why in ((exact, EXACT_SUBJECT), (near, NEAR_SUBJECT)):
        if waiting and why == NEAR_SUBJECT:
            return waiting
        if why == NEAR_SUBJECT and at_box:
            candidates = [p for p in candidates if p in at_box]   # a resemblance never beats the mailbox
        if decision := _best(candidates, at_box, scores, why):
            return decision
    for posting in rules.postings:
        if not posting.takes_mail and subject_score(mail.subject, (posting.title,)) is not None:
            return Route(None, f"vise l'offre {posting.id}, qui ne reçoit pas de candidatures par courriel")
    return waiting or _by_mailbox(mail, mailboxes, at_box)


def _waiting_for(mail: ParsedMail, mailboxes: set[str], rules: RuleSet) -> Route | None:
    """A rules file with errors that names an address this mail reached: its posting is
    disabled, so the mail waits unmatched (sorted again when the file is fixed) rather than
    go, by its mailbox or a resembling subject, to another posting. An exact subject still wins."""
    reached = mailboxes | {a.lower() for a in mail.to + mail.cc}
    names = sorted(f.path.name for f in rules.invalid if f.addresses & reached)
    if not names:
        return None
    return Route(None, f"en attente : le fichier de règles {', '.join(names)} contient une erreur ; "
                       "ce message sera trié quand il sera corrigé")


def _best(candidates: list[Posting], at_box: list[Posting], scores: dict, why: str) -> Route | None:
    """Among postings whose subject fits: those taking mail at this mailbox first, then the
    better fit; a tie is for a person to settle."""
    if not candidates:
        return None
    ranked = sorted(candidates, key=lambda p: (p in at_box, scores[p.id]), reverse=True)
    first = ranked[0]
    if len(ranked) > 1 and (ranked[1] in at_box, scores[ranked[1].id]) == (first in at_box, scores[first.id]):
        return Route(None, f"l'objet correspond à plusieurs offres ({first.id}, {ranked[1].id})")
    return Route(first, f"{why}, {MAILBOX}" if first in at_box else why)


def _by_mailbox(mail: ParsedMail, mailboxes: set[str], at_box: list[Posting]) -> Route:
    where = ", ".join(sorted(mailboxes)) or "une boîte inconnue"
    if not looks_like_application(mail):
        return Route(None, f"l'objet ne correspond à aucune offre et le message ne ressemble pas à une candidature (envoyé à {where})")
    if len(at_box) == 1:
        return Route(at_box[0], MAILBOX)
    if not at_box:
        return Route(None, f"une candidature, mais son objet ne correspond à aucune offre et aucune offre ne reçoit de courriel à {where}")
    names = ", ".join(p.id for p in at_box)
    return Route(None, f"une candidature dont l'objet ne correspond à aucune offre ; {len(at_box)} offres reçoivent "
                       f"du courriel à {where} ({names}) : à attribuer à la main")


def looks_like_application(mail: ParsedMail) -> bool:
    said = fold(f"{mail.subject}\n{mail.body[:3000]}")
    if any(word in said for word in APPLICATION_WORDS):
        return True
    return any(set(re.split(r"[\W_]+", fold(a.filename))) & CV_NAMES for a in mail.attachments)


MAX_REMEMBERED = 500   # characters: a longer subject is worked out each time, never kept


def remembered_when_short(maxsize: int):
    """lru_cache for a function of a subject, for subjects of ordinary length only: 4,096
    remembered subjects of 40,000 characters (a hostile mail's) would hold 160 MB."""
    def wrap(function):
        remembered = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(subject: str, *rest):
            return (function if len(subject) > MAX_REMEMBERED else remembered)(subject, *rest)
        call.cache_info = remembered.cache_info
        return call
    return wrap


@remembered_when_short(4096)
def subject_score(subject: str, expected: tuple[str, ...]) -> tuple[float, int] | None:
    """How well a mail subject covers one of the expected subjects; None when it does not.

    Each expected word must appear (accents, case, inclusive writing and one typo tolerated);
    one word in four may be missing. Extra words in the mail's subject are fine. Remembered:
    the applications to a posting mostly share its subject, and each is compared with every
    posting's.
    """
    got = _words(subject)
    if not got:
        return None
    best = None
    for wanted_subject in expected:
        wanted = _words(wanted_subject)
        if not wanted:
            continue
        allowed, missing = len(wanted) // 4, 0
        for word in wanted:
            if not _present(word, got):
                missing += 1
                if missing > allowed:   # this subject is out: the other words need no looking at
                    break
        else:
            found = len(wanted) - missing
            score = (found / len(wanted), found)
            best = score if best is None or score > best else best
    return best


@remembered_when_short(1024)
def _words(subject: str) -> tuple[str, ...]:
    """subject_words, each once, remembered: a mail's subject is compared with every
    posting's, and the postings' subjects with every mail's."""
    return tuple(dict.fromkeys(subject_words(subject)))


def _present(word: str, got: tuple[str, ...]) -> bool:
    if word in got:
        return True
    if len(word) < 5:
        return False
    return any(fuzz.ratio(word, other) >= 80 for other in got if abs(len(other) - len(word)) <= 2)
