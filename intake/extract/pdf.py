"""PDF -> text, first pages only: pypdfium2 first (fast), pdfminer.six when it cannot say.

pdfium reads most PDFs ten times faster than pdfminer.six. When it fails (damaged file, password),
finds too little text (a scan), gives text with unmapped glyphs (control or private-use characters),
or gives right-to-left text whose order is not plainly logical, pdfminer.six reads the file and
gives the verdict it always gave (text, scan, password, unmapped fonts). A scan is then read by
OCR when Tesseract is installed (ocr.py). Both are imported here
only, when a PDF is read, so importing intake.extract stays cheap.
"""
from __future__ import annotations

import io
import re
import unicodedata

from .document import BAD_FONTS, ENCRYPTED, SCAN, DocumentText

MIN_CHARS = 20  # fewer visible characters than this over the pages read: a scan
MAX_ODD = 0.02  # share of control, private-use or replacement characters that means unmapped fonts
_CID = re.compile(r"\(cid:\d+\)")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
# Arabic letters that only ever end a word: seen at the start of words, the line is reversed.
_FINAL_ONLY = "\u0629\u0649"  # ة ى
_WORD_START = re.compile(f"(?:^|[^\\w])[{_FINAL_ONLY}]\\w", re.UNICODE)
_WORD_END = re.compile(f"\\w[{_FINAL_ONLY}](?:$|[^\\w])", re.UNICODE)


def read_pdf(data: bytes, max_pages: int) -> DocumentText:
    result = _with_pdfium(data, max_pages) or _with_pdfminer(data, max_pages)
    if result.problem == SCAN:
        from . import ocr   # a scan only: text PDFs never come here

        if ocr.available():
            return ocr.read_scanned_pdf(data, max_pages) or result
    return result


def _with_pdfium(data: bytes, max_pages: int) -> DocumentText | None:
    """pdfium's text when it is plainly good; None leaves the verdict to pdfminer.six."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        count = min(len(pdf), max_pages)
        pages = [_pdfium_page(pdf, n) for n in range(count)]
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()
    text = "\n\n".join(pages)
    if not _plainly_good(text):
        return None
    return DocumentText(text, count, "pdf", None, "pypdfium2")


def _pdfium_page(pdf, n: int) -> str:
    page = pdf[n]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _plainly_good(text: str) -> bool:
    visible = "".join(text.split())
    if len(visible) < MIN_CHARS:
        return False
    odd = sum(1 for c in visible if unicodedata.category(c) in ("Cc", "Co", "Cs") or c == "\ufffd")
    if odd > MAX_ODD * len(visible):
        return False
    if _RTL.search(text):
        return len(_WORD_END.findall(text)) > len(_WORD_START.findall(text))
    return True


def _with_pdfminer(data: bytes, max_pages: int) -> DocumentText:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    pages: list[str] = []
    try:
        for layout in extract_pages(io.BytesIO(data), maxpages=max_pages, laparams=LAParams()):
            pages.append(_pdfminer_page(layout))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        return DocumentText("", None, "pdf", ENCRYPTED, "pdfminer")
    text = "\n\n".join(pages)
    visible = len("".join(text.split()))
    if visible < MIN_CHARS:
        return DocumentText("", len(pages), "pdf", SCAN, "pdfminer")
    unmapped = len("".join(_CID.findall(text)))
    if unmapped > visible / 2:
        return DocumentText("", len(pages), "pdf", BAD_FONTS, "pdfminer")
    return DocumentText(text, len(pages), "pdf", None, "pdfminer")


def _pdfminer_page(layout) -> str:
    from pdfminer.layout import LTTextContainer

    return "".join(el.get_text() for el in layout if isinstance(el, LTTextContainer))
