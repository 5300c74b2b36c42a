"""Builders of each kind of document; each returns (blocks, referee count)."""
from __future__ import annotations

from tests.documents.content import AR_NAMES, AR_ORGS, AR_TITLES, CITIES, JOBS, ORGS, POSTS, TITLES, Writer

CV_HEADINGS = {
    ("fr", "tuning"): [["Expérience professionnelle", "Formation", "Compétences", "Langues", "Centres d'intérêt"],
                       ["EXPÉRIENCES PROFESSIONNELLES", "FORMATION ACADÉMIQUE", "COMPÉTENCES TECHNIQUES", "LANGUES"],
                       ["Profil", "Expériences", "Diplômes", "Informations personnelles", "Langues"]],
    ("fr", "heldout"): [["Parcours", "Études et diplômes", "Savoir-faire", "Langues parlées", "Activités associatives"],
                        ["EXPÉRIENCE", "ÉDUCATION", "OUTILS INFORMATIQUES", "LANGUES"]],
    ("en", "tuning"): [["Work Experience", "Education", "Skills", "Languages"]],
    ("en", "heldout"): [["Employment", "Academic Background", "Key Skills", "Languages", "Interests"]],
    ("ar", "tuning"): [["المعلومات الشخصية", "الخبرة المهنية", "التكوين", "المهارات", "اللغات"]],
    ("ar", "heldout"): [["المسار المهني", "الشهادات", "الكفاءات", "اللغات"]],
}


def referees(w: Writer, n: int, lang: str = "fr") -> list:
    """n referees in one of several layouts."""
    if lang == "ar":
        return [("p", f"{w.pick(['السيد', 'السيدة', 'الدكتور'])} {name}، {w.pick(AR_TITLES)}، "
                      f"{w.pick(AR_ORGS)}، الهاتف: {w.phone()}") for name in w.rng.sample(AR_NAMES, n)]
    layout = w.pick(["line", "block", "bullet", "numbered"] + (["table", "plain"] if w.heldout else []))
    people, names = [], set()
    while len(names) < n:
        names.add(w.person())
    for i, name in enumerate(sorted(names)):
        org, title = w.pick(ORGS), w.pick(TITLES)
        hon = w.pick(["M.", "Mme", "Dr", "Pr", "Monsieur", "Madame"]) if layout != "plain" else ""
        people.append((f"{hon} {name}".strip(), title, org, w.phone(), w.email(name, org), i))
    if layout == "table":
        return [("table", [["Nom", "Fonction", "Contact"]] + [[p[0], f"{p[1]}, {p[2]}", f"{p[3]} / {p[4]}"]
                                                             for p in people])]
    out = []
    for name, title, org, phone, email, i in people:
        if layout == "line":
            out.append(("p", f"{name}, {title}, {org} – {email} – {phone}"))
        elif layout == "bullet":
            out.append(("p", f"- {name} ({title}, {org}) : {email}"))
        elif layout == "numbered":
            out.append(("p", f"{i + 1}. {name}, {org}, tél. {phone}"))
        else:
            out += [("p", name), ("p", f"{title}, {org}"), ("p", f"Tél : {phone}"), ("p", f"Email : {email}"),
                    ("blank",)]
    return out


def cv(w: Writer, lang: str = "fr", refs: int = 0, on_request: bool = False) -> tuple[list, int]:
    heads = w.pick(CV_HEADINGS[(lang, w.style)])
    name = w.pick(AR_NAMES) if lang == "ar" else w.person()
    blocks: list = []
    if lang == "ar":
        blocks += [("h", "السيرة الذاتية")] if w.rng.random() < 0.6 else []
        blocks += [("p", name), ("p", f"الهاتف: {w.phone()}"), ("p", f"المدينة: {w.pick(['الرباط', 'فاس', 'الدار البيضاء'])}")]
    else:
        if w.rng.random() < 0.4:
            blocks.append(("h", "CURRICULUM VITAE" if lang == "fr" else "RESUME"))
        blocks += [("p", name), ("p", w.pick(JOBS)), ("p", f"{w.email(name)} | {w.phone()} | {w.pick(CITIES)}")]
    for head in heads:
        blocks.append(("h", head))
        for _ in range(w.rng.randint(1, 3)):
            blocks.append(("p", _cv_line(w, lang)))
    n = 0
    if refs or on_request:
        title = {"fr": w.pick(["Références", "RÉFÉRENCES", "Références professionnelles"]),
                 "en": "References", "ar": "المراجع"}[lang]
        blocks.append(("h", title))
        if on_request:
            blocks.append(("p", "Disponibles sur demande" if lang == "fr" else "Available upon request"))
        else:
            blocks += referees(w, refs, lang)
            n = refs
    return blocks, n


