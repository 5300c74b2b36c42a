"""The raw message store: content-addressed by sha256, written atomically, private files.

Writes can be batched: `put(..., durable=False)` for each file, then one `sync()` before the
transaction that records them commits, so the raw bytes are never behind the database.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..fsutil import sync_folders, write_atomic


class Store:
    """Files under data_dir: messages/ab/<sha256>.eml and attachments/ab/<sha256><ext>."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._unsynced: set[Path] = set()

    def put(self, data: bytes, kind: str = "messages", suffix: str = ".eml", *,
            durable: bool = True) -> tuple[str, str]:
        """Store bytes once; return (sha256, path relative to data_dir)."""
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{kind}/{sha[:2]}/{sha}{suffix}"
        target = self.root / relative
        if not target.exists():
            write_atomic(target, data, durable=durable)
            if not durable:
                self._unsynced.add(target.parent)
        return sha, relative

    def sync(self) -> None:
        """Make every file put with durable=False durable (call before the commit)."""
        if self._unsynced:
            sync_folders(self._unsynced)
            self._unsynced.clear()

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def path(self, relative: str) -> Path:
        return self.root / relative
