"""Files leave the web view as downloads only: their original name, the right content type,
`Content-Disposition: attachment`, `nosniff` and a sandboxing CSP, so nothing an applicant sent
(an HTML file, an SVG) is ever rendered by the recruiter's browser as a page of this site.

A posting's complete dossiers go out as one ZIP, a folder per applicant with readable names:
`Salma Bennani/CV - Salma Bennani.pdf`.
"""
from __future__ import annotations

import mimetypes
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from ..reports import words

DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "sandbox; default-src 'none'",
                    "Cache-Control": "private, no-store"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
MAX_NAME = 100


def content_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def disposition(filename: str) -> str:
    """`attachment` with the name as it was (RFC 6266: an ASCII fallback, then UTF-8)."""
    name = safe_name(filename) or "fichier"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^\w.\- ()]", "_", fallback).strip() or "fichier"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(data: bytes, filename: str, media_type: str | None = None) -> Response:
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": disposition(filename)}
    return Response(data, media_type=media_type or content_type(filename), headers=headers)


def safe_name(text: str, limit: int = MAX_NAME) -> str:
    """A name fit for a file or folder on Windows, macOS and Linux (no path, no control
    characters), readable as it was written."""
    text = unicodedata.normalize("NFC", _UNSAFE.sub(" ", text or ""))
    text = " ".join(text.split()).strip(". ")
    if len(text) > limit:
        stem, dot, ext = text.rpartition(".")
        keep = f".{ext}" if dot and 0 < len(ext) <= 5 else ""
        text = text[:limit - len(keep)].rstrip(". ") + keep
    return text


@dataclass(frozen=True)
class Entry:
    """One file of the ZIP: where it goes, and its bytes (read lazily from the store)."""

    path: str
    stored_as: str | None = None
    text: str | None = None
    original: str = ""     # the file's name as it was sent


def piece_title(piece_ids: list[str], labels: dict[str, str]) -> str:
    """'CV', 'CV et références', 'Lettre de motivation'."""
    names = [words.piece_name(p, labels) for p in piece_ids]
    names = [words.plural(n) if p == "references" else n for p, n in zip(piece_ids, names)]
    title = " et ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return title[:1].upper() + title[1:]


def dossier_entries(name: str, folder: str, documents: list, labels: dict[str, str],
                    body_text) -> list[Entry]:
    """The files of one dossier under `folder`: `<pieces> - <name><ext>`, each file once.
    `body_text(message_pk)` gives a mail's own text, kept when it holds a piece."""
    out, seen, taken = [], set(), set()
    for doc in documents:
        if doc.key in seen:
            continue
        seen.add(doc.key)
        stem, ext = _split(doc.file)
        if doc.stored_as:
            what = piece_title(doc.piece_ids, labels) if doc.piece_ids else f"Autre ({stem})"
            entry_name, source = f"{what} - {name}{ext}", {"stored_as": doc.stored_as}
        elif doc.piece_ids and doc.message_pk is not None:
            what = piece_title(doc.piece_ids, labels)
            entry_name = f"{what} (texte du courriel) - {name}.txt"
            source = {"text": body_text(doc.message_pk)}
        else:
            continue
        entry_name = _unique(safe_name(entry_name), taken)
        out.append(Entry(path=f"{folder}/{entry_name}", original=doc.file, **source))
    return out


def applicant_folder(name: str, applicant: str, taken: set[str]) -> str:
    folder = safe_name(name) or safe_name(applicant.split("@")[0]) or "candidat"
    if folder.casefold() in taken:
        folder = safe_name(f"{folder} ({applicant})")
    return _unique(folder, taken)


def posting_entries(dossiers: list, labels: dict[str, str], body_text, under: str = "",
                    taken: set[str] | None = None) -> list[Entry]:
    """Dossiers (DossierView) as ZIP entries: a folder per applicant (under `under`), each
    file named by what it holds and who sent it. Used by the web view's ZIP of complete
    dossiers and by `intake export --posting`."""
    entries, taken = [], taken if taken is not None else set()
    for d in dossiers:
        folder = applicant_folder(d.name, d.applicant, taken)
        entries += dossier_entries(safe_name(d.name) or d.applicant,
                                   f"{under}/{folder}" if under else folder, d.documents,
                                   labels, body_text)
    return entries


def body_reader(app):
    """body_text(message_pk): the text of a mail's own body (a letter written in the mail)."""
    from ..models import Message
    from ..understand.parse import parse

    def body_text(message_pk: int) -> str:
        with app.db.session() as s:
            message = s.get(Message, message_pk)
            return parse(app.store.read(message.stored_as)).body if message else ""
    return body_text


def write_zip(entries: list[Entry], read, target) -> None:
    """The entries zipped into `target` (a path or a binary file)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            data = read(entry.stored_as) if entry.stored_as else (entry.text or "").encode()
            archive.writestr(entry.path, data)


def zip_response(entries: list[Entry], read, filename: str) -> Response:
    """The entries zipped into a private temporary file, sent, then removed."""
    spool = tempfile.NamedTemporaryFile(prefix="intake-zip-", suffix=".zip", delete=False)
    with spool:
        write_zip(entries, read, spool)
    path = PurePath(spool.name)
    return FileResponse(path, media_type="application/zip",
                        headers={**DOWNLOAD_HEADERS, "Content-Disposition": disposition(filename)},
                        background=BackgroundTask(_remove, path))


def _remove(path: PurePath) -> None:
    import os

    try:
        os.unlink(path)
    except OSError:
        pass


def _split(filename: str) -> tuple[str, str]:
    stem, dot, ext = filename.rpartition(".")
    if dot and stem and 0 < len(ext) <= 5 and ext.isalnum():
        return stem, f".{ext.lower()}"
    return filename, ""


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        stem, ext = _split(name)
        candidate = f"{stem} ({n}){ext}"
    taken.add(candidate.casefold())
    return candidate
