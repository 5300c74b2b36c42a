"""ODT (LibreOffice) -> text with odfpy."""
from __future__ import annotations

import io
import zipfile

from odf import teletype
from odf.namespaces import TEXTNS
from odf.opendocument import load

from .document import DocumentText
from .zipguard import check_zip


def read_odt(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
    document = load(io.BytesIO(data))
    lines = [teletype.extractText(node) for node in _blocks(document)]
    return DocumentText("\n".join(lines), None, "odt", None)


def _blocks(document):
    """Headings and paragraphs in document order (paragraphs inside frames and tables too)."""
    wanted = {(TEXTNS, "h"), (TEXTNS, "p")}
    stack = [document.text]
    while stack:
        node = stack.pop()
        if getattr(node, "qname", None) in wanted:
            yield node
            continue
        stack.extend(reversed([c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]))
