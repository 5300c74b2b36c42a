"""The config file as TOML data, and where the data folder, rules folder and database are:
flag > INTAKE_* environment > config file > default (interface.md).

Standard library only: intake/config.py validates the data into typed Settings, and the quick
poll (intake/quickpoll.py) reads the same values before anything heavy is imported; both use
these functions, so the two can never disagree on which file or which folder.
"""
from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import NamedTuple

from .errors import ConfigError

DEFAULT_DATA_DIR = "data"     # StorageConfig's defaults (a test checks they agree)
DEFAULT_RULES_DIR = "rules"


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback IP literals (no DNS lookup is made): the only hosts
    intake talks to without TLS."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def config_path(flag: str | None, env: dict[str, str]) -> Path | None:
    """The config file: --config, else INTAKE_CONFIG, else ./config.toml when it exists, else
    none (defaults only)."""
    chosen = flag or env.get("INTAKE_CONFIG")
    if chosen:
        return Path(chosen)
    default = Path("config.toml")
    return default if default.exists() else None


def read_config_file(path: Path | None) -> dict:
    """The file's TOML data ({} without a file), or a ConfigError saying what to fix."""
    if path is None:
        return {}
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (give an existing file with --config, "
                          "or leave it out to use the defaults)")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file; give the TOML file itself "
                          f"with --config (such as {path / 'config.toml'})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}); check that "
                          "this user may read it")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; save it as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}")


class Places(NamedTuple):
    data_dir: Path     # resolved
    rules_dir: Path    # resolved
    db_url: str


def places(path: Path | None, storage_data_dir: str | None, storage_rules_dir: str | None,
           database_url: str | None, *, db: str | None = None, rules: str | None = None,
           data_dir: str | None = None, env: dict[str, str]) -> Places:
    """Where things are, from the flags, the environment and the config file's [storage] and
    [database] values (None: not in the file). Relative paths in a config file are relative to
    the file."""
    base = path.parent if path else Path.cwd()

    def from_file(value: str | None, default: str) -> str | None:
        return None if path is None else str(base / (value if value is not None else default))

    def pick(flag, env_name, in_file, default):
        for value in (flag, env.get(env_name) or None, in_file):
            if value:
                return value
        return default

    data = Path(pick(data_dir, "INTAKE_DATA_DIR", from_file(storage_data_dir, DEFAULT_DATA_DIR),
                     DEFAULT_DATA_DIR))
    rules_path = Path(pick(rules, "INTAKE_RULES_DIR",
                           from_file(storage_rules_dir, DEFAULT_RULES_DIR), DEFAULT_RULES_DIR))
    url = pick(db, "INTAKE_DB_URL", database_url, None) or f"sqlite:///{data.resolve() / 'intake.db'}"
    return Places(data_dir=data.resolve(), rules_dir=rules_path.resolve(), db_url=url)


def section(data: dict, name: str) -> dict:
    """A table of the file ({} when absent); a ValueError when it is not a table."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{name}] is not a table")
    return value
