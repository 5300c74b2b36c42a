"""Which reader a file needs: magic bytes first, then the extension, then the content type."""
from __future__ import annotations

import io
import zipfile

from .document import Attachment

_MAGIC = [
    (b"%PDF-", "pdf"),
    (b"{\\rtf", "rtf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # legacy Office (.doc, .xls, .msg)
    (b"\x78\x9f\x3e\x22", "tnef"),
    (b"\xff\xd8\xff", "image"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
]
_EXTENSIONS = {
    "pdf": "pdf", "docx": "docx", "docm": "docx", "xlsx": "xlsx", "xlsm": "xlsx",
    "odt": "odt", "rtf": "rtf", "txt": "txt", "text": "txt", "csv": "txt", "md": "txt",
    "htm": "html", "html": "html", "doc": "doc", "xls": "xls", "zip": "zip",
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "bmp": "image",
    "tif": "image", "tiff": "image", "webp": "image", "heic": "image", "heif": "image",
}
_CONTENT_TYPES = {
    "application/pdf": "pdf", "text/plain": "txt", "text/html": "html", "application/rtf": "rtf",
    "text/rtf": "rtf", "application/msword": "doc", "application/zip": "zip",
    "application/ms-tnef": "tnef", "application/vnd.ms-tnef": "tnef",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
}


def extension(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def detect_format(att: Attachment) -> str:
    """One of pdf, docx, xlsx, odt, rtf, txt, html, doc, xls, zip, tnef, image, unknown."""
    head = att.data[:16]
    ext = extension(att.filename)
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            if fmt == "ole":
                return "xls" if ext == "xls" else "doc"
            if fmt == "image" and magic == b"BM" and ext not in ("bmp", ""):
                continue  # "BM" is too short a signature to trust against a known extension
            return fmt
    if (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1",
                                                 b"msf1")) or head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(att.data)
    if att.data[:256].lstrip()[:5].lower() in (b"<!doc", b"<html"):
        return "html"
    if ext == "dat" and att.filename.lower().startswith("winmail"):
        return "tnef"
    by_name = _EXTENSIONS.get(ext) or _CONTENT_TYPES.get((att.content_type or "").lower())
    if by_name in ("pdf", "docx", "xlsx", "odt", "zip", "image", "doc", "xls", "tnef"):
        return "unknown"  # a binary format without its signature: not what its name says
    if by_name:
        return by_name
    return "txt" if _looks_textual(att.data) else "unknown"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                with zf.open("mimetype") as handle:   # never the whole member: it may be a bomb
                    kind = handle.read(100)
                return "odt" if kind.startswith(b"application/vnd.oasis.opendocument.text") else "unknown"
            return "zip"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return "zip"  # a damaged archive is still an archive; unpack says what is wrong


def _looks_textual(data: bytes) -> bool:
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if not sample or b"\x00" in sample:
        return False
    return sum(b < 9 or 13 < b < 32 for b in sample) / len(sample) < 0.05
