"""Plain text (with a guessed charset), HTML and RTF -> text."""
from __future__ import annotations

import html.parser
import re

from .document import DocumentText

_ARABIC_1256 = set(range(0xC1, 0xDB)) | {0xDC, 0xDD, 0xDE, 0xDF, 0xE1, 0xE3, 0xE4, 0xE5, 0xE6,
                                          0xEC, 0xED, 0xF0, 0xF1, 0xF2, 0xF3, 0xF5, 0xF6, 0xF8, 0xFA}


def decode_text(data: bytes) -> str:
    """UTF-8 (or a BOM's UTF-16) first; else cp1256 when the bytes look Arabic; else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    high = [b for b in data if b >= 0x80]
    arabic = sum(b in _ARABIC_1256 for b in high)
    if high and arabic / len(high) > 0.5:
        return data.decode("cp1256", "replace")
    return data.decode("cp1252", "replace")


def read_txt(data: bytes, max_pages: int) -> DocumentText:
    return DocumentText(decode_text(data), None, "txt", None, "text")


def read_rtf(data: bytes, max_pages: int) -> DocumentText:
    from striprtf.striprtf import rtf_to_text  # imported when an RTF is read

    return DocumentText(rtf_to_text(data.decode("cp1252", "replace"), errors="ignore"), None, "rtf", None,
                        "striprtf")


class _HTMLText(html.parser.HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_html(data: bytes, max_pages: int) -> DocumentText:
    return DocumentText(html_to_text(decode_text(data)), None, "html", None, "html")
