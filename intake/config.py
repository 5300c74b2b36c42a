"""config.toml + environment + command-line flags -> typed Settings.

Precedence: flag > environment > config file > default (interface.md).
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

DEFAULT_TIMEZONE = "Africa/Casablanca"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Strict):
    url: str | None = None


class StorageConfig(_Strict):
    data_dir: str = "data"
    rules_dir: str = "rules"


class MailboxConfig(_Strict):
    name: str
    host: str
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str
    password_env: str | None = None
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_env: str | None = None
    oauth2_token_file: str | None = None  # re-read at each connection, so a refreshed token is used
    folders: list[str] = Field(default_factory=lambda: ["INBOX"])
    address: str | None = None  # the address this mailbox receives for; default: username

    @property
    def receives_for(self) -> str:
        return (self.address or self.username).strip().lower()


class ScheduleConfig(_Strict):
    poll_interval_seconds: int = Field(300, ge=10)
    report_time: str = "21:00"
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("report_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not a time of day like \"21:00\"")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)


class SmtpConfig(_Strict):
    host: str = "localhost"
    port: int = 587
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    sender: str = "intake@localhost"
    timeout: float = 30.0


class ReportConfig(_Strict):
    recipients: list[str] = Field(default_factory=list)


class FileConfig(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    storage: StorageConfig = StorageConfig()
    mailboxes: list[MailboxConfig] = Field(default_factory=list)
    schedule: ScheduleConfig = ScheduleConfig()
    smtp: SmtpConfig = SmtpConfig()
    report: ReportConfig = ReportConfig()


class Settings(BaseModel):
    """Everything a command needs, resolved and typed."""

    db_url: str
    data_dir: Path
    rules_dir: Path
    config_file: Path | None
    mailboxes: list[MailboxConfig]
    schedule: ScheduleConfig
    smtp: SmtpConfig
    report: ReportConfig


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name such as \"Africa/Casablanca\"")
    return name


def load_settings(config: str | None = None, db: str | None = None, rules: str | None = None,
                  data_dir: str | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    path, explicit = _config_path(config, env)
    file_cfg = _read_config_file(path, explicit)
    base = path.parent if path else Path.cwd()

    def pick(flag, env_name, from_file, default):
        for value in (flag, env.get(env_name) or None, from_file):
            if value:
                return value
        return default

    data = Path(pick(data_dir, "INTAKE_DATA_DIR", _rel(base, file_cfg.storage.data_dir, path), "data"))
    rules_path = Path(pick(rules, "INTAKE_RULES_DIR", _rel(base, file_cfg.storage.rules_dir, path), "rules"))
    url = pick(db, "INTAKE_DB_URL", file_cfg.database.url, None) or f"sqlite:///{data.resolve() / 'intake.db'}"
    return Settings(db_url=url, data_dir=data.resolve(), rules_dir=rules_path.resolve(),
                    config_file=path, mailboxes=file_cfg.mailboxes, schedule=file_cfg.schedule,
                    smtp=file_cfg.smtp, report=file_cfg.report)


def _rel(base: Path, value: str, path: Path | None) -> str | None:
    """Relative paths in a config file are relative to the file; absent file: no value."""
    if path is None:
        return None
    return str(base / value)


def _config_path(flag: str | None, env: dict[str, str]) -> tuple[Path | None, bool]:
    chosen = flag or env.get("INTAKE_CONFIG")
    if chosen:
        return Path(chosen), True
    default = Path("config.toml")
    return (default, False) if default.exists() else (None, False)


def _read_config_file(path: Path | None, explicit: bool) -> FileConfig:
    if path is None:
        return FileConfig()
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (give an existing file with --config, "
                          "or leave it out to use the defaults)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; save it as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}")
    try:
        return FileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_describe(err) for err in exc.errors()))


def _describe(err) -> str:
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown key '{where}' (check its spelling against config.example.toml)"
    return f"{where}: {err['msg']}"


def secret_from_env(var: str | None, what: str, env: dict[str, str] | None = None) -> str:
    """Read a secret from the environment variable a config key names."""
    env = os.environ if env is None else env
    if not var:
        raise ConfigError(f"{what}: no password_env given; name the environment variable that holds the secret")
    value = env.get(var)
    if not value:
        raise ConfigError(f"{what}: environment variable {var} is not set; export {var}=... before starting intake")
    return value
