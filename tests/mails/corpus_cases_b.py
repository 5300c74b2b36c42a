"""Mail reaching omdp.direction.2@gmail.com about the 2026 DIALOGUE posting (cv, cover_letter,
references x3, deadline 2026-05-04 16:00 local = 15:00 UTC). That address is shared with the 2025
consultant posting, so there is no mailbox fallback: a subject that names nothing is unmatched."""
from __future__ import annotations

import corpus_docs as d
from corpus_docs import Person
from corpus_kit import (B, OMP2, REFEREES, SUBJECT, Case, Dossier, application, at, cv_pdf, dossier, letter_docx,
                        letter_pdf, letter_text, refs, refs_docx, refs_pdf, referees_text, short_body)

MERYEM = Person("Meryem Bouzidi", "meryem.bouzidi@gmail.com", "+212 6 61 37 20 84")
ZAKARIA = Person("Zakaria Idrissi", "zakaria.idrissi@outlook.com", "+212 6 62 48 31 95", female=False)
GHITA = Person("Ghita Lahlou", "ghita.lahlou@gmail.com", "+212 6 63 59 42 06", "Mohammedia")
DRISS = Person("Driss Benali", "driss.benali@gmail.com", "+212 6 64 60 53 17", "Settat", female=False)
SOUKAINA = Person("Soukaina Rami", "soukaina.rami@gmail.com", "+212 6 65 71 64 28", "El Jadida")
ILYAS = Person("Ilyas Sefrioui", "ilyas.sefrioui@outlook.fr", "+212 6 66 82 75 39", female=False)
ASMAE = Person("Asmae Kabbaj", "asmae.kabbaj@gmail.com", "+212 6 67 93 86 40")
AMINE = Person("Amine Tazi", "amine.tazi@outlook.com", "+212 6 68 04 97 51", female=False)
HOUDA = Person("Houda Mernissi", "houda.mernissi@gmail.com", "+212 6 69 15 08 62", "Rabat")
YASSINE = Person("Yassine Chami", "yassine.chami@menara.ma", "+212 6 70 26 19 73", female=False)
NORA = Person("Nora Benkirane", "nora.benkirane@gmail.com", "+212 6 71 37 20 84")
TAHA = Person("Taha Lazrak", "taha.lazrak@icloud.com", "+212 6 72 48 31 95", female=False)
REDA = Person("Reda Fikri", "reda.fikri@gmail.com", "+212 6 73 59 42 06", female=False)
ASMAA = Person("Asmaa Zahraoui", "asmaa.zahraoui@gmail.com", "+212 6 74 60 53 17")
MOUAD = Person("Mouad Cherkaoui", "mouad.cherkaoui@gmail.com", "+212 6 75 71 64 28", female=False)
WIAM = Person("Wiam Benslimane", "wiam.benslimane@outlook.fr", "+212 6 76 82 75 39", "Ben Slimane")
OTHMANE = Person("Othmane Guessous", "Othmane.Guessous@gmail.com", "+212 6 77 93 86 40", female=False)
HICHAM = Person("Hicham Sbai", "hicham.sbai@gmail.com", "+212 6 61 40 51 62", female=False)
OMP = Person("Observatoire Marocain des Prisons", OMP2)


def full_set(p: Person, date: str, start: int = 0, letter=letter_docx, ref=refs_pdf):
    return [("CV.pdf", cv_pdf(p)), (f"Lettre de motivation - {p.name.split()[0]}.docx", letter(p, B, date)),
            ("Références.pdf", ref(p, 3, start))]


