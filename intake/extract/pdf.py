"""PDF -> text with pdfminer.six, first pages only."""
from __future__ import annotations

import io
import re

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextContainer
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from .document import BAD_FONTS, ENCRYPTED, SCAN, DocumentText

MIN_CHARS = 20  # fewer visible characters than this over the pages read: a scan
_CID = re.compile(r"\(cid:\d+\)")


def read_pdf(data: bytes, max_pages: int) -> DocumentText:
    pages: list[str] = []
    try:
        for layout in extract_pages(io.BytesIO(data), maxpages=max_pages, laparams=LAParams()):
            pages.append(_page_text(layout))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        return DocumentText("", None, "pdf", ENCRYPTED)
    text = "\n\n".join(pages)
    visible = len("".join(text.split()))
    if visible < MIN_CHARS:
        return DocumentText("", len(pages), "pdf", SCAN)
    unmapped = len("".join(_CID.findall(text)))
    if unmapped > visible / 2:
        return DocumentText("", len(pages), "pdf", BAD_FONTS)
    return DocumentText(text, len(pages), "pdf", None)


def _page_text(layout) -> str:
    return "".join(el.get_text() for el in layout if isinstance(el, LTTextContainer))
