"""unpack: open .zip archives and winmail.dat (TNEF) into the files they hold, within bounds."""
from __future__ import annotations

import io
import zipfile

from .detect import detect_format
from .document import Attachment
from .names import safe_filename
from .zipguard import ZipTooLarge, check_zip

MAX_DEPTH = 3
MAX_TOTAL_BYTES = 100 * 1024 * 1024
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")

Problems = list[tuple[str, str]]


def unpack(attachments: list[Attachment]) -> tuple[list[Attachment], Problems]:
    """Archives replaced by their members (named ``archive.zip/member``); problems for review."""
    out: list[Attachment] = []
    problems: Problems = []
    for att in attachments:
        _open(att, 0, out, problems)
    return out, problems


def _open(att: Attachment, depth: int, out: list[Attachment], problems: Problems) -> None:
    kind = detect_format(att)
    if kind not in ("zip", "tnef"):
        out.append(att)
        return
    if depth >= MAX_DEPTH:
        problems.append((att.filename, "archive imbriquée trop profondément : non ouverte"))
        return
    try:
        members = _zip_members(att) if kind == "zip" else _tnef_members(att)
    except ZipTooLarge as exc:
        problems.append((att.filename, f"archive refusée : {exc}"))
        return
    except Exception:  # noqa: BLE001 - a damaged archive may raise anything from its parser
        problems.append((att.filename, "archive illisible ou corrompue"))
        return
    if not members:
        problems.append((att.filename, "archive vide"))
    for member in members:
        if isinstance(member, tuple):
            problems.append(member)
        else:
            _open(member, depth + 1, out, problems)


def _zip_members(att: Attachment) -> list[Attachment | tuple[str, str]]:
    members: list[Attachment | tuple[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(att.data)) as zf:
        check_zip(zf, max_total=MAX_TOTAL_BYTES)
        for info in zf.infolist():
            if info.is_dir() or any(j in info.filename for j in _JUNK):
                continue
            name = f"{att.filename}/{safe_filename(_member_name(info))}"
            if info.flag_bits & 0x1:
                members.append((name, "fichier protégé par mot de passe dans l'archive"))
                continue
            with zf.open(info) as handle:
                data = handle.read(MAX_TOTAL_BYTES + 1)
            if len(data) > MAX_TOTAL_BYTES:
                raise ZipTooLarge("contenu décompressé trop volumineux")
            members.append(Attachment(name, data))
    return members


def _member_name(info: zipfile.ZipInfo) -> str:
    """Many Windows tools write UTF-8 names without saying so; Python then reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _tnef_members(att: Attachment) -> list[Attachment | tuple[str, str]]:
    from tnefparse import TNEF

    tnef = TNEF(att.data)
    members: list[Attachment | tuple[str, str]] = []
    for item in tnef.attachments:
        name = item.long_filename() or item.name or "piece-jointe"
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        members.append(Attachment(f"{att.filename}/{safe_filename(name)}", bytes(item.data)))
    body = getattr(tnef, "rtfbody", None) or getattr(tnef, "htmlbody", None)
    if body:
        ext = "rtf" if getattr(tnef, "rtfbody", None) else "html"
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
        members.append(Attachment(f"{att.filename}/message.{ext}", data))
    return members
