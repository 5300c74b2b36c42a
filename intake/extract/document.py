"""The two values that travel through extraction: a file as sent, and the text read from it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """One file as the applicant sent it (name already made safe by safe_filename)."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class DocumentText:
    """Text read from one file; ``problem`` is a short French reason when it could not be read;
    ``reader`` names the library that read it ("pypdfium2", "pdfminer", "lxml" for DOCX...), or is
    empty when none did (a photo, an unknown format, a text from the cache). ``note`` is a short
    French remark for review on a text that was read but must be checked (read by OCR)."""

    text: str
    pages: int | None
    format: str
    problem: str | None = None
    reader: str = ""
    note: str | None = None


# The reasons shown to a recruiter in needs_review (French, short, no jargon).
ENCRYPTED = "PDF protégé par mot de passe"
SCAN = "scan sans texte (image seule)"
CORRUPT = "fichier illisible ou corrompu"
UNKNOWN = "format inconnu"
TIMEOUT = "lecture trop longue (délai dépassé)"
MEMORY = "fichier trop lourd à lire (mémoire dépassée)"
IMAGE = "image (photo ou scan) : à vérifier"
OLD_WORD = "ancien format Word (.doc) illisible"
OLD_EXCEL = "ancien format Excel (.xls) illisible"  # xlrd could not read it
BAD_FONTS = "texte du PDF illisible (polices sans correspondance)"
ARCHIVE = "archive non ouverte"
EMPTY = "document vide"
# Archives (zip, winmail.dat) share one budget per message; what does not fit is named for review.
ARCHIVE_TOO_BIG = "archive trop volumineuse : {what} ; à ouvrir à la main"
ARCHIVE_TIMEOUT = "archive non ouverte : ouverture trop longue (délai dépassé) ; à ouvrir à la main"
