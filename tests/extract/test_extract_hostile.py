"""Hostile or broken files end as a clear problem: never a hang, a crash or a full disk."""
import io
import os
import zipfile

from intake.extract import Attachment, read_text, unpack
from intake.extract.document import CORRUPT, MEMORY, TIMEOUT, UNKNOWN
from tests.support.documents import docx_bytes, image_pdf_bytes, pdf_bytes, png_bytes

MB = 1024 * 1024


def read(name, data, **limits):
    return read_text(Attachment(name, data), **limits)


def zip_of(members: dict[str, bytes], level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_only_the_first_pages_of_a_2000_page_pdf_are_read():
    data = pdf_bytes(["Curriculum vitae, page après page."], pages=2000)
    result = read("cv.pdf", data, max_pages=3)
    assert result.problem is None and result.pages == 3


def test_a_reader_that_takes_too_long_is_killed():
    # a 10,000-page scan: no text for pdfium, so pdfminer.six goes through every page (seconds)
    data = image_pdf_bytes(png_bytes(), pages=10_000)
    result = read("scan.pdf", data, max_pages=20_000, timeout_s=0.5)
    assert result.problem == TIMEOUT


def test_a_reader_out_of_memory_ends_as_a_problem():
    result = read("notes.txt", "Référence ".encode() * 4 * MB, memory_mb=16)
    assert result.problem == MEMORY


LOOPING_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
   /Resources << /XObject << /X1 5 0 R >> >> >> endobj
4 0 obj << /Length 8 >> stream
/X1 Do
endstream endobj
5 0 obj << /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Length 8
   /Resources << /XObject << /X1 5 0 R >> >> >> stream
/X1 Do
endstream endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def test_a_pdf_whose_pages_and_drawings_loop_ends():
    result = read("cv.pdf", LOOPING_PDF, timeout_s=5)
    assert result.problem is not None and result.text == ""


def test_forty_megabytes_of_junk_named_pdf():
    junk = os.urandom(40 * MB)
    assert read("cv.pdf", junk).problem == UNKNOWN
    result = read("cv.pdf", b"%PDF-1.7\n" + junk, timeout_s=5)
    assert result.problem in (CORRUPT, TIMEOUT, "scan sans texte (image seule)")


def test_an_xml_entity_bomb_inside_a_docx_is_not_expanded():
    bomb = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "' + "A" * 100 + '">'
            + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
            + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            + "<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>")
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["CV"])))
    members = {n: source.read(n) for n in source.namelist()}
    members["word/document.xml"] = bomb.encode()
    result = read("CV.docx", zip_of(members))
    assert len(result.text) < 10_000
    assert result.problem is not None


def test_a_docx_that_expands_to_hundreds_of_megabytes_is_refused():
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["CV"])))
    members = {n: source.read(n) for n in source.namelist()}
    members["word/media/padding.bin"] = bytes(300 * MB)
    result = read("CV.docx", zip_of(members, level=1))
    assert result.problem and result.problem.startswith(CORRUPT)


def test_a_zip_bomb_is_refused():
    bomb = zip_of({"cv.txt": bytes(100 * MB)}, level=1)
    files, problems = unpack([Attachment("dossier.zip", bomb)])
    assert files == []
    assert problems and problems[0][0] == "dossier.zip" and "archive refusée" in problems[0][1]


def test_zips_nested_a_dozen_deep_are_opened_only_a_few_levels():
    data = zip_of({"CV.txt": b"Curriculum vitae"})
    for level in range(12):
        data = zip_of({f"niveau{level}.zip": data})
    files, problems = unpack([Attachment("dossier.zip", data)])
    assert files == []
    assert len(problems) == 1 and "imbriquée" in problems[0][1]
    assert problems[0][0].startswith("dossier.zip/niveau11.zip/niveau10.zip/")


def test_a_damaged_zip_is_a_problem():
    files, problems = unpack([Attachment("dossier.zip", zip_of({"cv.txt": b"x" * 1000})[:60])])
    assert files == [] and problems == [("dossier.zip", "archive illisible ou corrompue")]


def test_archive_members_cannot_escape_with_their_names():
    data = zip_of({"../../etc/passwd": b"root", "..\\..\\win.ini": b"[x]", "CV/Salma.pdf": b"%PDF"})
    files, problems = unpack([Attachment("dossier.zip", data)])
    assert [f.filename for f in files] == ["dossier.zip/passwd", "dossier.zip/win.ini",
                                           "dossier.zip/Salma.pdf"]
    assert problems == []
