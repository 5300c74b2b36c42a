"""Private, durable files: the one atomic-write helper intake uses everywhere."""
from __future__ import annotations

import ctypes
import os
import secrets
import tempfile
from pathlib import Path

# the C library as this process already has it loaded (find_library("c") ran ldconfig at every start)
_libc = ctypes.CDLL(None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)


def write_atomic(target: Path, data: bytes, *, durable: bool = True, prefix: str = ".tmp-") -> Path:
    """Write `data` to `target` as a 0600 file, all or nothing: temporary file, fsync, rename.

    With `durable=False` the caller makes a whole batch durable at once (`sync_folders`)
    before it records anything that points at these files.
    """
    target = Path(target)
    fd, tmp = _create_private(target.parent, prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)   # mkstemp made it 0600
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(target.parent)   # a full disk names the folder it filled
        raise
    if durable:
        sync_folders([target.parent])
    return target


_PRIVATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _create_private(folder: Path, prefix: str) -> tuple[int, str]:
    """A new 0600 file of a name nobody else has, in `folder` (made, 0700, when missing):
    what tempfile.mkstemp does, without its cost on every file of a take-in (a random name
    from a shared generator, the folder made or checked each time)."""
    for _ in range(100):
        tmp = os.path.join(folder, f"{prefix}{secrets.token_hex(8)}")
        try:
            return os.open(tmp, _PRIVATE_NEW, 0o600), tmp
        except FileNotFoundError:
            Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def sync_folders(folders) -> None:
    """Make the files written in these folders durable: one syncfs(2) of their file system on
    Linux (one call for a whole batch), else an fsync of each folder.

    Without syncfs each file must have been written with durable=True."""
    folders = list(dict.fromkeys(Path(f) for f in folders))
    if not folders:
        return
    if _syncfs is not None:
        fd = os.open(folders[0], os.O_RDONLY)
        try:
            if _syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for folder in folders:  # no syncfs (not Linux) or it failed: each folder on its own
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_private(path: Path, mode: int, what: str) -> None:
    """Tighten `path` to `mode` (0700 for a folder, 0600 for a file) when others may read it;
    a UserError says what to do when intake cannot (it is not the owner)."""
    from .errors import UserError

    current = path.stat().st_mode & 0o777
    if not current & ~mode & 0o777:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise UserError(f"{what} {path} is open to other users (mode {current:o}) and intake cannot "
                        f"make it private ({exc.strerror}); run `chmod {mode:o} {path}` as its "
                        "owner") from None


def private_folder(path: Path, what: str, option: str) -> None:
    """`path` is a folder private to this user (made 0700, tightened when looser) that this
    process can create files in; else a UserError names it and says what to do."""
    from .errors import UserError

    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{what} {path} is a file, not a folder; give a folder with {option}") from None
    except OSError as exc:
        raise UserError(f"{what} {path} cannot be created ({exc.strerror}); create it, or give "
                        f"another folder with {option}") from None
    make_private(path, 0o700, what)
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{what} {path} is not writable ({exc.strerror}); fix its permissions "
                        f"or free the disk, or give another folder with {option}") from None
