"""Talking to the SMTP server: settings checks, one sending attempt, which errors are worth
retrying, and error messages a person can act on."""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol

from intake.errors import ConfigError

SECURITY = ("ssl", "starttls", "none")


class SmtpSettings(Protocol):
    host: str
    port: int
    security: str
    username: str | None
    password_env: str | None
    sender: str
    timeout: float


class SmtpConfigError(ConfigError):
    """The [smtp] settings cannot work as they are; the message says what to change."""


def password_for(smtp: SmtpSettings) -> str | None:
    """Check the settings and fetch the password from its environment variable."""
    if smtp.security not in SECURITY:
        raise SmtpConfigError(f"[smtp] security = {smtp.security!r} is not known: "
                              f"use one of {', '.join(SECURITY)}")
    if not parseaddr(smtp.sender)[1]:
        raise SmtpConfigError(f"[smtp] sender = {smtp.sender!r} has no e-mail address: "
                              "write it like \"Recrutement <recrutement@example.org>\"")
    if not smtp.username:
        return None
    name = smtp.password_env
    if not name:
        raise SmtpConfigError(f"[smtp] username = {smtp.username!r} needs password_env: the "
                              "name of the environment variable that holds the password")
    password = os.environ.get(name)
    if not password:
        raise SmtpConfigError(f"the SMTP password for {smtp.username} is missing: set the "
                              f"environment variable {name} ([smtp] password_env)")
    return password


def send_once(msg: EmailMessage, smtp: SmtpSettings, password: str | None,
               recipients: list[str]) -> dict[str, str]:
    timeout = getattr(smtp, "timeout", None) or 60
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, password or "")
        refused = client.send_message(msg, parseaddr(smtp.sender)[1],
                                      [parseaddr(r)[1] or r for r in recipients])
    return {addr: f"{code} {text.decode(errors='replace')}" for addr, (code, text)
            in refused.items()}


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, (ssl.SSLCertVerificationError, smtplib.SMTPNotSupportedError)):
        return False
    return isinstance(exc, OSError)  # refused or dropped connection, timeout


def describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + "; ".join(
            f"{a} ({c} {t.decode(errors='replace')})" for a, (c, t) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"server replied {exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"
