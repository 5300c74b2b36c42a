"""What a recruiter reads in a file name, a document or a mail body, as plain data."""
import pytest

from intake.understand.classify import classify_body, classify_document, strip_quoted
from intake.extract import DocumentText
from intake.vocabulary import PieceVocab, load_default_vocabulary

VOCAB = load_default_vocabulary()

CV = """Salma Bennani
Chargée de projet
salma@example.ma | +212 6 12 34 56 78
Expérience professionnelle
2019-2024 Chargée de projet, Association Tilila, Casablanca
Formation
2018 Master en sciences politiques, Université Hassan II
Compétences
Gestion de projet, suivi-évaluation, plaidoyer
Langues
Arabe, français, anglais
"""
REFS = """Références
M. Ahmed Alami, Directeur, Association Amane, ahmed.alami@amane.ma
Mme Fatima Zahra Bennis, Présidente, +212 5 22 33 44 55
Dr. Karim Idrissi - Université Hassan II - karim.idrissi@uh2.ac.ma
"""
LETTER = """Salma Bennani
Casablanca, le 3 mai 2021
Objet : candidature au poste de chargée de projet
Madame, Monsieur,
Suite à votre annonce, je me permets de vous proposer ma candidature au poste de chargée de projet.
Mon expérience au sein d'associations marocaines m'a appris la gestion de projets.
Dans l'attente de votre réponse, je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.
"""
RECOMMENDATION = """Lettre de recommandation
Je soussigné, Ahmed Alami, directeur de l'association Amane, recommande vivement Mme Salma
Bennani, qui a travaillé sous ma responsabilité de 2019 à 2024. Je la recommande sans réserve.
Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées.
"""


def doc(text: str) -> DocumentText:
    return DocumentText(text, 1, "pdf", None)


def pieces(findings) -> dict[str, int]:
    return {f.piece: f.count for f in findings}


@pytest.mark.parametrize("name, expected", [
    ("CV.pdf", {"cv"}),
    ("MonCV_Salma-Bennani.pdf", {"cv"}),
    ("curriculum_vitae.docx", {"cv"}),
    ("السيرة الذاتية.pdf", {"cv"}),
    ("LettreDeMotivation.docx", {"cover_letter"}),
    ("lettre_motivation_salma.pdf", {"cover_letter"}),
    ("CV et lettre.pdf", {"cv", "cover_letter"}),
    ("CV_LM_Salma.pdf", {"cv", "cover_letter"}),
    ("Lettre de recommandation - Alami.pdf", {"references"}),
    ("Note-méthodologique.pdf", {"methodology_note"}),
    ("OFFRE_FINANCIERE.xlsx", {"financial_proposal"}),
    ("Document1.pdf", set()),
    ("scan0001.pdf", set()),
    ("dossier.zip/IMG_2034.jpg", set()),
])
def test_an_unreadable_file_is_classified_by_its_name_alone(name, expected):
    unreadable = DocumentText("", None, "pdf", "PDF protégé par mot de passe")
    found = classify_document(name, unreadable, VOCAB)
    assert {f.piece for f in found} == expected
    assert all(f.evidence == "nom du fichier" and f.source == name for f in found)


def test_a_cv_with_a_generic_name_is_a_cv_by_its_content():
    assert pieces(classify_document("Document1.pdf", doc(CV), VOCAB)) == {"cv": 1}


def test_references_at_the_end_of_a_cv_are_counted_once_each():
    found = classify_document("CV.pdf", doc(CV + REFS + "Mme Bennis, +212 5 22 33 44 55\n"), VOCAB)
    assert pieces(found) == {"cv": 1, "references": 3}
    assert [f.evidence for f in found][0] == "nom et contenu"


def test_references_available_on_request_are_not_referees():
    found = classify_document("CV.pdf", doc(CV + "Références\nDisponibles sur demande\n"), VOCAB)
    assert pieces(found) == {"cv": 1}


