"""OCR with Tesseract (Debian's tesseract-ocr, with French, Arabic and English): phone photos of
documents and PDFs whose pages have no text layer.

On only when installed (``available``: the tesseract program and the three languages' data);
without it a photo or a scan stays what it was, an item for review. Bounded per document: at
most MAX_PAGES pages and SECONDS seconds (a 40-page scan costs seconds, not minutes), each page
read by the tesseract program under the worker's limits (tools.py); what was left unread is said
in the note. Text found this way is always to be checked by a person: ``note`` says so, and the
pipeline puts it in needs_review beside whatever piece was recognised.
"""
from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

from . import tools
from .document import IMAGE, DocumentText

LANGUAGES = ("fra", "ara", "eng")
MAX_PAGES = 3          # a CV, its second page, a references page
SECONDS = 10.0         # per document, well inside the reader's own time limit
DPI = 200              # enough for body text; a quarter fewer pixels to read than 300 dpi
MAX_PIXELS = 12_000_000  # a page rendered larger than this (an odd page size) is rendered smaller
MIN_CHARS = 20
NOTE = "lu par reconnaissance de caractères : à vérifier"
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_TESSDATA = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
             "/usr/share/tessdata")


@functools.cache
def available() -> bool:
    """The tesseract program and the data of every language in LANGUAGES are installed."""
    folders = [Path(p) for p in (os.environ.get("TESSDATA_PREFIX"), *_TESSDATA) if p]
    return tools.installed("tesseract") and all(
        any((folder / f"{lang}.traineddata").is_file() for folder in folders) for lang in LANGUAGES)


def read_image(data: bytes, max_pages: int) -> DocumentText:
    """A photo or an image scan: its text, or the image verdict when OCR finds none. Tesseract
    reads JPEG, PNG, TIFF, WebP, GIF and BMP itself; an iPhone's HEIC is decoded first."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        data = _heif_as_pgm(data)
    text = _read(iter([data]), 1, "image") if data else None
    return text or DocumentText("", None, "image", IMAGE)


def _heif_as_pgm(data: bytes) -> bytes | None:
    """A HEIC/HEIF photo as a grey PGM (pillow-heif's libheif, in this worker); None when it
    cannot be decoded or is absurdly large."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        width, height = heif.size
        if width * height > 4 * MAX_PIXELS:
            return None
        out = io.BytesIO()
        heif.to_pillow().convert("L").save(out, "PPM")
    except (ValueError, RuntimeError, OSError, SyntaxError):
        return None
    return out.getvalue()


def read_scanned_pdf(data: bytes, max_pages: int) -> DocumentText | None:
    """A PDF without a text layer, read page by page; None when OCR finds no text either."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        total = len(pdf)
        return _read(_rendered_pages(pdf, min(total, max_pages, MAX_PAGES)), total, "pdf")
    finally:
        pdf.close()


def _read(images: Iterator[bytes], total: int, fmt: str) -> DocumentText | None:
    deadline = time.monotonic() + SECONDS
    pages: list[str] = []
    timed_out = False
    for image in images:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        try:
            tsv = tools.run(["tesseract", "stdin", "stdout", "-l", "+".join(LANGUAGES), "--psm", "1", "tsv"],
                            stdin=image, timeout_s=left)
            pages.append(_lines(tsv.decode("utf-8", "replace")))
        except tools.ToolFailed:
            timed_out = time.monotonic() >= deadline
            break
    text = "\n\n".join(p.replace("\f", "").strip() for p in pages)
    if len("".join(text.split())) < MIN_CHARS:
        return None
    return DocumentText(text, len(pages), fmt, None, "tesseract", note=NOTE + _unread(len(pages), total, timed_out))


def _lines(tsv: str) -> str:
    """The page's lines in Tesseract's reading order, with a blank line only where the page has
    a gap taller than a line or a new column starts (Tesseract's own text output puts one
    between most of its blocks, which would cut one referee's lines apart). A photo taken
    sideways or upside down is turned by Tesseract, but its boxes are not: the lines then run
    along the other axis, or backwards."""
    lines: dict[tuple[str, ...], list] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or not cols[0].isdigit() or not all(c.lstrip("-").isdigit() for c in cols[6:10]):
            continue
        key = tuple(cols[1:5])   # page, block, paragraph, line
        if cols[0] == "4":
            lines[key] = [*map(int, cols[6:10]), []]          # left, top, width, height, words
        elif cols[0] == "5" and cols[11].strip() and key in lines:
            lines[key][4].append(cols[11].strip())
    kept = [line for line in lines.values() if line[4]]
    if not kept:
        return ""
    sideways = _median([w for _, _, w, _, _ in kept]) < _median([h for _, _, _, h, _ in kept])
    spans = [(left, width) if sideways else (top, height) for left, top, width, height, _ in kept]
    forward = _median([b[0] - a[0] for a, b in zip(spans, spans[1:])] or [1]) >= 0
    height = _median([size for _, size in spans])
    out = [" ".join(kept[0][4])]
    for (start, size), (before, before_size), line in zip(spans[1:], spans, kept[1:]):
        gap = start - (before + before_size) if forward else before - (start + size)
        if gap > 1.2 * height or (start < before if forward else start > before):
            out.append("")
        out.append(" ".join(line[4]))
    return "\n".join(out)


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


def _unread(read: int, total: int, timed_out: bool) -> str:
    if read >= total:
        return ""
    why = "délai de lecture atteint" if timed_out else "les suivantes ne sont pas lues"
    return f" (seules {read} page(s) sur {total} lues : {why})"


def _rendered_pages(pdf, count: int) -> Iterator[bytes]:
    """Each page as a grey PGM image, rendered one at a time as they are read."""
    for n in range(count):
        page = pdf[n]
        try:
            width, height = page.get_size()
            scale = min(DPI / 72, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            bitmap = page.render(scale=scale, grayscale=True, rev_byteorder=True)
            try:
                image = _netpbm(bitmap)
            finally:
                bitmap.close()
        finally:
            page.close()
        yield image


def _netpbm(bitmap) -> bytes:
    """A pdfium bitmap as PGM (grey) or PPM (colour), which Tesseract reads from its input."""
    width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
    buffer = bytes(bitmap.buffer)
    used = width * channels
    rows = b"".join(buffer[y * stride:y * stride + used] for y in range(height))
    if channels == 4:   # RGBx: drop the fourth byte
        rows, channels = b"".join(rows[i:i + 3] for i in range(0, len(rows), 4)), 3
    kind = b"P5" if channels == 1 else b"P6"
    return kind + b"\n%d %d\n255\n" % (width, height) + rows
