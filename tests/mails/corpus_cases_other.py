"""The 2025 consultant posting (cv, methodology_note, financial_proposal; deadline 2025-01-22 00:00
local = 2025-01-21 23:00 UTC; mail to omdp.direction.2 and omdp.finances), the 2020 Migrations &
Développement posting (cv, cover_letter; deadline 2020-09-24 00:00 local = 2020-09-23 23:00 UTC;
their own Postfix server stamps Received: in Paris time), the CNDH posting and machine mail."""
from __future__ import annotations

import corpus_docs as d
from corpus_docs import Person
from corpus_kit import (B, C, E, FIN, MDCC, OMP1, OMP2, SUBJECT, Case, Dossier, application, at, cv_pdf,
                        dossier, letter_docx, letter_text, short_body)
from corpus_mime import Mail

HICHAM = Person("Hicham Sbai", "hicham.sbai@gmail.com", "+212 6 61 40 51 62", female=False)
LEILA = Person("Leila Bakkali", "leila.bakkali@outlook.com", "+212 6 62 51 62 73")
YOUNES = Person("Younes Alami", "younes.alami@gmail.com", "+212 6 63 62 73 84", female=False)
SAMIRA = Person("Samira Haddou", "samira.haddou@gmail.com", "+212 6 64 73 84 95")
ADIL = Person("Adil Mouline", "adil.mouline@gmail.com", "+212 6 65 84 95 06", female=False)
MUSTAPHA = Person("Mustapha Ziani", "mustapha.ziani@gmail.com", "+212 6 66 95 06 17", female=False)
KARIMA = Person("Karima Ouchen", "karima.ouchen@gmail.com", "+212 6 67 06 17 28", "Agadir")
BRAHIM = Person("Brahim Aït Baha", "brahim.aitbaha@gmail.com", "+212 6 68 17 28 39", "Tiznit", female=False)
LATIFA = Person("Latifa Id Ali", "latifa.idali@menara.ma", "+212 6 69 28 39 40", "Taliouine")
SAID = Person("Saïd Oubella", "said.oubella@gmail.com", "+212 6 70 39 40 51", "Agadir", female=False)
FADOUA = Person("Fadoua Hajji", "fadoua.hajji@gmail.com", "+212 6 71 40 51 62", "Inezgane")
ABDELAZIZ = Person("Abdelaziz Boutaleb", "abdelaziz.boutaleb@gmail.com", "+212 6 72 51 62 73", "Agadir", female=False)
HANANE = Person("Hanane Boukhari", "hanane.boukhari@outlook.fr", "+212 6 73 62 73 84", "Agadir")
JAMAL = Person("Jamal Aït Ouarab", "jamal.aitouarab@gmail.com", "+212 6 74 73 84 95", "Taroudant", female=False)
AICHA = Person("Aicha Boufarss", "aicha.boufarss@gmail.com", "+212 6 75 84 95 06", "Agadir")
NABIL = Person("Nabil Aït Taleb", "n.aittaleb@menara.ma", "+212 6 76 95 06 17", "Tiznit", female=False)
ABDELKADER2 = Person("Abdelkader Moussaoui", "a.moussaoui@gmail.com", "+212 6 61 99 40 22", "Rabat", female=False)


def offer(p: Person, days=(5, 4, 6), rate=2500, fmt="pdf") -> tuple[str, bytes]:
    blocks = d.financial_fr(p, days, rate)
    if fmt == "pdf":
        return ("Offre financière.pdf", d.pdf(blocks))
    return ("Proposition financière.docx", d.docx_bytes(blocks, author=p.name))


def note(p: Person, fmt="pdf") -> tuple[str, bytes]:
    if fmt == "pdf":
        return ("Note méthodologique.pdf", d.pdf(d.methodology_fr(p)))
    return ("Note_methodologique.docx", d.docx_bytes(d.methodology_fr(p), author=p.name))


def consultant_body(p: Person) -> str:
    return (f"Bonjour,\n\nSuite à votre appel à consultation, veuillez trouver ci-joint mon offre : CV, note "
            f"méthodologique et proposition financière.\n\nCordialement,\n{p.name}\n{p.phone}\n")


