"""One reader per format; run_reader is what the child process executes."""
from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable

from . import document as d
from .document import DocumentText
from .odt import read_odt
from .pdf import read_pdf
from .plain import read_html, read_rtf, read_txt
from .sheet import read_xlsx
from .word import read_doc, read_docx
from .zipguard import ZipTooLarge

MAX_CHARS = 200_000  # far more than classification looks at

Reader = Callable[[bytes, int], DocumentText]
READERS: dict[str, Reader] = {
    "pdf": read_pdf, "docx": read_docx, "xlsx": read_xlsx, "odt": read_odt, "rtf": read_rtf,
    "txt": read_txt, "html": read_html, "doc": read_doc,
}
NOT_READ = {
    "image": d.IMAGE, "xls": d.OLD_EXCEL, "zip": d.ARCHIVE, "tnef": d.ARCHIVE, "unknown": d.UNKNOWN,
}


def run_reader(data: bytes, fmt: str, max_pages: int) -> DocumentText:
    """Read one document; every failure of the file itself becomes a problem, not an exception."""
    reader = READERS.get(fmt)
    if reader is None:
        return DocumentText("", None, fmt, NOT_READ.get(fmt, d.UNKNOWN))
    try:
        result = reader(data, max_pages)
    except MemoryError:
        return DocumentText("", None, fmt, d.MEMORY)
    except (ZipTooLarge, zipfile.LargeZipFile):
        return DocumentText("", None, fmt, d.CORRUPT + " (contenu compressé démesuré)")
    except RecursionError:
        return DocumentText("", None, fmt, d.CORRUPT)
    except Exception:  # noqa: BLE001 - a hostile or broken file may raise anything from a parser
        return DocumentText("", None, fmt, d.CORRUPT)
    return _tidy(result)


def _tidy(result: DocumentText) -> DocumentText:
    text = unicodedata.normalize("NFC", result.text.replace("\x00", ""))[:MAX_CHARS]
    problem = result.problem
    if problem is None and not text.strip():
        problem = d.EMPTY
    return DocumentText(text, result.pages, result.format, problem)