def test_a_file_named_cv_that_is_plainly_a_letter_is_a_letter():
    found = classify_document("CV.pdf", doc(LETTER), VOCAB)
    assert pieces(found) == {"cover_letter": 1}
    assert found[0].evidence == "contenu"


def test_a_recommendation_letter_counts_one_reference_and_is_no_cover_letter():
    assert pieces(classify_document("scan0001.pdf", doc(RECOMMENDATION), VOCAB)) == {"references": 1}


def test_one_file_may_hold_a_cv_and_a_letter():
    assert pieces(classify_document("dossier.pdf", doc(LETTER + "\n" + CV), VOCAB)) == {
        "cv": 1, "cover_letter": 1}


def test_arabic_cv_content():
    text = "السيرة الذاتية\nالاسم: سلمى بناني\nالخبرة المهنية\nمنسقة مشاريع\nالتكوين\nماستر\nاللغات\nالعربية"
    assert pieces(classify_document("ملف.pdf", doc(text), VOCAB)) == {"cv": 1}


def test_only_pieces_of_the_vocabulary_passed_in_are_returned():
    only_cv = {"cv": VOCAB["cv"]}
    assert pieces(classify_document("CV et lettre.pdf", doc(CV + REFS), only_cv)) == {"cv": 1}


def test_a_posting_can_add_a_piece_of_its_own():
    vocab = dict(VOCAB, diploma=PieceVocab(label="diplôme", names=["diplôme"],
                                           content=["diplôme", "décerné", "grade de"], min_score=2))
    assert pieces(classify_document("Diplome_Master.pdf", None, vocab)) == {"diploma": 1}
    text = "Université Hassan II\nDiplôme de Master\nDécerné à Salma Bennani\nau grade de Master"
    assert pieces(classify_document("scan0001.pdf", doc(text), vocab)) == {"diploma": 1}


BODY_LETTER = """Madame, Monsieur,

Suite à votre annonce parue sur le site de l'Observatoire, je me permets de vous adresser ma
candidature au poste de chargée de projet. Titulaire d'un master en sciences politiques, j'ai
travaillé cinq ans dans la gestion de projets associatifs financés par l'Union européenne.

Mon expérience de la coordination avec les partenaires, du suivi des activités et du reporting
correspond aux responsabilités décrites dans votre offre. Je serais heureuse de mettre ces
compétences au service de votre organisation et de la réforme pénale.

Je reste à votre disposition pour un entretien. Veuillez agréer, Madame, Monsieur, l'expression
de mes salutations distinguées.

Salma Bennani
"""


def test_a_letter_written_in_the_body_is_the_cover_letter():
    assert pieces(classify_body(BODY_LETTER, VOCAB)) == {"cover_letter": 1}
    assert classify_body(BODY_LETTER, VOCAB, cover_letter_in_body=False) == []


def test_a_two_line_body_is_no_cover_letter():
    body = "Bonjour,\nVeuillez trouver ci-joint mon CV et ma lettre de motivation.\nCordialement"
    assert classify_body(body, VOCAB) == []


def test_referees_listed_in_the_body_are_counted():
    body = ("Bonjour,\nci-joint mon CV.\n\nMes références :\n- M. Ahmed Alami, directeur, 0661234567\n"
            "- Mme Nadia Tazi, nadia.tazi@example.org\n\nCordialement,\nSalma\n")
    found = classify_body(body, VOCAB)
    assert pieces(found) == {"references": 2}
    assert found[0].source == "corps du message"


def test_a_quoted_reply_is_not_the_applicants_letter():
    body = "Merci, voici mon CV.\n\nLe lun. 3 mai 2021 à 10:00, OMP <omp@example.ma> a écrit :\n" + \
        "\n".join("> " + line for line in BODY_LETTER.splitlines())
    assert strip_quoted(body).strip() == "Merci, voici mon CV."
    assert classify_body(body, VOCAB) == []