def cases_c() -> list[Case]:
    hicham = dict(attachments=[("CV Hicham Sbai.pdf", cv_pdf(HICHAM)), note(HICHAM), offer(HICHAM)],
                  body=consultant_body(HICHAM))
    first = application("c01a-duplicate-to-direction", C, HICHAM, at(2025, 1, 15, 11, 20, 31), delivered_to=OMP2,
                        **hicham)
    second = application("c01b-duplicate-to-finances", C, HICHAM, at(2025, 1, 15, 11, 20, 32), delivered_to=FIN,
                         message_id=first.msgid, **hicham)
    return [
        dossier(first, C, "Complete offer sent to both addresses; this copy delivered to omdp.direction.2."),
        dossier(second, C, "The same message (same Message-ID) delivered to omdp.finances: one message, not two."),
        dossier(application("c02-hyphen-for-en-dash", C, LEILA, at(2025, 1, 18, 17, 45, 10), [
            ("CV_Leila_Bakkali.pdf", cv_pdf(LEILA)), note(LEILA, "docx"), offer(LEILA, (4, 4, 5), 3000, "docx")],
            client="outlook", subject="Consultant - consultante gestions de projets", body=consultant_body(LEILA)), C,
            "A hyphen instead of the en dash; note and offer as DOCX."),
        dossier(application("c03-on-time-by-two-seconds", C, YOUNES, at(2025, 1, 21, 23, 59, 58), [
            ("CV.pdf", cv_pdf(YOUNES)), note(YOUNES), offer(YOUNES, (6, 4, 6), 2200)], delivered_to=None,
            date=at(2025, 1, 22, 0, 4, 10), body=consultant_body(YOUNES)), C,
            "Received 23:59:58 on the 21st ('avant minuit'); no Delivered-To (the mailbox comes from To:);\n"
            "Date: from a fast clock says 00:04 on the 22nd."),
        dossier(application("c04-late-by-a-minute", C, SAMIRA, at(2025, 1, 22, 0, 1, 0), [
            ("CV Samira Haddou.pdf", cv_pdf(SAMIRA)), note(SAMIRA)], body=consultant_body(SAMIRA)), C,
            "One minute late and without a financial proposal: late, financial_proposal missing."),
        dossier(application("c05-missing-financial-proposal", C, ADIL, at(2025, 1, 20, 10, 3, 3), [
            ("CV.pdf", cv_pdf(ADIL)), note(ADIL, "docx")], body=consultant_body(ADIL)), C,
            "No financial proposal: incomplete."),
        dossier(application("c06-fallback-finances-only", C, MUSTAPHA, at(2025, 1, 17, 9, 14, 44), [
            ("CV Mustapha Ziani.pdf", cv_pdf(MUSTAPHA)), note(MUSTAPHA), offer(MUSTAPHA, (5, 5, 5), 2000)],
            to=[FIN], delivered_to=FIN, subject="Dossier Mustapha Ziani", body=consultant_body(MUSTAPHA)), C,
            "Garbled subject, CV attached, sent only to omdp.finances@gmail.com, which takes mail for one\n"
            "posting only: mailbox fallback."),
    ]


