"""The raw message store: content-addressed by sha256, written atomically, private files."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class Store:
    """Files under data_dir: messages/ab/<sha256>.eml and attachments/ab/<sha256><ext>."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, data: bytes, kind: str = "messages", suffix: str = ".eml") -> tuple[str, str]:
        """Store bytes once; return (sha256, path relative to data_dir)."""
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{kind}/{sha[:2]}/{sha}{suffix}"
        target = self.root / relative
        if not target.exists():
            _atomic_write(target, data)
        return sha, relative

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def path(self, relative: str) -> Path:
        return self.root / relative


def _atomic_write(target: Path, data: bytes) -> None:
    """temp file + fsync + rename + fsync of the folder: a crash leaves all or nothing."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
