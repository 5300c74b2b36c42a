"""ODT (LibreOffice) -> text with odfpy."""
from __future__ import annotations

import io
import zipfile

from .document import DocumentText
from .zipguard import check_zip


def read_odt(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
    from odf import teletype  # odfpy, imported when an ODT is read
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    document = load(io.BytesIO(data))
    lines = [teletype.extractText(node) for node in _blocks(document, {(TEXTNS, "h"), (TEXTNS, "p")})]
    return DocumentText("\n".join(lines), None, "odt", None, "odfpy")


def _blocks(document, wanted):
    """Headings and paragraphs in document order (paragraphs inside frames and tables too)."""
    stack = [document.text]
    while stack:
        node = stack.pop()
        if getattr(node, "qname", None) in wanted:
            yield node
            continue
        stack.extend(reversed([c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]))
