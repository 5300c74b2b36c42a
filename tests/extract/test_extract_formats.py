"""Every common format an applicant sends gives its text; real sample files never crash a reader."""
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from odf.opendocument import OpenDocumentText
from odf.text import H, P

from intake.understand.classify import classify_document
from intake.extract import Attachment, read_text, unpack
from intake.vocabulary import load_default_vocabulary
from tests.support.documents import pdf_bytes

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SAMPLES = SHARED / "corpus" / "sample_documents"
TNEF = SHARED / "corpus" / "tnefparse"


def read(name, data):
    return read_text(Attachment(name, data))


def test_xlsx_cells_are_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Offre financière", None])
    sheet.append(["Honoraires (jours homme)", 12000])
    sheet.append(["Total TTC (MAD)", 14400])
    out = io.BytesIO()
    book.save(out)
    result = read("budget.xlsx", out.getvalue())
    assert result.problem is None and result.format == "xlsx"
    assert "Offre financière" in result.text and "14400" in result.text


def test_odt_headings_and_paragraphs_are_read():
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Note méthodologique"))
    document.text.addElement(P(text="Approche participative et chronogramme."))
    out = io.BytesIO()
    document.write(out)
    result = read("note.odt", out.getvalue())
    assert result.problem is None and result.format == "odt"
    assert "Note méthodologique" in result.text and "chronogramme" in result.text


def test_rtf_is_read():
    rtf = rb"{\rtf1\ansi\ansicpg1252{\fonttbl\f0 Arial;}\f0 Lettre de motivation\par Candidature au poste de charg\'e9e de projet\par}"
    result = read("lettre.rtf", rtf)
    assert result.problem is None and result.format == "rtf"
    assert "Candidature au poste de chargée de projet" in result.text


def test_html_is_read_without_scripts():
    page = "<html><head><style>p{}</style><script>alert(1)</script></head><body><h1>Références</h1>" \
           "<p>M. Ahmed&nbsp;Alami</p><p>Mme Nadia Tazi</p></body></html>"
    result = read("refs.html", page.encode())
    assert result.problem is None and result.format == "html"
    assert [line for line in result.text.splitlines() if line] == [
        "Références", "M. Ahmed Alami", "Mme Nadia Tazi"]


def test_a_legacy_word_file_is_recognised_by_its_signature():
    result = read("CV.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    assert result.format == "doc" and result.problem == "ancien format Word (.doc) illisible"


def test_zip_members_keep_their_arabic_names_under_the_archive_name():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("dossier/السيرة الذاتية.pdf", pdf_bytes(["CV"]))
        zf.writestr("__MACOSX/._x", b"junk")
        zf.writestr("lettre.txt", "Madame, Monsieur".encode())
    files, problems = unpack([Attachment("dossier.zip", out.getvalue()), Attachment("cv.pdf", b"%PDF")])
    assert [f.filename for f in files] == ["dossier.zip/السيرة الذاتية.pdf", "dossier.zip/lettre.txt",
                                           "cv.pdf"]
    assert problems == []


def test_a_password_protected_zip_member_is_reported():
    # a zip whose only member is flagged encrypted (general purpose bit 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("cv.pdf", b"%PDF-1.4 secret")
    data = bytearray(out.getvalue())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(sig)
        flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
        data[flag_at] |= 1
    files, problems = unpack([Attachment("dossier.zip", bytes(data))])
    assert files == [] and problems == [("dossier.zip/cv.pdf", "fichier protégé par mot de passe dans l'archive")]


needs_corpus = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared corpus absent: {SAMPLES}")


@needs_corpus
def test_winmail_dat_gives_its_files():
    files, problems = unpack([Attachment("winmail.dat", (TNEF / "two-files.tnef").read_bytes())])
    assert [f.filename for f in files] == ["winmail.dat/AUTHORS", "winmail.dat/README"]
    assert problems == []


@needs_corpus
@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.rglob("*") if p.is_file()) if SAMPLES.is_dir()
                         else [], ids=lambda p: p.name)
def test_every_sample_document_gives_text_or_a_problem(path):
    result = read(path.name, path.read_bytes())
    assert (result.problem is None and result.text.strip()) or (result.problem and not result.text)


@needs_corpus
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("cv_*/*.pdf")) if SAMPLES.is_dir() else [],
                         ids=lambda p: p.name)
def test_sample_cv_pdfs_are_classified_as_cv_by_content(path):
    result = read(path.name, path.read_bytes())
    findings = classify_document("Document1.pdf", result, load_default_vocabulary())
    assert "cv" in {f.piece for f in findings}