def cases_e() -> list[Case]:
    karima = dict(attachments=[("CV.pdf", cv_pdf(KARIMA)), ("Lettre de motivation.docx",
                                                              letter_docx(KARIMA, E, "15 septembre 2020"))])
    first = application("e01a-duplicate-to-mansour", E, KARIMA, at(2020, 9, 15, 10, 7, 19), **karima)
    second = application("e01b-duplicate-to-cc", E, KARIMA, at(2020, 9, 15, 10, 7, 20), delivered_to=MDCC,
                         message_id=first.msgid, **karima)
    nabil_first = application("e11-followup-cv-first", E, NABIL, at(2020, 9, 21, 17, 30, 0),
                              [("CV_Nabil_Ait_Taleb.pdf", cv_pdf(NABIL))], client="thunderbird",
                              body="Bonjour,\n\nCi-joint mon CV. Ma lettre de motivation suit.\n\nNabil Aït Taleb\n")
    return [
        dossier(first, E, "Complete; To: Mohamed Mansour, Cc: Abderrazak El Hajri; this copy delivered to the To."),
        dossier(second, E, "The same message delivered to the Cc mailbox: one message."),
        dossier(application("e02-letter-in-body", E, BRAHIM, at(2020, 9, 18, 22, 14, 2),
                            [("CV Brahim Ait Baha.pdf", cv_pdf(BRAHIM))],
                            body=letter_text(BRAHIM, E, "18 septembre 2020")), E, "Cover letter in the body."),
        dossier(application("e03-only-cv", E, LATIFA, at(2020, 9, 20, 8, 50, 41), [("CV.pdf", cv_pdf(LATIFA))],
                            client="thunderbird", body="Bonjour,\n\nCi-joint mon CV.\n\nLatifa Id Ali\n"), E,
                "Only a CV: cover letter missing."),
        dossier(application("e04-on-time-by-a-second", E, SAID, at(2020, 9, 23, 23, 59, 59), [
            ("CV Said Oubella.pdf", cv_pdf(SAID)), ("Lettre de motivation.docx", letter_docx(SAID, E, "23 septembre 2020"))],
            date=at(2020, 9, 24, 0, 0, 30)), E,
            "Their server stamps 'Thu, 24 Sep 2020 00:59:59 +0200': in Morocco 23:59:59 on the 23rd, on time."),
        dossier(application("e05-late-by-a-minute", E, FADOUA, at(2020, 9, 24, 0, 1, 0), [
            ("CV.pdf", cv_pdf(FADOUA)), ("LM Fadoua Hajji.docx", letter_docx(FADOUA, E, "23 septembre 2020"))],
            client="iphone", date=at(2020, 9, 23, 23, 59, 40)), E, "One minute late: late, nothing missing."),
        dossier(application("e06-fallback-migdev", E, ABDELAZIZ, at(2020, 9, 16, 14, 4, 33), [
            ("CV - Abdelaziz Boutaleb.pdf", cv_pdf(ABDELAZIZ))], subject="CV - Abdelaziz Boutaleb", cc=[],
            body=letter_text(ABDELAZIZ, E, "16 septembre 2020")), E,
            "Subject is only 'CV - name'; mohamed.mansour@migdev.org takes mail for one posting: fallback."),
        dossier(application("e07-extra-word-no-delivered-to", E, HANANE, at(2020, 9, 22, 11, 11, 11), [
            ("CV Hanane Boukhari.pdf", cv_pdf(HANANE)),
            ("Lettre de motivation.docx", letter_docx(HANANE, E, "22 septembre 2020"))], client="outlook",
            delivered_to=None, subject=SUBJECT[E] + " (TPM)", crlf=True), E,
            "One word added '(TPM)'; saved from Outlook with CRLF line ends and no Delivered-To."),
        dossier(application("e08-typo-and-chargees", E, JAMAL, at(2020, 9, 19, 9, 9, 9), [
            ("CV.pdf", cv_pdf(JAMAL))], subject="Candidature Chargées des projets Territorialisation des Politique "
                                                "Migratoires", body=letter_text(JAMAL, E, "19 septembre 2020")), E,
            "'Chargées' for 'Chargé.es' and one word misspelt ('Politique')."),
        dossier(application("e09-english", E, AICHA, at(2020, 9, 17, 16, 20, 45), [
            ("Resume - Aicha Boufarss.pdf", d.pdf(d.cv_en(AICHA))),
            ("Cover letter.pdf", d.pdf(d.letter_en(AICHA, post="Project officer – Territorialisation of Migration "
                                                               "Policies", date="17 September 2020")))],
            body="Dear Mr Mansour,\n\nPlease find attached my resume and cover letter.\n\nBest regards,\nAicha Boufarss\n"),
            E, "English application: resume and cover letter."),
        dossier(nabil_first, E, "CV first; the letter follows the next day."),
        dossier(application("e12-followup-letter", E, NABIL, at(2020, 9, 22, 8, 2, 0), [
            ("Lettre de motivation.docx", letter_docx(NABIL, E, "22 septembre 2020"))], client="thunderbird",
            subject="Re: " + SUBJECT[E], in_reply_to=nabil_first.msgid,
            body="Bonjour,\n\nVoici ma lettre de motivation.\n\nNabil Aït Taleb\n"), E,
            "The follow-up completes the dossier."),
    ]


