"""open_archive: a .zip or winmail.dat (TNEF) opened into the files it holds, within one budget.

All the archives of one message share one Budget: bytes unpacked (at every level of nesting, so
a zip inside a zip counts twice, which bounds what is held in memory at once), entries listed and
depth. When an archive would go over it, the attachment it came in (the one a recruiter sees in
the mail) is named for review, to be opened by hand; the files taken out before are kept. This runs inside a bounded reader worker (see pool.py): a parser that loops or
swells is stopped by the worker's time and memory limits, not trusted to stop by itself.
"""
from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field, replace

from .detect import detect_format
from .document import ARCHIVE_TOO_BIG, Attachment
from .names import safe_filename
from .zipguard import ZipTooLarge, check_zip

MAX_DEPTH = 3
MAX_TOTAL_BYTES = 100 * 1024 * 1024   # unpacked, for all the archives of one message
MAX_ENTRIES = 2000                     # files listed, for all the archives of one message
MAX_COMPLAINTS = 200                   # warnings from the TNEF decoder that mean it is lost in junk
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class Budget:
    """What the archives of one message may still unpack."""

    bytes_left: int = MAX_TOTAL_BYTES
    entries_left: int = MAX_ENTRIES


@dataclass
class Unpacked:
    files: list[Attachment] = field(default_factory=list)
    problems: Problems = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)


class OverBudget(Exception):
    """The archive would take the message past its budget (the text says what, in French)."""


def is_archive(att: Attachment) -> bool:
    return detect_format(att) in ("zip", "tnef")


def open_archive(att: Attachment, budget: Budget) -> Unpacked:
    """The files inside ``att`` (named ``archive.zip/member``), nested archives opened too."""
    out = Unpacked(budget=budget)
    try:
        _open(att, 0, out)
    except OverBudget as exc:
        out.problems.append((att.filename, ARCHIVE_TOO_BIG.format(what=exc)))
    return out


def _open(att: Attachment, depth: int, out: Unpacked) -> None:
    kind = detect_format(att)
    if kind not in ("zip", "tnef"):
        out.files.append(att)
        return
    if depth >= MAX_DEPTH:
        out.problems.append((att.filename, "archive imbriquée trop profondément : non ouverte"))
        return
    try:
        members = _zip_members(att, out) if kind == "zip" else _tnef_members(att, out)
    except (OverBudget, MemoryError):
        raise  # OverBudget ends the whole walk; MemoryError ends the worker
    except ZipTooLarge as exc:
        out.problems.append((att.filename, f"archive refusée : {exc}"))
        return
    except Exception:  # noqa: BLE001 - a damaged archive may raise anything from its parser
        out.problems.append((att.filename, "archive illisible ou corrompue"))
        return
    if not members:
        out.problems.append((att.filename, "archive vide"))
    for member in members:
        if isinstance(member, tuple):
            out.problems.append(member)
        else:
            _open(member, depth + 1, out)


def _spend(budget: Budget, *, entries: int = 0, size: int = 0) -> Budget:
    """The budget left after unpacking this much; OverBudget when it does not fit."""
    if entries > budget.entries_left:
        raise OverBudget(f"plus de {MAX_ENTRIES} fichiers avec les autres archives du message, "
                         "pas entièrement ouverte")
    if size > budget.bytes_left:
        raise OverBudget(f"plus de {MAX_TOTAL_BYTES // 2**20} Mo une fois décompressée avec les autres "
                         "archives du message, pas entièrement ouverte")
    return replace(budget, entries_left=budget.entries_left - entries, bytes_left=budget.bytes_left - size)


def _zip_members(att: Attachment, out: Unpacked) -> list[Attachment | tuple[str, str]]:
    members: list[Attachment | tuple[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(att.data)) as zf:
        infos = zf.infolist()
        check_zip(zf)                                    # a bomb is refused as such
        out.budget = _spend(out.budget, entries=len(infos))
        wanted = [i for i in infos if not i.is_dir() and not any(j in i.filename for j in _JUNK)]
        _spend(out.budget, size=sum(i.file_size for i in wanted))     # what it declares, before any work
        for info in wanted:
            name = f"{att.filename}/{safe_filename(_member_name(info))}"
            if info.flag_bits & 0x1:
                members.append((name, "fichier protégé par mot de passe dans l'archive"))
                continue
            with zf.open(info) as handle:               # never more than the budget, whatever it declares
                data = handle.read(out.budget.bytes_left + 1)
            out.budget = _spend(out.budget, size=len(data))
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


class _Complaints(logging.Filter):
    """tnefparse logs a warning for every property a file declares but does not hold: a 21-byte
    winmail.dat declaring 4 billion of them would keep it busy for days. Past MAX_COMPLAINTS the
    decoding is abandoned (the exception goes up through tnefparse) and the archive is damaged."""

    def __init__(self) -> None:
        super().__init__()
        self.left = MAX_COMPLAINTS

    def filter(self, record: logging.LogRecord) -> bool:
        self.left -= 1
        if self.left < 0:
            raise ValueError("the TNEF decoder complains without end: damaged winmail.dat")
        return True


def _tnef_members(att: Attachment, out: Unpacked) -> list[Attachment | tuple[str, str]]:
    from tnefparse import TNEF  # imported when a winmail.dat is opened

    decoder_log, complaints = logging.getLogger("tnefparse"), _Complaints()
    decoder_log.addFilter(complaints)
    try:
        tnef = TNEF(att.data)
    finally:
        decoder_log.removeFilter(complaints)
    members: list[Attachment | tuple[str, str]] = []
    for item in tnef.attachments:
        name = item.long_filename() or item.name or "piece-jointe"
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        data = bytes(item.data)
        out.budget = _spend(out.budget, entries=1, size=len(data))
        members.append(Attachment(f"{att.filename}/{safe_filename(name)}", data))
    body = getattr(tnef, "rtfbody", None) or getattr(tnef, "htmlbody", None)
    if body:
        ext = "rtf" if getattr(tnef, "rtfbody", None) else "html"
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
        out.budget = _spend(out.budget, entries=1, size=len(data))
        members.append(Attachment(f"{att.filename}/message.{ext}", data))
    return members
