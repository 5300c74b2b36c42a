"""Talking to the SMTP server: settings checks, one sending attempt, which errors are worth
retrying, and error messages a person can act on."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from ..config import SECURITY_MODES, SmtpConfig, secret_from_env
from ..rawconfig import is_loopback
from ..errors import ConfigError





class SmtpConfigError(ConfigError):
    """The [smtp] settings cannot work as they are; the message says what to change."""


def password_for(smtp: SmtpConfig) -> str | None:
    """Check the settings and fetch the password from its environment variable."""
    if smtp.security not in SECURITY_MODES:
        raise SmtpConfigError(f"[smtp] security = {smtp.security!r} is not known: "
                              f"use one of {', '.join(SECURITY_MODES)}")
    if smtp.security == "none" and not is_loopback(smtp.host):
        raise SmtpConfigError(f"[smtp] security = \"none\" sends mail and password in clear and "
                              f"is only allowed to a loopback host, not {smtp.host!r}; use "
                              "\"starttls\" (port 587) or \"ssl\" (port 465)")
    if not parseaddr(smtp.sender)[1]:
        raise SmtpConfigError(f"[smtp] sender = {smtp.sender!r} has no e-mail address: "
                              "write it like \"Recrutement <recrutement@example.org>\"")
    if not smtp.username:
        return None
    try:
        return secret_from_env(smtp.password_env, "[smtp] password_env",
                               f"SMTP password of {smtp.username}")
    except ConfigError as exc:
        raise SmtpConfigError(str(exc)) from None


def connect(smtp: SmtpConfig, password: str | None) -> smtplib.SMTP:
    """A connection to the SMTP server, secured and logged in as the settings say."""
    timeout = getattr(smtp, "timeout", None) or 60
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, password or "")
    except BaseException:
        client.close()
        raise
    return client


def send_once(msg: EmailMessage, smtp: SmtpConfig, password: str | None,
               recipients: list[str]) -> dict[str, str]:
    with connect(smtp, password) as client:
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
