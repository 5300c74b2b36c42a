"""Real PDF (fpdf2) and DOCX (python-docx) documents for the mail corpus, byte-for-byte reproducible.

Every function returns bytes. Texts are what Moroccan applicants really send: CVs, cover letters,
reference lists, recommendation letters, methodology notes and financial offers, in French, Arabic
and English.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

import docx
from docx.oxml import OxmlElement
from fpdf import FPDF

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FIXED = datetime(2020, 1, 1, tzinfo=timezone.utc)
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
CP1252_SAFE = str.maketrans({"–": "-", "’": "'", "œ": "oe", "Œ": "OE", "•": "-", "…": "..."})


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str = "+212 6 61 00 00 00"
    city: str = "Casablanca"
    female: bool = True


@dataclass(frozen=True)
class Referee:
    name: str
    title: str
    org: str
    email: str
    phone: str


# ---------------------------------------------------------------- rendering


def pdf(blocks: list[tuple[str, str]], *, created: datetime = FIXED, arabic: bool = False,
        embed_font: bool = False, photo: bytes | None = None) -> bytes:
    """blocks: (style, text) with style in title | h | p | li. `embed_font` (always for Arabic)
    embeds a TrueType font as word processors do; `photo` (JPEG) goes at the top right of the
    first page, as on many CVs."""
    doc = FPDF()
    doc.set_creation_date(created)
    family = "helvetica"
    if arabic or embed_font:   # Latin documents of the mail corpus keep the small core fonts
        family = "dv"
        doc.add_font("dv", "", FONT_DIR + "DejaVuSans.ttf")
        doc.add_font("dv", "B", FONT_DIR + "DejaVuSans-Bold.ttf")
    if arabic:   # HarfBuzz shaping
        doc.set_text_shaping(True)
    doc.add_page()
    if photo:
        doc.image(io.BytesIO(photo), x=165, y=10, w=30)
    align = "R" if arabic else "L"
    for style, text in blocks:
        bold, size, gap = {"title": ("B", 16, 4), "h": ("B", 12, 2), "p": ("", 10.5, 1), "li": ("", 10.5, 0)}[style]
        doc.set_font(family, bold, size)
        prefix = "- " if style == "li" and not arabic else ""
        if family == "helvetica":
            text = text.translate(CP1252_SAFE)
        doc.multi_cell(0, size * 0.55, prefix + text, align=align, new_x="LMARGIN", new_y="NEXT")
        doc.ln(gap)
    return bytes(doc.output())


def _rtl(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(OxmlElement("w:bidi"))
    for run in paragraph.runs:
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def docx_bytes(blocks: list[tuple[str, str]], *, author: str, arabic: bool = False) -> bytes:
    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = author
    props.created = props.modified = FIXED.replace(tzinfo=None)
    props.revision = 1
    for style, text in blocks:
        if style == "title":
            para = document.add_heading(text, level=1)
        elif style == "h":
            para = document.add_heading(text, level=2)
        elif style == "li":
            para = document.add_paragraph(text, style="List Bullet")
        else:
            para = document.add_paragraph(text)
        if arabic:
            _rtl(para)
    raw = io.BytesIO()
    document.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so the same document always gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- contents (French)


def referee_lines(referees: list[Referee]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for r in referees:
        out.append(("li", f"{r.name} – {r.title}, {r.org}"))
        out.append(("p", f"    Courriel : {r.email} – Tél. : {r.phone}"))
    return out


def cv_fr(p: Person, *, role: str, referees: list[Referee] = (), heading: bool = True) -> list[tuple[str, str]]:
    e = "e" if p.female else ""
    blocks = [
        ("title", p.name),
        ("p", f"{p.city} – {p.phone} – {p.email}"),
    ]
    if heading:
        blocks.append(("h", "Curriculum vitae"))
    blocks += [
        ("h", "Formation"),
        ("li", "2016 – 2018 : Master en droits de l'Homme et libertés publiques, Université Mohammed V, Rabat"),
        ("li", "2013 – 2016 : Licence en droit public, Université Hassan II, Casablanca"),
        ("h", "Expériences professionnelles"),
        ("li", f"2021 – aujourd'hui : {role}, Association Adala pour le droit à un procès équitable, Rabat"),
        ("p", "    Coordination des activités, suivi budgétaire, rapports narratifs mensuels aux bailleurs."),
        ("li", f"2018 – 2021 : Assistant{e} de projet, Amnesty International Maroc, Rabat"),
        ("p", "    Organisation d'ateliers de formation, relations avec les partenaires associatifs."),
        ("h", "Compétences"),
        ("li", "Gestion du cycle de projet, cadre logique, suivi-évaluation, plaidoyer"),
        ("li", "Bureautique (Word, Excel, PowerPoint), gestion de site web et réseaux sociaux"),
        ("h", "Langues"),
        ("li", "Arabe : langue maternelle – Français : courant – Anglais : bon niveau"),
    ]
    if referees:
        blocks.append(("h", "Références"))
        blocks += referee_lines(list(referees))
    return blocks


def letter_fr(p: Person, *, post: str, org: str, date: str) -> list[tuple[str, str]]:
    e = "e" if p.female else ""
    return [
        ("p", f"{p.name}\n{p.city} – {p.phone}\n{p.email}"),
        ("p", f"{p.city}, le {date}"),
        ("p", f"À l'attention de Monsieur le Président\n{org}"),
        ("h", f"Objet : Lettre de motivation – candidature au poste de {post}"),
        ("p", "Madame, Monsieur,"),
        ("p", f"C'est avec un grand intérêt que j'ai pris connaissance de votre offre pour le poste de {post}. "
              "Engagé" + e + " depuis plusieurs années dans la défense des droits humains, je souhaite mettre "
              "mon expérience au service de votre organisation."),
        ("p", "Au sein de l'Association Adala, j'ai coordonné des projets financés par l'Union européenne : "
              "planification des activités, suivi du budget, rédaction des rapports narratifs et organisation "
              "d'ateliers avec les acteurs de la chaîne pénale. Cette expérience m'a appris la rigueur et le "
              "travail en réseau avec les associations partenaires."),
        ("p", "Motivé" + e + " par la mission de votre organisation, je serais heureu" + ("se" if p.female else "x") +
              " de vous exposer plus en détail mes motivations lors d'un entretien."),
        ("p", "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées."),
        ("p", p.name),
    ]


def references_fr(p: Person, referees: list[Referee]) -> list[tuple[str, str]]:
    return [("title", "Références professionnelles"), ("p", f"Candidat{'e' if p.female else ''} : {p.name}")] \
        + referee_lines(referees)


def recommendation_fr(p: Person, r: Referee, *, date: str) -> list[tuple[str, str]]:
    il = "elle" if p.female else "il"
    return [
        ("p", f"{r.org}\n{r.email} – {r.phone}"),
        ("title", "Lettre de recommandation"),
        ("p", f"Je soussigné(e), {r.name}, {r.title} à {r.org}, recommande vivement {p.name} pour le poste "
              "de chargé(e) de projet."),
        ("p", f"J'ai travaillé avec {p.name} pendant trois ans. {il.capitalize()} a fait preuve d'un grand sens "
              "de l'organisation, de rigueur dans le suivi des activités et d'une réelle capacité à mobiliser "
              "les partenaires associatifs et institutionnels."),
        ("p", "Je reste à votre disposition pour tout renseignement complémentaire."),
        ("p", f"Fait à Rabat, le {date}"),
        ("p", r.name),
    ]


def methodology_fr(p: Person) -> list[tuple[str, str]]:
    return [
        ("title", "Note méthodologique"),
        ("p", f"Consultant(e) : {p.name} – auto-entrepreneur – {p.email}"),
        ("h", "1. Compréhension de la mission et objectifs"),
        ("p", "Accompagner l'OMP dans la mise à jour de ses statuts et de son règlement intérieur, l'élaboration "
              "d'un code d'éthique, d'un plan stratégique et d'une stratégie de plaidoyer."),
        ("h", "2. Contenu et démarche"),
        ("li", "Phase 1 : revue documentaire et entretiens avec le bureau exécutif (5 jours)"),
        ("li", "Phase 2 : atelier de formation et atelier de réflexion sur la planification stratégique (4 jours)"),
        ("li", "Phase 3 : rédaction des livrables et restitution (6 jours)"),
        ("h", "3. Techniques et supports pédagogiques"),
        ("p", "Méthodes interactives et participatives : travaux de groupe, études de cas, arbre à problèmes, "
              "supports PowerPoint et fiches pratiques remis aux participant·e·s."),
        ("h", "4. Évaluation des apprentissages"),
        ("p", "Questionnaires avant et après chaque atelier, évaluation à chaud et rapport narratif par activité."),
    ]


def financial_fr(p: Person, days: tuple[int, int, int], rate: int) -> list[tuple[str, str]]:
    labels = ("Revue documentaire et entretiens", "Animation des ateliers", "Rédaction des livrables")
    lines = [("li", f"{label} : {d} jours × {rate:,} MAD = {d * rate:,} MAD".replace(",", " "))
             for label, d in zip(labels, days)]
    total = sum(days) * rate
    return [
        ("title", "Offre financière"),
        ("p", f"Soumissionnaire : {p.name}, auto-entrepreneur – ICE 002345678000091"),
        ("p", "Objet : Recrutement d'un/une consultant-e chargé de projet – gouvernance de l'OMP"),
        *lines,
        ("h", f"Montant total : {total:,} MAD TTC (non assujetti à la TVA)".replace(",", " ")),
        ("p", "Validité de l'offre : 90 jours. Paiement par virement bancaire à la remise des livrables."),
    ]


# ---------------------------------------------------------------- contents (English, Arabic)


def cv_en(p: Person) -> list[tuple[str, str]]:
    return [
        ("title", p.name),
        ("p", f"{p.city}, Morocco – {p.phone} – {p.email}"),
        ("h", "Resume"),
        ("h", "Education"),
        ("li", "2015 – 2017: MA in Migration Studies, University of Sussex, United Kingdom"),
        ("li", "2011 – 2014: BA in Sociology, Ibn Zohr University, Agadir"),
        ("h", "Professional experience"),
        ("li", "2017 – present: Project officer, International Organization for Migration (IOM), Rabat"),
        ("p", "    Support to regional authorities on migrant reception, partner coordination, donor reporting."),
        ("h", "Skills"),
        ("li", "Project cycle management, logical framework, monitoring and evaluation"),
        ("h", "Languages"),
        ("li", "Arabic (native), Tachelhit (native), French (fluent), English (fluent)"),
    ]


def letter_en(p: Person, *, post: str, date: str) -> list[tuple[str, str]]:
    return [
        ("p", f"{p.name}\n{p.city} – {p.email}"),
        ("p", date),
        ("h", f"Cover letter – application for the position of {post}"),
        ("p", "Dear Mr Mansour,"),
        ("p", f"I am writing to apply for the position of {post} in Agadir. Having worked with regional "
              "authorities on migrant reception for three years, I would be glad to contribute to the "
              "territorialisation of migration policies in the Souss-Massa region."),
        ("p", "At IOM I coordinated partners, prepared terms of reference and reported to donors. I speak "
              "Arabic, Tachelhit, French and English, and I know the associations of the region well."),
        ("p", "I would welcome the opportunity to discuss my application with you."),
        ("p", "Yours sincerely,"),
        ("p", p.name),
    ]


def cv_ar(p_ar_name: str, p: Person, referees: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    blocks = [
        ("title", "السيرة الذاتية"),
        ("p", p_ar_name),
        ("p", f"{p.email} – {p.phone}"),
        ("h", "التكوين"),
        ("p", "ماستر في حقوق الإنسان، جامعة محمد الخامس بالرباط"),
        ("h", "الخبرات المهنية"),
        ("p", "منسقة مشاريع بجمعية عدالة من أجل الحق في محاكمة عادلة، 2020 – 2025"),
        ("p", "مساعدة مشروع بالمنظمة المغربية لحقوق الإنسان، 2017 – 2020"),
        ("h", "اللغات"),
        ("p", "العربية، الفرنسية، الإنجليزية"),
    ]
    if referees:
        blocks.append(("h", "المراجع"))
        blocks += [("p", f"{n} – {t} – {c}") for n, t, c in referees]
    return blocks


def letter_ar(p_ar_name: str, *, date: str) -> list[tuple[str, str]]:
    return [
        ("p", f"الدار البيضاء في {date}"),
        ("h", "رسالة تحفيزية"),
        ("p", "إلى السيد رئيس المرصد المغربي للسجون المحترم،"),
        ("p", "الموضوع: ترشيح لمنصب مكلف(ة) بالمشروع"),
        ("p", "تحية طيبة وبعد، يشرفني أن أتقدم إليكم بطلب ترشيحي لمنصب مكلفة بمشروع «العمل لصالح المعتقلين "
              "في وضعية هشاشة»، وذلك لما راكمته من تجربة في تدبير المشاريع الجمعوية."),
        ("p", "لقد اشتغلت لمدة خمس سنوات في تنسيق مشاريع ممولة من الاتحاد الأوروبي، وأعددت التقارير السردية "
              "ونظمت ورشات للتكوين لفائدة الفاعلين في مجال العدالة الجنائية."),
        ("p", "وتفضلوا بقبول فائق عبارات التقدير والاحترام."),
        ("p", p_ar_name),
    ]
