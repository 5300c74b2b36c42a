"""The raw message store: content-addressed by sha256, written atomically, private files.

Writes can be batched: `put(..., durable=False)` for each file, or `put_all` for a batch,
then one `sync()` before the transaction that records them commits, so the raw bytes are never
behind the database. Files are written one after the other: writer threads were tried, and on
2 cores they cost more than they saved (they spin on the file system's locks, in the kernel,
while the parsers need the CPU).
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from ..fsutil import sync_folders, write_atomic


class Store:
    """Files under data_dir: messages/ab/<sha256>.eml and attachments/ab/<sha256><ext>."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._unsynced: set[Path] = set()
        self._lock = threading.Lock()

    def put(self, data: bytes, kind: str = "messages", suffix: str = ".eml", *,
            durable: bool = True) -> tuple[str, str]:
        """Store bytes once; return (sha256, path relative to data_dir)."""
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{kind}/{sha[:2]}/{sha}{suffix}"
        target = self.root / relative
        if not target.exists():
            write_atomic(target, data, durable=durable)
            if not durable:
                with self._lock:
                    self._unsynced.add(target.parent)
        return sha, relative

    def put_all(self, items: list[tuple[bytes, str, str]]) -> list[tuple[str, str] | Exception]:
        """`put(data, kind, suffix, durable=False)` of each item: for each, in order,
        (sha256, relative path) or the exception that writing it raised."""
        return [self._put_or_error(item) for item in items]

    def _put_or_error(self, item: tuple[bytes, str, str]) -> tuple[str, str] | Exception:
        try:
            return self.put(*item, durable=False)
        except Exception as exc:  # noqa: BLE001 - the caller decides whose fault it is
            return exc

    def sync(self) -> None:
        """Make every file put with durable=False durable (call before the commit)."""
        with self._lock:
            folders, self._unsynced = self._unsynced, set()
        try:
            sync_folders(folders)
        except BaseException:
            with self._lock:
                self._unsynced |= folders   # still to be made durable
            raise

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def path(self, relative: str) -> Path:
        return self.root / relative
