"""Report dictionaries shaped like the ones intake/reports/build.py makes, for tests and benches.

sample_report(): a small, realistic report over the seed postings (every status, every section).
synthetic_report(): a large one (bench/bench_report.py: 50 postings, 10,000 dossiers).
"""
from __future__ import annotations

import hashlib
import random

LABELS = {"cv": "CV", "cover_letter": "lettre de motivation", "references": "référence",
          "methodology_note": "note méthodologique",
          "financial_proposal": "proposition financière"}


def _sha(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def document(file: str, pieces: list[str], applicant: str, evidence: str = "nom et contenu",
             ext: str = "pdf") -> dict:
    digest = _sha(file, applicant)
    return {"file": file, "pieces": pieces, "evidence": evidence,
            "stored_as": f"attachments/{digest[:2]}/{digest}.{ext}",
            "message_id": f"<{digest[:12]}@mail.example.ma>", "key": digest,
            "message_pk": int(digest[:6], 16)}


def dossier(applicant: str, name: str, status: str, pieces: dict, missing: list[str],
            first: str, last: str | None = None, review: list[dict] | None = None,
            is_new: bool = False, late_by: int | None = None,
            documents: list[dict] | None = None) -> dict:
    ids = [f"<{_sha(applicant, first)[:16]}@mail.gmail.com>"]
    if last and last != first:
        ids.append(f"<{_sha(applicant, last)[:16]}@outlook.com>")
    return {"id": int(_sha(applicant, first)[:6], 16), "applicant": applicant, "name": name,
            "status": status,
            "first_received_at": first, "last_received_at": last or first,
            "messages": len(ids), "message_ids": ids, "pieces": pieces, "missing": missing,
            "needs_review": review or [], "is_new": is_new, "late_by_seconds": late_by,
            "documents": documents or []}


def posting(pid: str, title: str, organisation: str, deadline: str | None, days_left,
            closed: bool, required: dict, dossiers: list[dict], addresses: list[str],
            subject: str, recipients: list[str] | None = None,
            labels: dict | None = None, takes_mail: bool = True) -> dict:
    counts = {k: sum(d["status"] == k for d in dossiers)
              for k in ("complete", "incomplete", "late")}
    return {"id": pid, "title": title, "organisation": organisation, "deadline": deadline,
            "timezone": "Africa/Casablanca", "takes_mail": takes_mail, "addresses": addresses,
            "subject": subject, "days_left": days_left, "closed": closed, "required": required,
            "labels": {**LABELS, **(labels or {})}, "recipients": recipients or [],
            "counts": counts, "dossiers": dossiers}


def _dialogue() -> dict:
    salma, youssef, karima = ("salma.bennani@example.ma", "youssef.elamrani@gmail.com",
                              "k.tazi@menara.ma")
    return posting(
        "omp-dialogue-detenus-2026",
        "Chargé(e) de projet « Agir en faveur des détenu.e.s vulnérables »",
        "Observatoire Marocain des Prisons (OMP)", "2026-05-04T16:00:00+01:00", 12, False,
        {"cv": 1, "cover_letter": 1, "references": 3},
        [dossier(salma, "Salma Bennani", "complete", {"cv": 1, "cover_letter": 1,
                 "references": 3}, [], "2026-04-20T09:12:00+00:00",
                 "2026-04-22T10:00:00+00:00", is_new=True, documents=[
                     document("CV_Salma.pdf", ["cv"], salma),
                     document("Lettre de motivation.docx", ["cover_letter"], salma,
                              "contenu", "docx"),
                     document("Références.pdf", ["references"], salma, "contenu")]),
         dossier(youssef, "Youssef El Amrani", "incomplete", {"cv": 1, "references": 1},
                 ["cover_letter", "references"], "2026-04-22T18:40:00+00:00", is_new=True,
                 review=[{"file": "scan0001.pdf", "reason": "scan sans texte (image seule)"}],
                 documents=[document("CV Youssef EL AMRANI.pdf", ["cv", "references"],
                                     youssef), document("scan0001.pdf", [], youssef, "")]),
         dossier(karima, "كريمة التازي", "incomplete", {"cover_letter": 1, "references": 3},
                 ["cv"], "2026-04-15T11:05:00+00:00",
                 review=[{"file": "Diplome_master.pdf",
                          "reason": "fichier protégé par un mot de passe"}],
                 documents=[document("lettre.pdf", ["cover_letter", "references"], karima),
                            document("Diplome_master.pdf", [], karima, "")])],
        ["omdp.direction.2@gmail.com"], "Candidature_chargé(e) de projet_OMP",
        recipients=["rh@omp.ma"])


def _gouvernance() -> dict:
    omar, hamid, nadia = "omar.chraibi@yahoo.fr", "h.ouali@consult.ma", "nadia.berrada@gmail.com"
    required = {"cv": 1, "methodology_note": 1, "financial_proposal": 1}
    return posting(
        "omp-consultant-gouvernance-2025", "Consultant – consultante gestion de projets",
        "Observatoire Marocain des Prisons (OMP)", "2025-01-22T00:00:00+01:00", None, True,
        required,
        [dossier(omar, "Omar Chraibi", "complete",
                 {"cv": 1, "methodology_note": 1, "financial_proposal": 1}, [],
                 "2025-01-20T16:30:00+00:00", documents=[
                     document("CV.pdf", ["cv"], omar),
                     document("Offre technique et financière.pdf",
                              ["methodology_note", "financial_proposal"], omar)]),
         dossier(hamid, "Hamid Ouali", "late",
                 {"cv": 1, "methodology_note": 1, "financial_proposal": 1}, [],
                 "2025-01-22T00:30:00+00:00", late_by=5400, is_new=True,
                 documents=[document("dossier_complet.pdf",
                                     ["cv", "methodology_note", "financial_proposal"], hamid)]),
         dossier(nadia, "Nadia Berrada", "late", {"cv": 1}, ["methodology_note",
                 "financial_proposal"], "2025-01-24T23:15:00+00:00", late_by=3 * 86400 + 900,
                 documents=[document("Nadia_Berrada_CV.docx", ["cv"], nadia, ext="docx")])],
        ["omdp.direction.2@gmail.com", "omdp.finances@gmail.com"],
        "Consultant – consultante gestions de projets", recipients=["finances@omp.ma"])


def _migdev() -> dict:
    rachid = "rachid.amzil@hotmail.com"
    return posting(
        "md-tpm-souss-massa-2020",
        "Chargé.es des projets Territorialisation des Politiques Migratoires (Souss-Massa)",
        "Migrations & Développement", "2020-09-24T00:00:00+01:00", None, True,
        {"cv": 1, "cover_letter": 1, "diploma": 1},
        [dossier(rachid, "Rachid Amzil", "incomplete", {"cv": 1, "cover_letter": 1},
                 ["diploma"], "2020-09-20T08:00:00+00:00", "2020-09-23T21:10:00+00:00",
                 documents=[document("CV_RA.pdf", ["cv"], rachid),
                            document("LM_RA.pdf", ["cover_letter"], rachid)])],
        ["mohamed.mansour@migdev.org"],
        "Candidature Chargé.es des projets Territorialisation des Politiques Migratoires",
        labels={"diploma": "copie du diplôme"})


def _cndh() -> dict:
    return posting("cndh-directeur-promotion-dh",
                   "Directeur de la promotion des droits de l'Homme",
                   "Conseil National des Droits de l'Homme (CNDH)", None, None, False,
                   {"cv": 1}, [], [], "", takes_mail=False)


def sample_report(data_dir: str = "/srv/intake/data") -> dict:
    """A fresh, realistic report: every status, review item, late dossier and side list."""
    return {
        "generated_at": "2026-04-22T20:00:00+00:00",
        "since": "2026-04-21T20:00:05+00:00",
        "timezone": "Africa/Casablanca",
        "postings": [_dialogue(), _gouvernance(), _migdev(), _cndh()],
        "unmatched": [
            {"pk": 901, "message_id": "<spont-1@gmail.com>", "from": "amine.idrissi@gmail.com",
             "subject": "Candidature spontanée – stage", "received_at":
             "2026-04-22T07:45:00+00:00", "reason": "ni l'adresse ni l'objet ne correspondent"
             " à une offre ouverte"}],
        "ignored": [
            {"message_id": "<b1@mx.google.com>", "from": "mailer-daemon@googlemail.com",
             "subject": "Delivery Status Notification (Failure)",
             "received_at": "2026-04-22T08:00:00+00:00", "reason": "bounce"},
            {"message_id": "<ar1@outlook.com>", "from": "l.alaoui@outlook.com",
             "subject": "Réponse automatique : Candidature", "received_at":
             "2026-04-22T09:00:00+00:00", "reason": "auto-reply"},
            {"message_id": "<nl1@news.example.org>", "from": "news@ong-info.example.org",
             "subject": "Lettre d'information – avril", "received_at":
             "2026-04-22T10:00:00+00:00", "reason": "bulk"},
            {"message_id": "<own1@gmail.com>", "from": "omdp.direction.2@gmail.com",
             "subject": "Accusé de réception", "received_at": "2026-04-22T11:00:00+00:00",
             "reason": "own-mail"}],
        "failed": [
            {"pk": 977, "message_id": "<broken-77@example.net>",
             "stored_as": "messages/ab/ab12" + _sha("broken")[4:] + ".eml",
             "error": "parse: en-tête MIME illisible (boundary manquant)", "attempts": 2}],
        "data_dir": data_dir,
        "web": {"base_url": None, "token": None},
    }


def synthetic_report(postings: int = 50, dossiers: int = 10_000, seed: int = 7) -> dict:
    """A large report for benchmarks: dossiers spread over postings, every status present."""
    rnd = random.Random(seed)
    report = sample_report()
    report["postings"] = []
    statuses = ("complete", "incomplete", "late")
    per = [dossiers // postings + (i < dossiers % postings) for i in range(postings)]
    for i, n in enumerate(per):
        items = []
        for j in range(n):
            who = f"candidat.{i}.{j}@example.ma"
            status = rnd.choice(statuses)
            missing = [] if status == "complete" else rnd.sample(["cover_letter", "references"],
                                                                  rnd.randint(1, 2))
            pieces = {"cv": 1, "cover_letter": int("cover_letter" not in missing),
                      "references": 3 if "references" not in missing else rnd.randint(0, 2)}
            review = ([{"file": f"scan{j}.pdf", "reason": "scan sans texte (image seule)"}]
                      if rnd.random() < 0.1 else [])
            items.append(dossier(
                who, f"Candidat {i}-{j}", status, pieces, missing,
                f"2026-04-{rnd.randint(1, 22):02d}T{rnd.randint(0, 23):02d}:10:00+00:00",
                review=review, is_new=rnd.random() < 0.2,
                late_by=rnd.randint(60, 9 * 86400) if status == "late" else None,
                documents=[document(f"CV_{j}.pdf", ["cv"], who),
                           document(f"LM_{j}.docx", ["cover_letter"], who, ext="docx")]))
        report["postings"].append(posting(
            f"chargee-de-projet-regional-2026-offre-{i:02d}", f"Offre n°{i} : chargé(e) de projet",
            "ONG", "2026-05-04T16:00:00+01:00", 12, False,
            {"cv": 1, "cover_letter": 1, "references": 3}, items, [f"offre{i}@example.ma"],
            f"Candidature offre {i}"))
    return report
