"""config.toml + environment + command-line flags -> typed Settings.

Precedence: flag > environment > config file > default (interface.md).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .rawconfig import DEFAULT_DATA_DIR, DEFAULT_RULES_DIR, config_path, places, read_config_file

DEFAULT_TIMEZONE = "Africa/Casablanca"
SECURITY_MODES = ("ssl", "starttls", "none")
Security = Literal["ssl", "starttls", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Strict):
    url: str | None = None


class StorageConfig(_Strict):
    data_dir: str = DEFAULT_DATA_DIR
    rules_dir: str = DEFAULT_RULES_DIR


class MailboxConfig(_Strict):
    name: str
    host: str
    port: int = 993
    security: Security = "ssl"
    username: str
    password_env: str | None = None
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_env: str | None = None
    oauth2_token_file: str | None = None  # re-read at each connection, so a refreshed token is used
    # intake renews the access token itself (takein/oauth2.py): a refresh token, client id and
    # secret from the environment; the token URL defaults by provider.
    oauth2_refresh_token_env: str | None = None
    oauth2_client_id: str | None = None
    oauth2_client_secret_env: str | None = None
    oauth2_token_url: str | None = None
    provider: Literal["google", "microsoft"] | None = None
    idle: bool = False   # IMAP IDLE (push) where the server offers it; polling otherwise
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
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    sender: str = "intake@localhost"
    timeout: float = 30.0


class ReportConfig(_Strict):
    recipients: list[str] = Field(default_factory=list)


class AcknowledgementsConfig(_Strict):
    """How acknowledgements to applicants are sent (a rules file turns them on per posting)."""

    per_applicant_per_day: int = Field(3, ge=1)     # at most this many to one address in 24 hours
    attempts: int = Field(8, ge=1)                  # SMTP tries before one is given up as failed
    retry_seconds: float = Field(300, ge=0)         # wait after the first failed try, doubled each time


class WebConfig(_Strict):
    listen: str | None = None            # "host:port": `intake run` serves the web view there
    base_url: str | None = None          # links in mails and reports point here
    secret_env: str = "INTAKE_WEB_SECRET"   # the variable holding the signing secret
    link_hours: int = Field(72, ge=1, le=24 * 90)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            split_listen(value)
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest or any(c in rest for c in "?#\"\\ "):
            raise ValueError(f"{value!r} is not a web address like \"https://intake.example.org\"")
        return value


class PrivacyConfig(_Strict):
    """How long applicants' data is kept (docs/privacy.md). None: kept until erased by hand."""

    retention_days: int | None = Field(None, ge=0)   # after a posting's deadline (its rules file may say otherwise)
    unmatched_days: int | None = Field(None, ge=0)   # mail outside every dossier, after it left them
    salt_env: str = "INTAKE_ERASURE_SALT"            # the variable holding the erasure log's salt


def split_listen(value: str) -> tuple[str, int]:
    """'127.0.0.1:8025' -> ('127.0.0.1', 8025); '[::1]:8025' -> ('::1', 8025)."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port like \"127.0.0.1:8025\"")
    return host, int(port)


class LoggingConfig(_Strict):
    format: Literal["text", "json"] = "text"   # json: one object per line (--log-format wins)


class FileConfig(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    storage: StorageConfig = StorageConfig()
    mailboxes: list[MailboxConfig] = Field(default_factory=list)
    schedule: ScheduleConfig = ScheduleConfig()
    smtp: SmtpConfig = SmtpConfig()
    report: ReportConfig = ReportConfig()
    web: WebConfig = WebConfig()
    acknowledgements: AcknowledgementsConfig = AcknowledgementsConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    logging: LoggingConfig = LoggingConfig()


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
    web: WebConfig = WebConfig()
    acknowledgements: AcknowledgementsConfig = AcknowledgementsConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    logging: LoggingConfig = LoggingConfig()


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name such as \"Africa/Casablanca\"")
    return name


def load_settings(config: str | None = None, db: str | None = None, rules: str | None = None,
                  data_dir: str | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    path = config_path(config, env)
    file_cfg = validate_file(path, read_config_file(path))
    where = places(path, file_cfg.storage.data_dir, file_cfg.storage.rules_dir, file_cfg.database.url,
                   db=db, rules=rules, data_dir=data_dir, env=env)
    return Settings(db_url=where.db_url, data_dir=where.data_dir, rules_dir=where.rules_dir,
                    config_file=path, mailboxes=file_cfg.mailboxes, schedule=file_cfg.schedule,
                    smtp=file_cfg.smtp, report=file_cfg.report, web=file_cfg.web,
                    acknowledgements=file_cfg.acknowledgements, privacy=file_cfg.privacy,
                    logging=file_cfg.logging)


def validate_file(path: Path | None, data: dict) -> FileConfig:
    """The config file's TOML data, typed, or a ConfigError naming each wrong key."""
    try:
        return FileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_describe(err) for err in exc.errors()))


def _describe(err) -> str:
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown key '{where}' (check its spelling against config.example.toml)"
    return f"{where}: {err['msg']}"


def secret_from_env(variable: str | None, key: str, what: str) -> str:
    """The one reader of secrets: the value of the environment variable a config key names
    (secrets never sit in a config file). A ConfigError says which key and variable."""
    if not variable:
        raise ConfigError(f"{key} is not set; name the environment variable that holds the {what}")
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"environment variable {variable} is not set; export it with the {what} "
                          f"({key} in the config names it)")
    return value
