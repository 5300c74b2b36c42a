"""Mail reaching omdp.direction@gmail.com: the 2021 ECPM/OMP posting (cv, cover_letter, references x2,
deadline 2021-02-12 00:00 local = 2021-02-11 23:00 UTC). It is the only posting taking mail at that
address, so a plain application with a garbled subject still reaches it (mailbox fallback)."""
from __future__ import annotations

import corpus_docs as d
from corpus_docs import Person
from corpus_kit import (A, ECPM, OMP1, REFEREES, SUBJECT, Case, Dossier, application, at, cv_pdf, dossier,
                        letter_docx, letter_pdf, letter_text, refs, refs_docx, refs_pdf, referees_text, short_body)
from corpus_mime import Mail

SALMA = Person("Salma Bennani", "salma.bennani@gmail.com", "+212 6 61 72 33 10")
YOUSSEF = Person("Youssef Amrani", "Youssef.Amrani@Gmail.com", "+212 6 70 11 42 85", female=False)
HAJAR = Person("Hajar El Idrissi", "hajar.elidrissi@outlook.fr", "+212 6 62 90 14 27", "Rabat")
OMAR = Person("Omar Benjelloun", "omar.benjelloun@menara.ma", "+212 6 68 35 20 19", "Fès", female=False)
KHADIJA = Person("Khadija Aït Lahcen", "k.aitlahcen@gmail.com", "+212 6 63 48 02 77", "Marrakech")
MEHDI = Person("Mehdi Tahiri", "mehdi.tahiri@hotmail.com", "+212 6 61 05 98 34", female=False)
IMANE = Person("Imane Chakir", "imane.chakir@gmail.com", "+212 6 64 27 81 50", "Salé")
ANAS = Person("Anas Berrada", "anas.berrada@outlook.com", "+212 6 65 14 63 09", female=False)
NADIA = Person("Nadia Fassi", "nadia.fassi@gmail.com", "+212 6 66 52 37 41", "Rabat")
RACHID = Person("Rachid Ouali", "rachid.ouali@gmail.com", "+212 6 67 83 21 06", "Casablanca", female=False)
SARA = Person("Sara Lamrani", "sara.lamrani@gmail.com", "+212 6 68 44 19 73", "Tanger")
HAMZA = Person("Hamza Kettani", "hamza.kettani@gmail.com", "+212 6 69 30 58 12", "Casablanca", female=False)
LOUBNA = Person("Loubna Squalli", "loubna.squalli@gmail.com", "+212 6 60 21 47 93", "Meknès")
AYOUB = Person("Ayoub Naciri", "ayoub.naciri@gmail.com", "+212 6 71 62 08 35", "Kénitra", female=False)
ZINEB = Person("Zineb El Mansouri", "zineb.elmansouri@gmail.com", "+212 6 72 15 93 40", "Casablanca")
MOUNIA = Person("Mounia Alami", "mounia.alami@menara.ma", "+212 5 22 48 19 07")
ABDELKADER = Person("Abdelkader Moussaoui", "a.moussaoui@gmail.com", "+212 6 61 99 40 22", "Rabat", female=False)


