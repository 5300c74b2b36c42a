"""An applicant's address as intake compares it, and the salted hash the erasure log keeps."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..config import Settings
from ..errors import UserError
from ..reports.audience import bare

SALT_FILE = "erasure-salt"


def normalize(address: str) -> str:
    """'Salma <Salma.B@Example.MA>' -> 'salma.b@example.ma'; a clear error for a non-address."""
    value = bare(address or "")
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in value):
        raise UserError(f"{address!r} is not an e-mail address: give the applicant's address, "
                        "e.g. salma.bennani@example.ma")
    return value


def salt(settings: Settings) -> bytes:
    """The salt of address hashes: the environment variable [privacy] salt_env names, else a
    random secret made once in <data_dir>/erasure-salt (0600). Keep it: with another salt, an
    address can no longer be matched against the erasure log."""
    if settings.privacy.salt_env and (value := os.environ.get(settings.privacy.salt_env)):
        return value.encode()
    path = Path(settings.data_dir) / SALT_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:   # another process made it meanwhile
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode())
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_bytes().strip()


def address_hash(secret: bytes, address: str) -> str:
    """HMAC-SHA256 of the normalized address: the same address always gives the same hash
    with the same salt, and the hash alone gives the address to nobody."""
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()