def cases_b() -> list[Case]:
    mouad_first = application("b15-followup-cv-and-letter", B, MOUAD, at(2026, 4, 29, 19, 22, 5), [
        ("CV Mouad Cherkaoui.pdf", cv_pdf(MOUAD)),
        ("Lettre de motivation.docx", letter_docx(MOUAD, B, "29 avril 2026"))])
    wiam_first = application("b17-late-followup-first", B, WIAM, at(2026, 5, 3, 22, 41, 30), [
        ("CV_Wiam_Benslimane.pdf", cv_pdf(WIAM, refs_in_cv=2, start=2)),
        ("Lettre de motivation.pdf", letter_pdf(WIAM, B, "3 mai 2026"))], client="outlook")
    othmane_docs = full_set(OTHMANE, "30 avril 2026", 1)
    othmane_first = application("b23-resend-first", B, OTHMANE, at(2026, 4, 30, 10, 0, 0), othmane_docs)
    othmane_again = application(
        "b24-resend-same-documents", B, Person(OTHMANE.name, OTHMANE.email.lower()), at(2026, 4, 30, 18, 42, 7),
        othmane_docs, subject="Re: " + SUBJECT[B], in_reply_to=othmane_first.msgid,
        body="Bonjour,\n\nJe me permets de renvoyer mon dossier, je ne suis pas sûr que le premier envoi soit parti.\n\n"
             "Cordialement,\nOthmane Guessous\n\nLe jeu. 30 avr. 2026 à 10:00, Othmane Guessous "
             "<Othmane.Guessous@gmail.com> a écrit :\n\n> " + short_body(OTHMANE, B).replace("\n", "\n> ") + "\n")
    return [
        dossier(othmane_first, B, "First sending of a complete application (mixed-case address)."),
        dossier(othmane_again, B, "The same documents sent again the same day from the lower-case address, quoting\n"
                                  "the first mail: same dossier, two messages, each document counted once."),
        dossier(application("b25-same-sender-two-postings", B, HICHAM, at(2026, 4, 25, 12, 12, 12), [
            ("CV Hicham Sbai 2026.pdf", cv_pdf(HICHAM, refs_in_cv=3, start=3)),
            ("Lettre de motivation.docx", letter_docx(HICHAM, B, "25 avril 2026"))]), B,
            "The 2025 consultant applies to the 2026 post: a second dossier for the same address."),
        dossier(application("b01-complete", B, MERYEM, at(2026, 4, 27, 11, 2, 13), full_set(MERYEM, "27 avril 2026")),
                B, "Complete on time: CV, letter, references document naming three referees."),
        dossier(application("b02-on-time-by-a-second", B, ZAKARIA, at(2026, 5, 4, 15, 59, 59),
                            full_set(ZAKARIA, "4 mai 2026", 1, ref=refs_docx), client="outlook",
                            date=at(2026, 5, 4, 16, 3, 27)), B,
                "Received at 15:59:59 local (Gmail writes 07:59:59 PDT); the PC's clock is fast (Date: 16:03)."),
        dossier(application("b03-late-by-a-minute", B, GHITA, at(2026, 5, 4, 16, 1, 0),
                            full_set(GHITA, "4 mai 2026", 2, letter=letter_pdf), client="iphone",
                            date=at(2026, 5, 4, 15, 59, 30)), B,
                "Sent from the phone at 15:59:30 but received by Gmail at 16:01:00: late."),
        dossier(application("b04-at-the-deadline-exactly", B, DRISS, at(2026, 5, 4, 16, 0, 0),
                            full_set(DRISS, "4 mai 2026", 3)), B,
                "Received at 16:00:00 exactly: on time means strictly before the deadline, so late."),
        dossier(application("b05-missing-letter", B, SOUKAINA, at(2026, 4, 30, 10, 11, 12), [
            ("CV Soukaina Rami.pdf", cv_pdf(SOUKAINA)), ("Références.pdf", refs_pdf(SOUKAINA, 3, 4))],
            body=short_body(SOUKAINA, B, "mon CV et mes trois références")), B,
            "No cover letter (the body is two lines): incomplete."),
        dossier(application("b06-two-references-of-three", B, ILYAS, at(2026, 5, 2, 9, 48, 33), [
            ("CV.pdf", cv_pdf(ILYAS)), ("Lettre de motivation.docx", letter_docx(ILYAS, B, "2 mai 2026")),
            ("Références Ilyas Sefrioui.docx", refs_docx(ILYAS, 2, 5))], client="outlook"), B,
            "Two referees of the three asked for."),
        dossier(application("b07-letter-and-references-in-body", B, ASMAE, at(2026, 4, 28, 14, 30, 51), [
            ("CV_Asmae_Kabbaj.pdf", cv_pdf(ASMAE))],
            body=letter_text(ASMAE, B, "28 avril 2026") + "\nRéférences :\n" + referees_text(refs(3, 1)) + "\n"), B,
            "Cover letter in the body, followed by three referees."),
        dossier(application("b08-re-prefix", B, AMINE, at(2026, 4, 24, 16, 5, 0), full_set(AMINE, "24 avril 2026", 2),
                            client="outlook", subject="RE: " + SUBJECT[B]), B, "Subject with an Outlook 'RE:' prefix."),
        dossier(application("b09-fwd-chargee", B, HOUDA, at(2026, 5, 1, 23, 12, 9), [
            ("CV Houda Mernissi.pdf", cv_pdf(HOUDA)), ("Lettre de motivation.pdf", letter_pdf(HOUDA, B, "1er mai 2026"))],
            subject="Fwd: Candidature chargée de projet OMP",
            body="---------- Forwarded message ---------\nDe : Houda Mernissi <houda.mernissi@gmail.com>\n"
                 "Date: ven. 1 mai 2026 à 22:58\nSubject: Candidature chargée de projet OMP\nTo: <omdp.direction2@gmail.com>\n\n"
                 + short_body(HOUDA, B)), B,
            "'Fwd:' of a mail first sent to a wrong address; 'chargée' for 'chargé(e)', spaces for underscores;\n"
            "no referee: references missing."),
        dossier(application("b10-lower-case-no-accents", B, YASSINE, at(2026, 4, 21, 8, 0, 40),
                            full_set(YASSINE, "21 avril 2026", 3, letter=letter_pdf), client="thunderbird",
                            subject="candidature_charge(e) de projet_omp"), B,
                "Subject in lower case without accents."),
        dossier(application("b11-dots-and-hyphens", B, NORA, at(2026, 5, 3, 11, 41, 28), [
            ("CV - Nora Benkirane.pdf", cv_pdf(NORA, refs_in_cv=3, start=0))],
            subject="Candidature - chargé.e de projet - OMP", body=letter_text(NORA, B, "3 mai 2026")), B,
            "Subject with 'chargé.e' and hyphens; letter in the body, three referees in the CV."),
        dossier(application("b12-typo", B, TAHA, at(2026, 4, 26, 18, 3, 14), full_set(TAHA, "26 avril 2026", 4),
                            client="iphone", subject="Candidature_chargé(e) de projte_OMP"), B,
                "One word misspelt ('projte')."),
        Case(application("b13-no-fallback-shared-mailbox", B, REDA, at(2026, 4, 30, 12, 0, 2), [
            ("CV Reda Fikri.pdf", cv_pdf(REDA)), ("Lettre de motivation.docx", letter_docx(REDA, B, "30 avril 2026"))],
            subject="Dossier de candidature"), "unmatched",
             "An application whose subject names no posting, sent to omdp.direction.2@gmail.com, which two\n"
             "postings share: no mailbox fallback, unmatched."),
        dossier(application("b14-arabic-application", B, ASMAA, at(2026, 5, 2, 20, 17, 36), [
            ("السيرة الذاتية.pdf", d.pdf(d.cv_ar("أسماء الزهراوي", ASMAA, []), arabic=True)),
            ("رسالة تحفيزية.docx", d.docx_bytes(d.letter_ar("أسماء الزهراوي", date="2 ماي 2026"), author="Asmaa",
                                                 arabic=True)),
            ("Références.pdf", refs_pdf(ASMAA, 3, 2)),
        ], sender_name="أسماء الزهراوي",
            body="السلام عليكم،\n\nتجدون رفقته ملف ترشيحي: السيرة الذاتية، رسالة تحفيزية ولائحة المراجع.\n\n"
                 "مع خالص التحيات،\nأسماء الزهراوي\n"), B,
            "Arabic application with the required subject: Arabic CV (PDF, Arabic file name), Arabic\n"
            "letter (DOCX), references in French."),
        dossier(mouad_first, B, "CV and letter first; the three references follow the next day."),
        dossier(application("b16-followup-references", B, MOUAD, at(2026, 4, 30, 8, 5, 59), [
            ("Références.docx", refs_docx(MOUAD, 3, 3))], subject="Re: " + SUBJECT[B], in_reply_to=mouad_first.msgid,
            body="Bonjour,\n\nVoici mes trois références pour compléter mon dossier.\n\nMouad Cherkaoui\n"), B,
            "Follow-up the next day: the dossier becomes complete."),
        dossier(wiam_first, B, "Two referees in the CV before the deadline; a third arrives too late."),
        dossier(application("b18-late-followup-recommendation", B, WIAM, at(2026, 5, 5, 9, 12, 0), [
            ("Lettre de recommandation.pdf", d.pdf(d.recommendation_fr(WIAM, REFEREES[5], date="4 mai 2026")))],
            client="outlook", subject="RE: " + SUBJECT[B], in_reply_to=wiam_first.msgid,
            body="Bonjour,\n\nVeuillez trouver ci-jointe une lettre de recommandation.\n\nWiam Benslimane\n"), B,
            "A recommendation letter (third reference) the day after the deadline: dossier stays incomplete."),
        Case(application("b19-own-mail-recruiter-reply", B, OMP, at(2026, 4, 27, 15, 30, 0), [],
                         to=[MERYEM.email], cc=[OMP2], subject="RE: " + SUBJECT[B],
                         body="Bonjour Madame Bouzidi,\n\nNous accusons bonne réception de votre candidature.\n\n"
                              "Bien cordialement,\nL'équipe de l'OMP\n"),
             "ignored", "The recruiter's acknowledgement, copied to the recruiting mailbox.", reason="own-mail"),
        Case(application("b20-out-of-office-en", B, ZAKARIA, at(2026, 5, 5, 10, 1, 2), [], client="outlook",
                         subject="Out of Office: " + SUBJECT[B],
                         body="I am out of the office until 11 May with limited access to e-mail.\n\nZakaria Idrissi\n"),
             "ignored", "Out-of-office reply in English from an applicant; must not join his dossier.",
             reason="auto-reply"),
        Case(application("b21-gmail-vacation-auto-submitted", B, ASMAE, at(2026, 4, 29, 9, 0, 11), [],
                         subject="Absence du bureau",
                         body="Bonjour,\n\nJe suis en congé jusqu'au 6 mai.\n\nAsmae Kabbaj\n",
                         extra_headers=[("Auto-Submitted", "auto-replied")]),
             "ignored", "Gmail vacation responder (Auto-Submitted: auto-replied).", reason="auto-reply"),
        Case(application("b22-x-autoreply", B, Person("Abdellah Alaoui", "a.alaoui@univh2c.ma"),
                         at(2026, 4, 28, 7, 45, 0), [], client="thunderbird", subject="Auto: " + SUBJECT[B],
                         body="Merci pour votre message. Je le traiterai dès mon retour.\n",
                         extra_headers=[("X-Autoreply", "yes")]),
             "ignored", "Webmail auto-reply marked with X-Autoreply.", reason="auto-reply"),
    ]