def cases_a() -> list[Case]:
    rachid_cv = cv_pdf(RACHID)
    rachid_first = application("a10-followup-cv-first", A, RACHID, at(2021, 2, 8, 18, 40, 12), [("CV.pdf", rachid_cv)],
                               body="Bonjour,\n\nJe vous envoie mon CV ; la lettre de motivation et mes références "
                                    "suivront demain.\n\nCordialement,\nRachid Ouali\n")
    sara_first = application("a12-late-followup-first", A, SARA, at(2021, 2, 10, 21, 5, 44),
                             [("CV_Sara_Lamrani.pdf", cv_pdf(SARA)),
                              ("Lettre de motivation.docx", letter_docx(SARA, A, "10 février 2021"))],
                             body=short_body(SARA, A) + "\nMes références suivront.\n")
    return [
        dossier(application("a01-complete", A, SALMA, at(2021, 2, 3, 10, 14, 22), [
            ("CV.pdf", cv_pdf(SALMA)),
            ("Lettre de motivation - Salma.docx", letter_docx(SALMA, A, "3 février 2021")),
            ("Références.pdf", refs_pdf(SALMA, 2)),
        ], body=short_body(SALMA, A, "mon CV, ma lettre de motivation et mes deux références")), A,
            "Complete on time: CV, letter (DOCX), references document naming two referees."),
        dossier(application("a02-on-time-by-a-second", A, YOUSSEF, at(2021, 2, 11, 23, 59, 59), [
            ("CV Youssef Amrani.pdf", cv_pdf(YOUSSEF, refs_in_cv=2, start=2)),
            ("Lettre de motivation.pdf", letter_pdf(YOUSSEF, A, "11 février 2021")),
        ], client="iphone", date=at(2021, 2, 12, 0, 2, 41)), A,
            "Received one second before the deadline (Gmail stamps it 14:59:59 PST); the phone's clock\n"
            "is fast, so Date: says 00:02 after the deadline: topmost Received wins. Mixed-case sender\n"
            "address; two referees in the CV's references section."),
        dossier(application("a03-late-by-a-minute", A, HAJAR, at(2021, 2, 12, 0, 1, 0), [
            ("CV.pdf", cv_pdf(HAJAR)),
            ("LM Hajar El Idrissi.docx", letter_docx(HAJAR, A, "11 février 2021")),
            ("Références.docx", refs_docx(HAJAR, 2, start=1)),
        ], client="outlook", date=at(2021, 2, 11, 23, 58, 12)), A,
            "Complete but received one minute after the deadline (Date: says 23:58, before it): late."),
        dossier(application("a04-only-cv-document1", A, OMAR, at(2021, 2, 5, 8, 31, 9), [
            ("Document1.pdf", cv_pdf(OMAR, heading=False)),
        ], client="thunderbird", body="Bonjour,\n\nVeuillez trouver ci-joint mon CV.\n\nCordialement,\nOmar Benjelloun\n"),
            A, "Only a CV, named Document1.pdf (its content is plainly a CV): letter and references missing."),
        dossier(application("a05-letter-in-body", A, KHADIJA, at(2021, 2, 6, 17, 2, 51), [
            ("CV.pdf", cv_pdf(KHADIJA, refs_in_cv=2, start=3)),
        ], subject="Chargée projet peine de mort au Maroc", body=letter_text(KHADIJA, A, "6 février 2021")), A,
            "Cover letter written in the body; CV with two referees; subject 'Chargée' without the middle dot."),
        dossier(application("a06-references-in-body", A, MEHDI, at(2021, 2, 9, 12, 44, 3), [
            ("CV_Mehdi_Tahiri.pdf", cv_pdf(MEHDI)),
            ("Lettre_motivation_Mehdi_Tahiri.docx", letter_docx(MEHDI, A, "9 février 2021")),
        ], client="outlook", subject="Chargé.e projet peine de mort au Maroc",
            body="Bonjour,\n\nVeuillez trouver ci-joint mon CV et ma lettre de motivation.\n\nMes références :\n"
                 + referees_text(refs(2, 3)) + "\n\nBien cordialement,\nMehdi Tahiri\n"), A,
            "Two referees listed in the body; subject written 'Chargé.e'."),
        dossier(application("a07-one-reference-of-two", A, IMANE, at(2021, 2, 10, 9, 15, 37), [
            ("CV Imane Chakir.pdf", cv_pdf(IMANE)),
            ("Lettre de motivation.docx", letter_docx(IMANE, A, "10 février 2021")),
            ("Référence.pdf", refs_pdf(IMANE, 1, start=5)),
        ]), A, "Only one referee of the two asked for: incomplete, references missing."),
        dossier(application("a08-recommendation-letters", A, ANAS, at(2021, 2, 4, 15, 20, 0), [
            ("CV.pdf", cv_pdf(ANAS)),
            ("Lettre de motivation.pdf", letter_pdf(ANAS, A, "4 février 2021")),
            ("Lettre de recommandation - Pr Alaoui.pdf", d.pdf(d.recommendation_fr(ANAS, REFEREES[1], date="1er février 2021"))),
            ("Recommandation ASF Maroc.pdf", d.pdf(d.recommendation_fr(ANAS, REFEREES[2], date="2 février 2021"))),
        ], client="outlook", subject="TR: Chargé·e projet peine de mort au Maroc",
            body="\n\n-----Message d'origine-----\nDe : Anas Berrada <anas.berrada@outlook.com>\n"
                 "Envoyé : mercredi 3 février 2021 22:10\nÀ : omdp.direction@gmai.com\n"
                 "Objet : Chargé·e projet peine de mort au Maroc\n\n" + short_body(ANAS, A)), A,
            "Forwarded (TR:) after a typo in the first address; two recommendation letters count as two references."),
        dossier(application("a09-fallback-garbled-subject", A, NADIA, at(2021, 2, 7, 11, 3, 26), [
            ("CV Nadia Fassi.pdf", cv_pdf(NADIA, refs_in_cv=2)),
            ("Lettre de motivation.docx", letter_docx(NADIA, A, "7 février 2021")),
        ], subject="candidature Nadia FASSI", to=[OMP1], cc=[]), A,
            "Subject names no posting, but it is plainly an application (candidature, CV attached) and\n"
            "omdp.direction@gmail.com takes mail for one posting only: mailbox fallback."),
        dossier(rachid_first, A, "First of two mails: the CV alone; the rest follows the next day."),
        dossier(application("a11-followup-letter-next-day", A, RACHID, at(2021, 2, 9, 9, 5, 30), [
            ("Lettre de motivation Rachid Ouali.docx", letter_docx(RACHID, A, "9 février 2021")),
            ("Références.pdf", refs_pdf(RACHID, 2, start=4)),
            ("CV.pdf", rachid_cv),
        ], subject="Re: " + SUBJECT[A], in_reply_to=rachid_first.msgid,
            body="Bonjour,\n\nComme annoncé, voici ma lettre de motivation et mes références (et à nouveau mon CV).\n\n"
                 "Cordialement,\nRachid Ouali\n"), A,
            "Follow-up the next day merges into the same dossier; the CV sent again counts once."),
        dossier(sara_first, A, "CV and letter on time; references announced for later."),
        dossier(application("a13-late-followup-references", A, SARA, at(2021, 2, 13, 10, 0, 4), [
            ("Références Sara Lamrani.pdf", refs_pdf(SARA, 2, start=1)),
        ], subject="RE: " + SUBJECT[A], in_reply_to=sara_first.msgid,
            body="Bonjour,\n\nVoici mes références, avec mes excuses pour le retard.\n\nSara Lamrani\n"), A,
            "References sent after the deadline: found, but they do not complete the dossier."),
        dossier(application("a14-upper-case-no-accents", A, HAMZA, at(2021, 2, 2, 20, 12, 40), [
            ("CV_HAMZA_KETTANI.pdf", cv_pdf(HAMZA, refs_in_cv=2, start=4)),
        ], subject="CHARGE PROJET PEINE DE MORT AU MAROC", body=letter_text(HAMZA, A, "2 février 2021")), A,
            "Subject in capitals without accents or middle dot; letter in the body."),
        dossier(application("a15-ref-prefix-extra-word", A, LOUBNA, at(2021, 2, 11, 16, 48, 2), [
            ("CV - Loubna Squalli.pdf", cv_pdf(LOUBNA, refs_in_cv=2, start=1)),
            ("Lettre de motivation - Loubna.docx", letter_docx(LOUBNA, A, "11 février 2021")),
        ], client="outlook", subject="Réf : Candidature Chargé·e projet peine de mort au Maroc"), A,
            "'Réf :' prefix and one added word ('Candidature')."),
        dossier(application("a16-typo-incomplete", A, AYOUB, at(2021, 2, 8, 7, 55, 18), [
            ("CV Ayoub Naciri.pdf", cv_pdf(AYOUB)),
            ("Lettre de motivation.pdf", letter_pdf(AYOUB, A, "8 février 2021")),
        ], subject="Chargé·e projet peine de mort au Marco"), A,
            "One word misspelt ('Marco'); no referee named anywhere: references missing."),
        dossier(application("a17-arabic-fallback", A, ZINEB, at(2021, 2, 10, 13, 27, 45), [
            ("السيرة الذاتية.pdf", d.pdf(d.cv_ar("زينب المنصوري", ZINEB, []), arabic=True)),
            ("المراجع.docx", d.docx_bytes(
                [("title", "المراجع")] + [("p", line) for line in (
                    "الأستاذ عبد الله العلوي – أستاذ القانون الجنائي – جامعة الحسن الثاني بالدار البيضاء – a.alaoui@univh2c.ma",
                    "السيدة نعيمة بنيحيى – المديرة التنفيذية – جمعية عدالة – n.benyahya@adala-maroc.org")],
                author="Zineb", arabic=True)),
        ], subject="ترشيح لمنصب مكلف بمشروع", to=[OMP1], cc=[ECPM], sender_name="زينب المنصوري",
            body=ARABIC_LETTER), A,
            "Arabic application: Arabic subject (ترشيح = application) matching no posting, so mailbox fallback;\n"
            "Arabic CV as PDF with an Arabic file name, letter in the body, two referees in المراجع.docx."),
        Case(application("a18-out-of-office-fr", A, MOUNIA, at(2021, 2, 9, 10, 2, 17), [], client="outlook",
                         subject="Réponse automatique : " + SUBJECT[A],
                         body="Bonjour,\n\nJe suis absente du bureau jusqu'au 15 février 2021 avec un accès limité "
                              "à ma messagerie.\n\nCordialement,\nMounia Alami\n",
                         extra_headers=[("X-Auto-Response-Suppress", "All")]),
             "ignored", "Outlook out-of-office reply in French (recognised by its subject).", reason="auto-reply"),
        Case(Mail("a19-spam-to-recruiting-address", "thunderbird", ("Promo Digital Maroc", "contact@promo-digital-maroc.com"),
                  [OMP1], "Augmentez la visibilité de votre association – offre spéciale -30%",
                  "Bonjour,\n\nBoostez votre présence sur Facebook et Instagram grâce à notre pack associations :\n"
                  "création de contenus, campagnes sponsorisées et site web clé en main.\n\nOffre valable jusqu'au "
                  "15 février. Répondez à ce message pour un devis gratuit.\n\nL'équipe Promo Digital\n",
                  at(2021, 2, 5, 3, 17, 55), delivered_to=OMP1),
             "unmatched", "Spam to the recruiting address: not an application, so no mailbox fallback."),
        Case(application("a20-own-mail-forward-to-ecpm", A, Person("OMP Direction", OMP1), at(2021, 2, 4, 16, 1, 9), [
            ("CV.pdf", cv_pdf(ANAS)),
        ], subject="TR: " + SUBJECT[A], to=[ECPM], cc=[OMP1], sender_name="Observatoire Marocain des Prisons",
            body="Bonjour,\n\nPour information, une candidature reçue ce jour.\n\nBien à vous,\nL'équipe OMP\n"),
             "ignored", "The recruiter forwards a CV to ECPM with a copy to itself: own mail, not an application.",
             reason="own-mail"),
        Case(application("d01-cndh-post-to-omp-mailbox", A, ABDELKADER, at(2021, 2, 6, 10, 30, 0), [
            ("CV Abdelkader Moussaoui.pdf", cv_pdf(ABDELKADER)),
            ("Lettre de motivation CNDH.pdf", d.pdf(d.letter_fr(ABDELKADER, post="Directeur de la Promotion des "
                                                                "droits de l'Homme", org="Conseil National des "
                                                                "Droits de l'Homme (CNDH)", date="6 février 2021"))),
        ], subject="Candidature au poste de Directeur de la Promotion des droits de l'Homme – CNDH", to=[OMP1], cc=[]),
             "unmatched", "Names the CNDH posting, which takes no mail: unmatched, even though this mailbox\n"
                          "would otherwise fall back to the 2021 OMP posting."),
    ]


