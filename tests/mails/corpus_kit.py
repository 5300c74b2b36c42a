"""Shared vocabulary of the mail corpus: postings, addresses, referees, documents, case records.

Deadlines (Africa/Casablanca, UTC+1 on all four dates):
  omp-ecpm-peine-de-mort-2021       2021-02-12 00:00 local = 2021-02-11 23:00 UTC
  omp-dialogue-detenus-2026         2026-05-04 16:00 local = 2026-05-04 15:00 UTC
  omp-consultant-gouvernance-2025   2025-01-22 00:00 local = 2025-01-21 23:00 UTC
  md-tpm-souss-massa-2020           2020-09-24 00:00 local = 2020-09-23 23:00 UTC
Every time below is the topmost Received: header (the organisation's server), given in local time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import corpus_docs as d
from corpus_docs import Person, Referee
from corpus_mime import Mail

Z = ZoneInfo("Africa/Casablanca")
A, B, C, CNDH, E = ("omp-ecpm-peine-de-mort-2021", "omp-dialogue-detenus-2026", "omp-consultant-gouvernance-2025",
                    "cndh-directeur-promotion-dh", "md-tpm-souss-massa-2020")
OMP1, ECPM, OMP2, FIN = ("omdp.direction@gmail.com", "recrutement@ecpm.org", "omdp.direction.2@gmail.com",
                         "omdp.finances@gmail.com")
MD, MDCC = "mohamed.mansour@migdev.org", "abderrazak.elhajri@migdev.org"
SUBJECT = {
    A: "Chargé·e projet peine de mort au Maroc",
    B: "Candidature_chargé(e) de projet_OMP",
    C: "Consultant – consultante gestions de projets",
    E: "Candidature Chargé.es des projets Territorialisation des Politiques Migratoires",
}
POST = {
    A: ("chargé·e de projet « Abolition de la peine de mort au Maroc »", "Observatoire Marocain des Prisons (OMP)"),
    B: ("chargé(e) de projet « Agir en faveur des détenu·e·s vulnérables »", "Observatoire Marocain des Prisons (OMP)"),
    C: ("consultant-e chargé de projet – gouvernance", "Observatoire Marocain des Prisons (OMP)"),
    E: ("chargé·e de projets « Territorialisation des Politiques Migratoires »", "Migrations & Développement"),
}
ROUTE = {  # to, cc, Delivered-To, server
    A: ([OMP1], [ECPM], OMP1, "gmail"),
    B: ([OMP2], [], OMP2, "gmail"),
    C: ([OMP2, FIN], [], OMP2, "gmail"),
    E: ([MD], [MDCC], MD, "migdev"),
}
REFEREES = [
    Referee("Mme Naïma Benyahya", "Directrice exécutive", "Association Adala pour le droit à un procès équitable",
            "n.benyahya@adala-maroc.org", "+212 6 61 23 45 67"),
    Referee("M. Abdellah Alaoui", "Professeur de droit pénal", "Université Hassan II de Casablanca",
            "a.alaoui@univh2c.ma", "+212 6 62 34 56 78"),
    Referee("Mme Latifa Ouazzani", "Coordinatrice de programmes", "Avocats Sans Frontières Maroc",
            "l.ouazzani@asf-maroc.org", "+212 6 63 45 67 89"),
    Referee("M. Karim Tazi", "Chef de projet", "Handicap International Maroc", "k.tazi@hi-maroc.org",
            "+212 6 64 56 78 90"),
    Referee("Mme Fatima Zahra Chraïbi", "Présidente", "Association AMANE", "fz.chraibi@amane.ma",
            "+212 6 65 67 89 01"),
    Referee("M. Rachid Bennis", "Secrétaire général", "Organisation Marocaine des Droits Humains (OMDH)",
            "r.bennis@omdh.ma", "+212 6 66 78 90 12"),
]


@dataclass
class Case:
    mail: Mail
    outcome: str                   # dossier | unmatched | ignored
    note: str
    posting: str | None = None
    applicant: str | None = None
    reason: str | None = None


@dataclass
class Dossier:
    posting: str
    applicant: str
    status: str
    messages: int
    pieces: dict[str, int]
    missing: list[str] = field(default_factory=list)


def at(y: int, mo: int, day: int, h: int, mi: int, s: int = 0) -> datetime:
    return datetime(y, mo, day, h, mi, s, tzinfo=Z)


def refs(n: int, start: int = 0) -> list[Referee]:
    return [REFEREES[(start + i) % len(REFEREES)] for i in range(n)]


# ---------------------------------------------------------------- documents


def cv_pdf(p: Person, refs_in_cv: int = 0, start: int = 0, heading: bool = True) -> bytes:
    return d.pdf(d.cv_fr(p, role="Chargée de projet" if p.female else "Chargé de projet",
                         referees=refs(refs_in_cv, start), heading=heading))


def letter_blocks(p: Person, posting: str, date: str):
    post, org = POST[posting]
    return d.letter_fr(p, post=post, org=org, date=date)


def letter_docx(p: Person, posting: str, date: str) -> bytes:
    return d.docx_bytes(letter_blocks(p, posting, date), author=p.name)


def letter_pdf(p: Person, posting: str, date: str) -> bytes:
    return d.pdf(letter_blocks(p, posting, date))


def refs_pdf(p: Person, n: int, start: int = 0) -> bytes:
    return d.pdf(d.references_fr(p, refs(n, start)))


def refs_docx(p: Person, n: int, start: int = 0) -> bytes:
    return d.docx_bytes(d.references_fr(p, refs(n, start)), author=p.name)


def letter_text(p: Person, posting: str, date: str) -> str:
    """The cover letter as an applicant types it into the mail body."""
    blocks = letter_blocks(p, posting, date)[4:]          # from the salutation on
    return "\n\n".join(text for _, text in blocks) + f"\n{p.phone}\n"


def short_body(p: Person, posting: str, what: str = "mon CV et ma lettre de motivation") -> str:
    return (f"Bonjour,\n\nVeuillez trouver ci-joint {what} pour le poste de {POST[posting][0]}.\n\n"
            f"Cordialement,\n{p.name}\n{p.phone}\n")


def referees_text(referees: list[Referee]) -> str:
    return "\n".join(f"- {r.name}, {r.title}, {r.org} – {r.email} – {r.phone}" for r in referees)


def application(name: str, posting: str, p: Person, received: datetime, attachments, body: str | None = None,
                **kw) -> Mail:
    to, cc, delivered, server = ROUTE[posting]
    kw.setdefault("subject", SUBJECT[posting])
    kw.setdefault("to", to)
    kw.setdefault("cc", cc)
    kw.setdefault("delivered_to", delivered)
    kw.setdefault("server", server)
    kw.setdefault("client", "gmail")
    sender = (kw.pop("sender_name", None) or p.name, p.email)
    return Mail(name=name, sender=sender, received=received, attachments=list(attachments),
                body=body if body is not None else short_body(p, posting), **kw)


def dossier(mail: Mail, posting: str, note: str) -> Case:
    return Case(mail, "dossier", note, posting=posting, applicant=mail.sender[1].lower())