def _cv_line(w: Writer, lang: str) -> str:
    if lang == "ar":
        return w.pick(["2018-2022 منسقة مشاريع، جمعية أمان، الرباط", "ماستر في العلوم السياسية، جامعة محمد الخامس",
                       "العربية، الفرنسية، الإنجليزية", "تسيير المشاريع والتتبع والتقييم"])
    if lang == "en":
        return w.pick([f"{w.years()} Project officer, {w.pick(ORGS)}", "Master in political science, Mohammed V University",
                       "Project management, monitoring and evaluation, advocacy", "Arabic, French, English"])
    return w.pick([f"{w.years()} {w.pick(JOBS)}, {w.pick(ORGS)}, {w.pick(CITIES)}",
                   f"{w.years()} Master en sciences politiques, Université Mohammed V, Rabat",
                   "Gestion de projets, suivi-évaluation, plaidoyer, rédaction de rapports",
                   "Arabe (langue maternelle), français (courant), anglais (bon niveau)",
                   "Pack Office, Kobo Toolbox, SPSS", "Bénévolat auprès des détenus, randonnée"])


def cover_letter(w: Writer, lang: str = "fr") -> tuple[list, int]:
    name = w.pick(AR_NAMES) if lang == "ar" else w.person()
    if lang == "ar":
        return [("p", name), ("p", "إلى السيد مدير المرصد المغربي للسجون"),
                ("p", "الموضوع: طلب ترشيح لمنصب مكلف بالمشروع"), ("p", "تحية طيبة وبعد،"),
                ("p", "يشرفني أن أتقدم إليكم بطلب ترشيحي لمنصب مكلف بالمشروع الذي أعلنتم عنه، "
                      "وذلك لما راكمته من خبرة في تسيير المشاريع الجمعوية."),
                ("p", "وتقبلوا فائق التقدير والاحترام.")], 0
    if lang == "en":
        opening = w.pick(["Dear Hiring Manager,", "Dear Sir or Madam,"] if not w.heldout else ["Dear Ms Tazi,", "Hello,"])
        return [("p", name), ("p", opening),
                ("p", f"I am writing to apply for the position of {w.pick(POSTS)} advertised on your website."),
                ("p", f"For five years I have managed community projects with {w.pick(ORGS)}, "
                      "coordinating partners and reporting to donors."),
                ("p", w.pick(["I would welcome the opportunity to discuss my application at an interview.",
                              "I look forward to hearing from you."])),
                ("p", w.pick(["Yours faithfully,", "Sincerely,"] if not w.heldout else ["Best regards,", "Kind regards,"])),
                ("p", name)], 0
    post = w.pick(POSTS)
    blocks = [("p", name), ("p", f"{w.pick(CITIES)}, le {w.rng.randint(1, 28)} mai 2021")]
    if w.rng.random() < 0.7:
        blocks.append(("p", f"Objet : Candidature au poste de {post}"))
    if w.heldout:
        salutation = w.pick(["Chère Madame,", "Monsieur le Président,", "À l'attention du comité de recrutement,"])
        para = [f"C'est avec un grand intérêt que j'ai découvert l'avis de recrutement pour le poste de {post}.",
                f"Mon parcours au sein de {w.pick(ORGS)} m'a permis d'acquérir une solide expérience du "
                "pilotage d'activités et du travail avec les partenaires institutionnels.",
                "Je serais ravie de vous exposer ma motivation lors d'une rencontre.",
                w.pick(["Je vous adresse mes respectueuses salutations.", "Bien cordialement."])]
    else:
        salutation = w.pick(["Madame, Monsieur,", "Monsieur le Directeur,"])
        para = [f"Suite à votre annonce, je me permets de vous proposer ma candidature au poste de {post}.",
                f"Titulaire d'un master et forte de {w.rng.randint(3, 9)} années d'expérience au sein de "
                f"{w.pick(ORGS)}, je souhaite mettre mes compétences au service de votre organisation.",
                "Dans l'attente de votre réponse, je reste à votre disposition pour un entretien.",
                "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées."]
    return blocks + [("p", salutation)] + [("p", p) for p in para] + [("p", name)], 0