def cases_machine() -> list[Case]:
    cndh = application("d02-cndh-post-to-shared-mailbox", B, ABDELKADER2, at(2026, 4, 20, 10, 0, 0), [
        ("CV Abdelkader Moussaoui.pdf", cv_pdf(ABDELKADER2))],
        subject="Candidature - Directeur de Promotion des droits de l'Homme",
        body=short_body(ABDELKADER2, B, "mon CV").replace(
            "chargé(e) de projet « Agir en faveur des détenu·e·s vulnérables »",
            "Directeur de Promotion des droits de l'Homme au CNDH"))
    bulk = Mail("x02-newsletter-precedence-bulk", "thunderbird", ("Tanmia.ma", "newsletter@tanmia.ma"), [OMP2],
                "Tanmia.ma – Les offres d'emploi de la semaine : 14 appels à candidatures",
                "Les offres de la semaine :\n\n- Chargé(e) de projet – Casablanca\n- Consultant(e) en gestion de "
                "projets – Rabat\n- Assistant(e) administratif(ve) – Agadir\n\nPour vous désinscrire : "
                "https://www.tanmia.ma/newsletter/unsubscribe\n", at(2026, 4, 22, 6, 0, 5), delivered_to=OMP2,
                extra_headers=[("Precedence", "bulk"), ("List-Unsubscribe", "<https://www.tanmia.ma/newsletter/unsubscribe>")])
    mailchimp = Mail("x03-newsletter-list-unsubscribe", "gmail", ("Réseau Euromed France", "info@euromed-france.org"),
                     [OMP1], "Appel à candidatures : formation plaidoyer 2021",
                     "Chers partenaires,\n\nLes candidatures pour notre formation plaidoyer sont ouvertes jusqu'au "
                     "28 février.\n\nVous recevez ce message car vous êtes inscrit à notre lettre d'information.\n",
                     at(2021, 2, 3, 14, 0, 0), delivered_to=OMP1,
                     extra_headers=[("List-Id", "Lettre d'information REF <abc123.list-id.mcsv.net>"),
                                    ("List-Unsubscribe", "<https://euromed-france.us1.list-manage.com/unsubscribe?u=8f3&id=2b1>, "
                                                         "<mailto:unsubscribe-mc.us1_8f3.2b1@unsubscribe.mailchimp.com>")])
    return [
        Case(cndh, "unmatched", "Names the CNDH posting (which takes no mail), sent to the shared OMP mailbox."),
        Case(BounceMail("x01-dsn-bounce"), "ignored",
             "Gmail's delivery status notification: the recruiter's reply could not be delivered.", reason="bounce"),
        Case(bulk, "ignored", "Job-board newsletter with Precedence: bulk (it even mentions 'Chargé(e) de projet').",
             reason="bulk"),
        Case(mailchimp, "ignored", "Mailchimp newsletter with List-Unsubscribe saying 'Appel à candidatures'.",
             reason="bulk"),
    ]


class BounceMail(Mail):
    """A Gmail DSN (multipart/report) for a reply that bounced; rendered from a template."""

    def __init__(self, name: str):
        super().__init__(name, "gmail", ("Mail Delivery Subsystem", "mailer-daemon@googlemail.com"), [OMP2],
                         "Delivery Status Notification (Failure)", "", at(2026, 4, 27, 15, 31, 2), delivered_to=OMP2,
                         message_id="<6627c5a2.050a0220.8d1f3.1b2cSMTPIN_ADDED_BOUNCE@mx.google.com>",
                         kind="dsn", in_reply_to="<CAOMPreply0001x7Fq2w9Zb@mail.gmail.com>",
                         extra_headers=[("Auto-Submitted", "auto-replied"),
                                        ("X-Failed-Recipients", "meryem.bouzidi@gmial.com")])


def dossiers_other() -> list[Dossier]:
    cl = {"cv": 1, "cover_letter": 1}
    c3 = {"cv": 1, "methodology_note": 1, "financial_proposal": 1}
    return [
        Dossier(C, "hicham.sbai@gmail.com", "complete", 1, c3),
        Dossier(C, "leila.bakkali@outlook.com", "complete", 1, c3),
        Dossier(C, "younes.alami@gmail.com", "complete", 1, c3),
        Dossier(C, "samira.haddou@gmail.com", "late", 1, {"cv": 1, "methodology_note": 1}, ["financial_proposal"]),
        Dossier(C, "adil.mouline@gmail.com", "incomplete", 1, {"cv": 1, "methodology_note": 1}, ["financial_proposal"]),
        Dossier(C, "mustapha.ziani@gmail.com", "complete", 1, c3),
        Dossier(E, "karima.ouchen@gmail.com", "complete", 1, cl),
        Dossier(E, "brahim.aitbaha@gmail.com", "complete", 1, cl),
        Dossier(E, "latifa.idali@menara.ma", "incomplete", 1, {"cv": 1}, ["cover_letter"]),
        Dossier(E, "said.oubella@gmail.com", "complete", 1, cl),
        Dossier(E, "fadoua.hajji@gmail.com", "late", 1, cl),
        Dossier(E, "abdelaziz.boutaleb@gmail.com", "complete", 1, cl),
        Dossier(E, "hanane.boukhari@outlook.fr", "complete", 1, cl),
        Dossier(E, "jamal.aitouarab@gmail.com", "complete", 1, cl),
        Dossier(E, "aicha.boufarss@gmail.com", "complete", 1, cl),
        Dossier(E, "n.aittaleb@menara.ma", "complete", 2, cl),
    ]


def cases_other() -> list[Case]:
    return cases_c() + cases_e() + cases_machine()
