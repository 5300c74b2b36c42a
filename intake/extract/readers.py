"""One reader per format; run_reader is what a reader worker executes for each document."""
from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable

from . import document as d
from . import ocr
from .document import DocumentText
from .odt import read_odt
from .pdf import read_pdf
from .plain import read_html, read_rtf, read_txt
from .ocr import read_image
from .sheet import read_xls, read_xlsx
from .word import read_doc, read_docx
from .zipguard import ZipTooLarge

MAX_CHARS = 200_000  # far more than classification looks at
_FAILED = {"xls": d.OLD_EXCEL, "doc": d.OLD_WORD}   # the verdict when a legacy file defeats its reader

Reader = Callable[[bytes, int], DocumentText]
READERS: dict[str, Reader] = {
    "pdf": read_pdf, "docx": read_docx, "xlsx": read_xlsx, "odt": read_odt, "rtf": read_rtf,
    "txt": read_txt, "html": read_html, "doc": read_doc, "xls": read_xls, "image": read_image,
}
NOT_READ = {"zip": d.ARCHIVE, "tnef": d.ARCHIVE, "unknown": d.UNKNOWN}


def worth_a_worker(fmt: str) -> bool:
    """Whether a reader can do anything with the format: photos only when OCR is installed."""
    if fmt == "image":
        return ocr.available()
    return fmt in READERS


def run_reader(data: bytes, fmt: str, max_pages: int) -> DocumentText:
    """Read one document; every failure of the file itself becomes a problem, not an exception."""
    reader = READERS.get(fmt) if worth_a_worker(fmt) else None
    if reader is None:
        return DocumentText("", None, fmt, d.IMAGE if fmt == "image" else NOT_READ.get(fmt, d.UNKNOWN))
    try:
        result = reader(data, max_pages)
    except MemoryError:
        return DocumentText("", None, fmt, d.MEMORY)
    except (ZipTooLarge, zipfile.LargeZipFile):
        return DocumentText("", None, fmt, d.CORRUPT + " (contenu compressé démesuré)")
    except RecursionError:
        return DocumentText("", None, fmt, d.CORRUPT)
    except Exception:  # noqa: BLE001 - a hostile or broken file may raise anything from a parser
        return DocumentText("", None, fmt, _FAILED.get(fmt, d.CORRUPT))
    return _tidy(result)


def _tidy(result: DocumentText) -> DocumentText:
    text = unicodedata.normalize("NFC", result.text.replace("\x00", ""))[:MAX_CHARS]
    problem = result.problem
    if problem is None and not text.strip():
        problem = d.EMPTY
    return DocumentText(text, result.pages, result.format, problem, result.reader, result.note)