FOLLOW_UP = """Bonjour Madame,

Suite à ma candidature envoyée hier, je vous communique, comme demandé dans l'annonce, les
coordonnées des personnes suivantes, qui ont accepté de me recommander :

Mme Nadia Berrada, coordinatrice de programmes, Association Tahadi
Tél. : +212 6 61 22 33 44 - n.berrada@tahadi.ma

M. Youssef El Amrani, ancien directeur, Fondation Amal
Tél. : 06 70 11 22 33 - youssef.elamrani@amal.org

Je reste à votre disposition.
Cordialement,
Imane Chraibi
"""


def test_referees_introduced_at_the_end_of_a_sentence_are_counted():
    found = classify_body(FOLLOW_UP, VOCAB)
    refs = [f for f in found if f.piece == "references"]
    assert refs and refs[0].count == 2


def test_the_same_referees_under_a_heading_count_the_same():
    under_heading = FOLLOW_UP.replace(
        "les\ncoordonnées des personnes suivantes, qui ont accepté de me recommander :",
        "mes\nréférences.\n\nMes références :")
    refs = [f for f in classify_body(under_heading, VOCAB) if f.piece == "references"]
    assert refs and refs[0].count == 2


def test_a_sentence_ending_with_a_colon_that_announces_no_referees_starts_no_list():
    body = ("Bonjour,\n\nVoici les pièces jointes à ma candidature :\n\nCV\nLettre de motivation\n\n"
            "Cordialement,\nKarim")
    assert not [f for f in classify_body(body, VOCAB) if f.piece == "references"]


POLITE_NOTE = """Bonjour Madame, Monsieur,

Suite à votre annonce pour le poste de chargé de projet, je vous prie de bien vouloir trouver
ci-joint mon curriculum vitae ainsi que ma lettre de motivation. Je me tiens à votre entière
disposition pour tout renseignement complémentaire ou pour un entretien à votre convenance.

Dans l'attente de votre retour, je vous prie d'agréer, Madame, Monsieur, l'expression de mes
salutations distinguées.

Karim Alaoui
+212 6 61 00 11 22
"""


def test_a_polite_covering_note_is_not_the_cover_letter():
    assert [f.piece for f in classify_body(POLITE_NOTE, VOCAB)] == []


def test_a_real_letter_in_the_body_still_is():
    assert pieces(classify_body(BODY_LETTER.replace("Madame, Monsieur,", "Bonjour,\n\nMadame, Monsieur,"),
                                VOCAB)) == {"cover_letter": 1}


def test_a_date_range_in_a_referee_block_is_no_phone_number():
    from intake.understand.referees import phones

    assert phones("Chargée de projet 01/2019 - 12/2021, Association Tilila") == []
    assert phones("Tél. : 06 61 22 33 44") == ["+212661223344"]
    assert phones("+33 6 12 34 56 78") == ["+33612345678"]


def test_the_same_referee_written_with_and_without_the_country_code_counts_once():
    body = ("Bonjour,\n\nMes références :\n- Mme Nadia Berrada, coordinatrice, 0661223344\n"
            "- N. Berrada (Association Tahadi), +212 6 61 22 33 44\n\nCordialement,\nImane\n")
    refs = [f for f in classify_body(body, VOCAB) if f.piece == "references"]
    assert refs and refs[0].count == 1


def test_a_cv_line_with_only_dates_is_not_taken_for_a_referee():
    body = ("Bonjour,\n\nRéférences :\n- Stage 01/2019 - 12/2021\n- M. Ahmed Alami, directeur, 0661234567\n\n"
            "Cordialement,\nSalma\n")
    refs = [f for f in classify_body(body, VOCAB) if f.piece == "references"]
    assert refs and refs[0].count == 1


def test_a_career_line_among_the_referees_with_a_job_title_but_no_one_to_contact_is_not_one():
    # it sounds like a referee (a job title) but names nobody: no name, address or phone
    cv = DocumentText("Curriculum vitae\n\nRéférences :\n- M. Ahmed Alami, directeur, 0661234567\n"
                      "- 2019–2022 : Coordinateur de projet, OMDH, Rabat\n", 1, "pdf", None)
    refs = [f for f in classify_document("CV.pdf", cv, VOCAB) if f.piece == "references"]
    assert refs and refs[0].count == 1