def recommendation(w: Writer, lang: str = "fr") -> tuple[list, int]:
    candidate, author, org = w.person(), w.person(), w.pick(ORGS)
    if lang == "ar":
        return [("h", "رسالة توصية"), ("p", f"أنا الموقع أسفله، {w.pick(AR_NAMES)}، مدير {w.pick(AR_ORGS)}،"),
                ("p", f"أوصي بالسيدة {w.pick(AR_NAMES)} التي اشتغلت تحت إشرافي لمدة ثلاث سنوات، "
                      "وأشهد بجديتها وكفاءتها."), ("p", "وتقبلوا فائق الاحترام.")], 1
    if lang == "en":
        return [("h", "Letter of recommendation"), ("p", "To whom it may concern,"),
                ("p", f"I have known {candidate} for four years as a project officer under my supervision at {org}."),
                ("p", f"I highly recommend {candidate} without reservation for the position."),
                ("p", f"{author}, Director, {org}"), ("p", w.email(author, org))], 1
    title = w.pick(["Lettre de recommandation", "LETTRE DE RECOMMANDATION"] if not w.heldout
                   else ["Attestation de recommandation", "Recommandation"])
    return [("h", title), ("p", "Madame, Monsieur,"),
            ("p", f"Je soussigné, {author}, {w.pick(TITLES).lower()} de {org}, recommande vivement "
                  f"{candidate}, qui a travaillé sous ma responsabilité de 2017 à 2021."),
            ("p", "Ses qualités d'organisation et son sens de l'écoute ont été précieux à notre équipe. "
                  "Je la recommande sans réserve pour le poste auquel elle postule."),
            ("p", "Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées."),
            ("p", f"{author} – {w.phone()}")], 1


def references_list(w: Writer, n: int, lang: str = "fr") -> tuple[list, int]:
    title = {"fr": w.pick(["Références", "Liste des références", "Personnes de référence"] if not w.heldout
                          else ["Mes références", "Référents"]),
             "en": "Referees", "ar": "المراجع"}[lang]
    intro = [] if w.rng.random() < 0.5 else [("p", w.person())]
    return intro + [("h", title)] + referees(w, n, lang), n


def methodology(w: Writer, lang: str = "fr") -> tuple[list, int]:
    if lang == "ar":
        return [("h", "المذكرة المنهجية"), ("h", "المنهجية"),
                ("p", "نعتمد مقاربة تشاركية تقوم على ورشات مع الجمعيات الشريكة."),
                ("h", "خطة العمل"), ("p", "المرحلة الأولى: التشخيص. المرحلة الثانية: التكوين."),
                ("h", "الجدول الزمني"), ("p", "ثلاثة أشهر ابتداء من تاريخ التعاقد.")], 0
    if w.heldout:
        heads = ["Contexte et enjeux", "Démarche proposée", "Organisation de la mission", "Calendrier",
                 "Produits attendus"]
    else:
        heads = w.pick([["Note méthodologique", "1. Compréhension de la mission", "2. Approche méthodologique",
                         "3. Plan de travail et chronogramme", "4. Livrables"],
                        ["NOTE MÉTHODOLOGIQUE", "Méthodologie", "Chronogramme", "Livrables"]])
    blocks = [("p", w.person())] if w.rng.random() < 0.5 else []
    for head in heads:
        blocks.append(("h", head))
        blocks.append(("p", w.pick([
            "La mission vise à renforcer les capacités des coalitions d'OSC en gestion de projets, "
            "conformément aux termes de référence.",
            "Nous proposons une approche participative : ateliers de formation, accompagnement à distance "
            "et évaluation des apprentissages.",
            "Semaine 1 : cadrage ; semaines 2 à 6 : ateliers ; semaine 7 : rapport final.",
            "Rapport de démarrage, supports pédagogiques, rapport final de la mission."])))
    return blocks, 0


