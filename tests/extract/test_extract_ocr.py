"""Photos and scans read by Tesseract (French, Arabic, English) in the reader workers: a phone
photo of a CV and a scanned references letter are recognised with their referees, the text
carries a note for review, a long scan is capped in pages and says so; without Tesseract a photo
or a scan is what it was, an item for review."""
from __future__ import annotations

import io
import random

import pytest

from intake.extract import Attachment, read_many, read_text
from intake.extract import ocr, readers
from intake.extract.document import IMAGE, SCAN
from intake.extract.pdf import read_pdf
from intake.understand.classify import classify_document
from intake.vocabulary import load_default_vocabulary
from tests.conftest import need_programs
from tests.documents import pieces, render
from tests.documents.content import Writer
from tests.support.documents import image_pdf_bytes, pdf_bytes

VOCAB = load_default_vocabulary()


@pytest.fixture(autouse=True)
def tesseract():
    need_programs("tesseract")
    if not ocr.available():
        pytest.fail("tesseract is installed without French, Arabic and English (tesseract-ocr-fra/-ara/-eng)")


def found(name: str, text) -> dict[str, int]:
    return {f.piece: f.count for f in classify_document(name, text, VOCAB)}


def test_a_phone_photo_of_a_cv_and_a_scanned_references_letter_are_recognised_for_review():
    w, rng = Writer(7, "tuning"), random.Random(7)
    cv, _ = pieces.cv(w, "fr", refs=2)
    letter, _ = pieces.recommendation(w, "fr")
    photo = Attachment("IMG_20260428_101512.jpg", render.photo(cv, rng), "image/jpeg")
    scan = Attachment("scan0002.pdf", render.scan_pdf([letter], rng), "application/pdf")
    photo_text, scan_text = read_many([photo, scan])
    assert (photo_text.format, photo_text.reader, photo_text.problem) == ("image", "tesseract", None)
    assert (scan_text.format, scan_text.reader, scan_text.problem) == ("pdf", "tesseract", None)
    assert photo_text.note == scan_text.note == "lu par reconnaissance de caractères : à vérifier"
    assert found(photo.filename, photo_text) == {"cv": 1, "references": 2}
    assert found(scan.filename, scan_text) == {"references": 1}


def test_arabic_and_french_are_both_read():
    w, rng = Writer(3, "tuning"), random.Random(3)
    cv, _ = pieces.cv(w, "ar", refs=0)
    result = read_text(Attachment("السيرة الذاتية.jpg", render.photo(cv, rng)))
    assert "السيرة الذاتية" in result.text or "الخبرة المهنية" in result.text
    assert found("photo.jpg", result) == {"cv": 1}
    mixed = render.page_image([("h", "Curriculum vitae"), ("p", "Expérience professionnelle à Fès"),
                               ("p", "الخبرة المهنية في الرباط")])
    out = io.BytesIO()
    mixed.save(out, "PNG")
    text = read_text(Attachment("scan.png", out.getvalue())).text
    assert "Expérience professionnelle" in text and "الخبرة المهنية" in text


def test_a_forty_page_scan_is_read_only_on_its_first_pages_and_the_note_says_so():
    page = render.page_image([("h", "Curriculum vitae"), ("p", "Karim Benali, chargé de projet à Rabat")] * 6)
    out = io.BytesIO()
    page.save(out, "PNG")
    result = read_text(Attachment("scan.pdf", image_pdf_bytes(out.getvalue(), pages=40)))
    assert result.reader == "tesseract" and result.pages == ocr.MAX_PAGES
    assert result.note == (f"lu par reconnaissance de caractères : à vérifier (seules {ocr.MAX_PAGES} page(s) "
                           "sur 40 lues : les suivantes ne sont pas lues)")


def test_an_image_without_text_stays_an_image_for_review():
    blank = io.BytesIO()
    render.page_image([("blank",)]).save(blank, "PNG")
    assert read_text(Attachment("photo.png", blank.getvalue())).problem == IMAGE


def test_a_text_pdf_never_goes_through_ocr():
    result = read_text(Attachment("cv.pdf", pdf_bytes(["Curriculum vitae", "Expérience professionnelle à Fès"])))
    assert result.reader == "pypdfium2" and result.note is None


def test_without_tesseract_a_photo_and_a_scan_are_as_before(monkeypatch, tmp_path):
    photo = render.photo(pieces.cv(Writer(1, "tuning"), "fr")[0], random.Random(1))
    ocr.available.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))   # no tesseract program to be found
    try:
        assert not ocr.available()
        assert readers.run_reader(photo, "image", 8).problem == IMAGE
        assert read_pdf(render.scan_pdf([[("p", "Curriculum vitae de Karim Benali")]], random.Random(1)), 8).problem == SCAN
    finally:
        ocr.available.cache_clear()


@pytest.mark.parametrize("angle", [90, 180])
def test_a_photo_taken_sideways_or_upside_down_is_read_the_right_way_up(angle):
    from PIL import Image

    cv, _ = pieces.cv(Writer(7, "tuning"), "fr", refs=2)
    turned = io.BytesIO()
    Image.open(io.BytesIO(render.photo(cv, random.Random(1)))).rotate(angle, expand=True).save(turned, "JPEG")
    result = read_text(Attachment("IMG_0007.jpg", turned.getvalue()))
    assert found("IMG_0007.jpg", result) == {"cv": 1, "references": 2}


def test_an_iphone_heic_photo_is_decoded_then_read():
    import pillow_heif
    from PIL import Image

    cv, _ = pieces.cv(Writer(7, "tuning"), "fr", refs=2)
    heic = io.BytesIO()
    pillow_heif.from_pillow(Image.open(io.BytesIO(render.photo(cv, random.Random(1)))).convert("RGB")).save(
        heic, quality=60)
    result = read_text(Attachment("IMG_4521.HEIC", heic.getvalue(), "image/heic"))
    assert (result.format, result.reader) == ("image", "tesseract")
    assert found("IMG_4521.HEIC", result) == {"cv": 1, "references": 2}
    assert read_text(Attachment("IMG_4522.HEIC", heic.getvalue()[:400])).problem == IMAGE   # cut short
