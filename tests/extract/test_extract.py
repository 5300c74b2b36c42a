"""Text from the files applicants send, read by real libraries in a bounded child process."""
import pytest

from intake.extract import Attachment, read_text, safe_filename
from tests.support.documents import docx_bytes, image_pdf_bytes, pdf_bytes, png_bytes


def read(name: str, data: bytes, **limits):
    return read_text(Attachment(name, data), **limits)


def test_pdf_text_is_read():
    result = read("cv.pdf", pdf_bytes(["Expérience professionnelle", "Chargée de projet à Fès"]))
    assert result.problem is None and result.format == "pdf" and result.pages == 1
    assert "Expérience professionnelle" in result.text and "Fès" in result.text


def test_arabic_pdf_text_is_read():
    result = read("cv.pdf", pdf_bytes(["السيرة الذاتية", "الخبرة المهنية"]))
    assert result.problem is None
    assert "السيرة" in result.text


def test_password_protected_pdf_is_a_problem():
    result = read("cv.pdf", pdf_bytes(["Curriculum vitae"], password="secret"))
    assert result.problem == "PDF protégé par mot de passe"


def test_a_scanned_pdf_without_text_is_a_problem():
    result = read("scan0001.pdf", image_pdf_bytes(png_bytes()))
    assert result.problem == "scan sans texte (image seule)"
    assert result.pages == 1


def test_docx_paragraphs_tables_headers_and_footers_are_read():
    data = docx_bytes(["Lettre de motivation"], table=[["Poste", "Chargée de projet"]],
                      header="Salma Bennani", footer="salma@example.ma")
    result = read("Document1.docx", data)
    assert result.problem is None and result.format == "docx"
    for part in ("Lettre de motivation", "Chargée de projet", "Salma Bennani", "salma@example.ma"):
        assert part in result.text


@pytest.mark.parametrize("encoding, text", [
    ("utf-8", "Références : M. Ahmed Alami, Fès"),
    ("cp1252", "Références : M. Ahmed Alami, Fès"),
    ("cp1256", "المراجع : السيد أحمد العلمي، فاس"),
    ("utf-16", "Références : السيد أحمد"),
])
def test_plain_text_in_common_charsets(encoding, text):
    result = read("refs.txt", text.encode(encoding))
    assert result.problem is None and result.text.strip() == text


def test_a_photo_is_flagged_for_review():
    result = read("IMG_2034.jpg", png_bytes())
    assert result.format == "image" and result.problem == "image (photo ou scan) : à vérifier"


def test_junk_named_pdf_is_an_unknown_format():
    result = read("cv.pdf", b"\x01\x02junk" * 100)
    assert result.problem == "format inconnu"


@pytest.mark.parametrize("name, expected", [
    ("../../etc/x", "x"),
    ("..\\..\\win.ini", "win.ini"),
    ("C:\\Users\\salma\\CV.pdf", "CV.pdf"),
    ("cv\x00.pdf\x07", "cv.pdf"),
    ("cv\u202efdp.exe", "cvfdp.exe"),
    ("", "piece-jointe"),
    (None, "piece-jointe"),
    ("../..", "piece-jointe"),
    ("Ce\u0301cile.pdf", "Cécile.pdf"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_a_long_filename_keeps_its_extension():
    name = safe_filename("a" * 600 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 120
