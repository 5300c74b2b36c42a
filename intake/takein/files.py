"""Mail from files: .eml files, Maildir folders and mbox files (the offline/backfill path)."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .outlook import NotOutlookMessage, is_outlook_message, msg_to_eml
from .headers import BOM, ENVELOPE, first_address, not_a_message, parse_headers, received_at


@dataclass(frozen=True)
class RawMail:
    data: bytes
    origin: str              # where it came from, for messages to the user
    source_key: str          # identity of this delivery (same file twice = same key)
    mailbox: str | None      # Delivered-To, when the file says it
    received_at: datetime


@dataclass(frozen=True)
class Refused:
    origin: str
    reason: str


def read_paths(paths: list[Path]) -> Iterator[RawMail | Refused]:
    for path in paths:
        if not path.exists():
            yield Refused(str(path), "no such file or folder")
        elif path.is_dir():
            yield from _read_dir(path)
        else:
            yield from _read_file(path)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _read_dir(path: Path) -> Iterator[RawMail | Refused]:
    if _is_maildir(path):
        for sub in ("new", "cur"):
            for file in sorted((path / sub).iterdir()):
                if file.is_file() and not file.name.startswith("."):
                    yield _one(file.read_bytes(), str(file), file)
        return
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _read_dir(child)
        elif child.is_file():
            yield from _read_file(child)


def _read_file(path: Path) -> Iterator[RawMail | Refused]:
    try:
        with path.open("rb") as handle:
            start = handle.read(64 * 1024)
    except OSError as exc:
        yield Refused(str(path), f"cannot be read: {exc.strerror}")
        return
    if ENVELOPE.match(start.removeprefix(BOM)):
        for number, data in enumerate(split_mbox(path, cr_only=b"\n" not in start), start=1):
            yield _one(data, f"{path}#{number}", path)
    else:
        yield _one(path.read_bytes(), str(path), path)


def split_mbox(path: Path, cr_only: bool = False) -> Iterator[bytes]:
    """Messages of an mbox file, one at a time (a new one starts at a "From " line that
    follows an empty line). Old Mac files with CR-only line ends are read too."""
    with path.open("rb") as handle:
        lines = io.BytesIO(handle.read().replace(b"\r", b"\n")) if cr_only else handle
        current: list[bytes] = []
        previous_blank = True
        for number, line in enumerate(lines):
            if number == 0:
                line = line.removeprefix(BOM)
            if previous_blank and ENVELOPE.match(line):
                if current:
                    yield b"".join(current)
                current = []
            else:
                current.append(line)
            previous_blank = line.strip() == b""
        if current:
            yield b"".join(current)


def _one(data: bytes, origin: str, path: Path) -> RawMail | Refused:
    key = f"sha256:{hashlib.sha256(data).hexdigest()}"    # of the file as it is on disk
    if is_outlook_message(data):
        try:
            data = msg_to_eml(data)
        except NotOutlookMessage as exc:
            return Refused(origin, str(exc))
    reason = not_a_message(data)
    if reason:
        return Refused(origin, reason)
    headers = parse_headers(data)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return RawMail(data=data, origin=origin, source_key=key,
                   mailbox=first_address(headers, "Delivered-To"),
                   received_at=received_at(headers, mtime))
