"""Word documents: DOCX read straight from its XML with lxml (body, tables, text boxes, headers,
footers); legacy Word 97 .doc by antiword (catdoc when antiword cannot), Debian's readers.

A DOCX is a zip of XML parts: the main part (found through ``_rels/.rels``) holds the body and,
in each section's properties, references to its own header and footer parts. Reading only those
parts takes a millisecond where python-docx, which loads every part (styles, numbering, theme),
took twelve; the text is the same. Entities are never expanded (an XML bomb stays small).
"""
from __future__ import annotations

import io
import os
import posixpath
import zipfile

from . import tools
from .document import OLD_WORD, DocumentText
from .zipguard import check_zip

_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_P, _T, _TAB, _BR = _W + "p", _W + "t", _W + "tab", _W + "br"
_SECTIONS = "./w:body/w:p/w:pPr/w:sectPr | ./w:body/w:sectPr"   # as python-docx finds them
DOC_SECONDS = 10   # a .doc read by a program: well inside the reader's own limit
_HEADERS_FOOTERS = (("header", "default"), ("footer", "default"), ("header", "first"), ("footer", "first"))


def read_docx(data: bytes, max_pages: int) -> DocumentText:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf)
        main = next((target for kind, target in _relations(zf, "").values() if kind == _MAIN), None)
        if main is None:
            raise ValueError("no main document part")
        document = _xml(zf, main)
        targets = _relations(zf, main)
        parts = [_paragraphs(document.find(_W + "body"))]
        for section in document.xpath(_SECTIONS, namespaces={"w": _W[1:-1]}):
            for kind, which in _HEADERS_FOOTERS:   # those of this section, not linked to the previous
                ref = next((r for r in section.iterchildren(f"{_W}{kind}Reference") if r.get(_W + "type") == which),
                           None)
                if ref is not None and ref.get(_R + "id") in targets:
                    parts.append(_paragraphs(_xml(zf, targets[ref.get(_R + "id")][1])))
    return DocumentText("\n".join(p for p in parts if p), None, "docx", None, "lxml")


def _xml(zf: zipfile.ZipFile, name: str):
    from lxml import etree  # imported when a DOCX is read

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    return etree.fromstring(zf.read(name), parser)


def _relations(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) for the part ``part`` ("" for the package itself)."""
    folder, name = posixpath.split(part)
    try:
        root = _xml(zf, posixpath.join(folder, "_rels", name + ".rels"))
    except KeyError:
        return {}
    out = {}
    for rel in root.iter(_RELS):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            name = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type"), name)
    return out


def _paragraphs(element) -> str:
    """Every paragraph in document order: body, table cells and text boxes (once each)."""
    lines = []
    for p in element.iter(_P):
        if any(a.tag == _FALLBACK for a in p.iterancestors()):
            continue  # the same text box again, for old Word versions
        lines.append(_run_text(p))
    return "\n".join(lines)


def _run_text(p) -> str:
    marks = {_TAB: "\t", _BR: "\n"}
    return "".join(marks.get(n.tag) or n.text or "" for n in p.iter(_T, *marks))


def read_doc(data: bytes, max_pages: int) -> DocumentText:
    """Word 97-2003 by antiword (Debian), or catdoc when antiword cannot: run as programs within
    the worker's limits (tools.py). Neither installed, or neither able: the old verdict, unread."""
    fd = tools.memory_file(data)
    try:
        for reader, argv in (("antiword", ["antiword", "-m", "UTF-8.txt", "-w", "0"]),
                             ("catdoc", ["catdoc", "-d", "utf-8", "-w"])):
            if not tools.installed(reader):
                continue
            try:
                out = tools.run([*argv, f"/proc/self/fd/{fd}"], fds=(fd,), timeout_s=DOC_SECONDS)
            except tools.ToolFailed:
                continue
            text = out.decode("utf-8", "replace")
            if text.strip():
                return DocumentText(text, None, "doc", None, reader)
    finally:
        os.close(fd)
    return DocumentText("", None, "doc", OLD_WORD, "")