ARABIC_LETTER = """السيد رئيس المرصد المغربي للسجون المحترم،

تحية طيبة وبعد،

يشرفني أن أتقدم إليكم بطلب ترشيحي لمنصب مكلفة بمشروع «تعزيز التقدم نحو إلغاء عقوبة الإعدام بالمغرب»، وذلك لما راكمته من تجربة في تدبير المشاريع الجمعوية وتنظيم الندوات والدورات التكوينية.

اشتغلت لمدة أربع سنوات في تنسيق أنشطة جمعية عدالة، وأتقن اللغتين العربية والفرنسية كتابة وتحدثا، وأعرف جيدا النسيج الجمعوي العامل في مجال حقوق الإنسان.

تجدون رفقته سيرتي الذاتية ولائحة المراجع.

وتفضلوا بقبول فائق عبارات التقدير والاحترام.

زينب المنصوري
"""


def dossiers_a() -> list[Dossier]:
    full = {"cv": 1, "cover_letter": 1, "references": 2}
    return [
        Dossier(A, "salma.bennani@gmail.com", "complete", 1, full),
        Dossier(A, "youssef.amrani@gmail.com", "complete", 1, full),
        Dossier(A, "hajar.elidrissi@outlook.fr", "late", 1, full),
        Dossier(A, "omar.benjelloun@menara.ma", "incomplete", 1, {"cv": 1}, ["cover_letter", "references"]),
        Dossier(A, "k.aitlahcen@gmail.com", "complete", 1, full),
        Dossier(A, "mehdi.tahiri@hotmail.com", "complete", 1, full),
        Dossier(A, "imane.chakir@gmail.com", "incomplete", 1, {"cv": 1, "cover_letter": 1, "references": 1},
                ["references"]),
        Dossier(A, "anas.berrada@outlook.com", "complete", 1, full),
        Dossier(A, "nadia.fassi@gmail.com", "complete", 1, full),
        Dossier(A, "rachid.ouali@gmail.com", "complete", 2, full),
        Dossier(A, "sara.lamrani@gmail.com", "incomplete", 2, full, ["references"]),
        Dossier(A, "hamza.kettani@gmail.com", "complete", 1, full),
        Dossier(A, "loubna.squalli@gmail.com", "complete", 1, full),
        Dossier(A, "ayoub.naciri@gmail.com", "incomplete", 1, {"cv": 1, "cover_letter": 1}, ["references"]),
        Dossier(A, "zineb.elmansouri@gmail.com", "complete", 1, full),
    ]