def financial(w: Writer, lang: str = "fr") -> tuple[list, int]:
    days, rate = w.rng.randint(10, 30), w.pick([2500, 3000, 3500, 4000])
    unit = w.pick(["MAD", "DH", "Dhs"])
    title = w.pick(["Offre financière", "OFFRE FINANCIÈRE", "Proposition financière"] if not w.heldout
                   else ["Budget prévisionnel de la mission", "Détail des coûts"])
    rows = [["Désignation", "Quantité", "Prix unitaire", "Montant"],
            ["Honoraires du consultant (jours)", str(days), f"{rate} {unit}", f"{days * rate} {unit}"],
            ["Frais de déplacement", "1", f"3000 {unit}", f"3000 {unit}"],
            ["Total HT", "", "", f"{days * rate + 3000} {unit}"],
            ["TVA 20 %", "", "", f"{(days * rate + 3000) // 5} {unit}"],
            ["Total TTC", "", "", f"{(days * rate + 3000) * 6 // 5} {unit}"]]
    return [("p", w.person()), ("h", title), ("table", rows),
            ("p", "Arrêtée la présente offre à la somme indiquée toutes taxes comprises.")], 0


def distractor(w: Writer, kind: str) -> tuple[list, int]:
    """Documents applicants attach that are none of the pieces."""
    person = w.person()
    texts = {
        "attestation": [("h", "ATTESTATION DE TRAVAIL"),
                        ("p", f"Je soussigné, directeur de {w.pick(ORGS)}, atteste que {person} a occupé "
                              f"le poste de {w.pick(JOBS).lower()} du 1er mars 2016 au 31 décembre 2020."),
                        ("p", "La présente attestation lui est délivrée pour servir et valoir ce que de droit.")],
        "diploma": [("h", "Royaume du Maroc – Université Mohammed V de Rabat"),
                    ("p", f"Diplôme de Master décerné à {person}, né le 3 mars 1994 à {w.pick(CITIES)}"),
                    ("p", "Spécialité : sciences politiques. Mention : bien.")],
        "article": [("h", "La réforme pénale au Maroc : état des lieux"),
                    ("p", "Le projet de code pénal prévoit des peines alternatives pour les délits mineurs. "
                          "Les associations saluent cette avancée tout en demandant des garanties."),
                    ("p", "Selon les chiffres officiels, la population carcérale dépasse 100 000 personnes.")],
        "id": [("p", "ROYAUME DU MAROC – CARTE NATIONALE D'IDENTITÉ"), ("p", person),
               ("p", f"Né le 12.04.1992 à {w.pick(CITIES)}"), ("p", "Valable jusqu'au 12.04.2031")],
    }
    return texts[kind], 0


def body(w: Writer, kind: str) -> tuple[str, int]:
    """A mail body as an applicant writes it; quoted replies below a "a écrit :" line."""
    name = w.person()
    if kind == "short":
        return w.pick(["Bonjour,\n\nVeuillez trouver ci-joint mon CV et ma lettre de motivation.\n\nCordialement,\n",
                       "Bonjour,\nci-joint ma candidature.\nMerci\n", "Please find attached my CV.\nBest,\n"]) + name, 0
    if kind == "refs":
        n = w.rng.randint(2, 3)
        lines = [b[1] for b in referees(w, n) if b[0] == "p"]
        return ("Bonjour,\n\nJe vous envoie ma candidature, CV en pièce jointe.\n\n"
                + w.pick(["Mes références :", "Références :", "Personnes de référence :"]) + "\n"
                + "\n".join(lines) + f"\n\nCordialement,\n{name}\n"), n
    blocks, _ = cover_letter(w, w.pick(["fr", "fr", "en"]))
    paragraphs = [b[1] for b in blocks[2:] if b[0] == "p"]
    text = "\n\n".join(paragraphs + [
        "Mon expérience de la coordination avec les partenaires, du suivi des activités et du "
        "reporting correspond aux responsabilités décrites dans l'avis, et je serais heureuse de "
        "contribuer à la réussite de ce projet au service des personnes détenues."])
    if kind == "quoted_letter":
        quoted = "\n".join("> " + line for line in text.splitlines())
        return ("Bonjour, voici mon CV en pièce jointe.\n\nLe 3 mai 2021 à 10:00, OMP <omp@example.ma> a écrit :\n"
                + quoted), 0
    return text, 0
