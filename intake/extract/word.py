"""Word documents: DOCX with python-docx (body, tables, text boxes, headers, footers);
legacy .doc by a crude scrape of the text runs stored in the file."""
from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.oxml.ns import qn

from .document import OLD_WORD, DocumentText
from .zipguard import check_zip

_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def read_docx(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
    document = docx.Document(io.BytesIO(data))
    parts = [_paragraphs(document.element.body)]
    for section in document.sections:
        for hf in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            if not hf.is_linked_to_previous:
                parts.append(_paragraphs(hf._element))
    return DocumentText("\n".join(p for p in parts if p), None, "docx", None)


def _paragraphs(element) -> str:
    """Every paragraph in document order: body, table cells and text boxes (once each)."""
    lines = []
    for p in element.iter(qn("w:p")):
        if any(a.tag == _FALLBACK for a in p.iterancestors()):
            continue  # the same text box again, for old Word versions
        lines.append(_run_text(p))
    return "\n".join(lines)


def _run_text(p) -> str:
    marks = {qn("w:tab"): "\t", qn("w:br"): "\n"}
    return "".join(marks.get(n.tag) or n.text or "" for n in p.iter(qn("w:t"), *marks))


_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\xa0-\xff][\x00]|[\x00-\xff][\x06]|[\r\t][\x00]){4,}")
_LATIN_RUN = re.compile(rb"[\x20-\x7e\x91-\x97\xa0-\xff\r\t]{6,}")


def read_doc(data: bytes, max_pages: int) -> DocumentText:
    """Word 97-2003 keeps its text as UTF-16 or cp1252 runs: keep the runs that look like words."""
    wide = _wordy_runs(m.decode("utf-16-le", "ignore") for m in _UTF16_RUN.findall(data))
    narrow = _wordy_runs(m.decode("cp1252", "ignore") for m in _LATIN_RUN.findall(data))
    text = max(wide, narrow, key=lambda t: len(t.split()))
    if len(text.split()) < 20:
        return DocumentText("", None, "doc", OLD_WORD)
    return DocumentText(text, None, "doc", None)


def _wordy_runs(runs) -> str:
    return "\n".join(r.replace("\r", "\n").strip() for r in runs if _wordy(r))


def _wordy(run: str) -> bool:
    letters = sum(c.isalpha() for c in run)
    return letters >= 4 and letters / max(len(run), 1) > 0.6 and " " in run.strip()