def dossiers_b() -> list[Dossier]:
    full = {"cv": 1, "cover_letter": 1, "references": 3}
    return [
        Dossier(B, "meryem.bouzidi@gmail.com", "complete", 1, full),
        Dossier(B, "zakaria.idrissi@outlook.com", "complete", 1, full),
        Dossier(B, "ghita.lahlou@gmail.com", "late", 1, full),
        Dossier(B, "driss.benali@gmail.com", "late", 1, full),
        Dossier(B, "soukaina.rami@gmail.com", "incomplete", 1, {"cv": 1, "references": 3}, ["cover_letter"]),
        Dossier(B, "ilyas.sefrioui@outlook.fr", "incomplete", 1, {"cv": 1, "cover_letter": 1, "references": 2},
                ["references"]),
        Dossier(B, "asmae.kabbaj@gmail.com", "complete", 1, full),
        Dossier(B, "amine.tazi@outlook.com", "complete", 1, full),
        Dossier(B, "houda.mernissi@gmail.com", "incomplete", 1, {"cv": 1, "cover_letter": 1}, ["references"]),
        Dossier(B, "yassine.chami@menara.ma", "complete", 1, full),
        Dossier(B, "nora.benkirane@gmail.com", "complete", 1, full),
        Dossier(B, "taha.lazrak@icloud.com", "complete", 1, full),
        Dossier(B, "asmaa.zahraoui@gmail.com", "complete", 1, full),
        Dossier(B, "mouad.cherkaoui@gmail.com", "complete", 2, full),
        Dossier(B, "wiam.benslimane@outlook.fr", "incomplete", 2, full, ["references"]),
        Dossier(B, "othmane.guessous@gmail.com", "complete", 2, full),
        Dossier(B, "hicham.sbai@gmail.com", "complete", 1, full),
    ]
