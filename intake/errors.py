"""Errors a user can fix. The CLI prints them as one clear line and exits with their code."""
import errno


class UserError(Exception):
    """A mistake in the user's input, config or environment (exit code 2)."""

    exit_code = 2


class ConfigError(UserError):
    """config.toml or an environment variable is wrong."""


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def environment_failure(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of intake or of a mail (a full disk,
    a folder intake may not write in, a database that is down or full), or None. Such a
    failure stops the command: no message is blamed or set aside for it."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return (f"{exc.filename or 'writing a file'}: the disk is full ({exc.strerror}); free some "
                "space, then run the command again (what was taken in before is kept)")
    if isinstance(exc, OSError) and exc.errno in _NOT_ALLOWED:
        return (f"{exc.filename or 'writing a file'}: {exc.strerror}; intake may not write there: "
                "fix the permissions, or choose another folder with --data-dir")
    if isinstance(exc, OperationalError):
        reason = " ".join(str(exc.orig).split())[:300]
        if "full" in reason.lower():
            return (f"the database's disk is full ({reason}); free some space, then run the "
                    "command again (what was committed before is kept)")
        return (f"the database failed ({reason}); check that it is reachable and has room, "
                "then run the command again")
    return None
