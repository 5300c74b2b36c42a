"""Who is asking: the signed session cookie (Starlette's SessionMiddleware, itsdangerous), the
person it names, what they may see (reports/audience.py, read afresh at every request, so
removing someone from the lists takes effect at once), and the CSRF token of its forms."""
from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from ..reports.audience import Reader, reader_for

CSRF_FIELD = "csrf"


def csrf_token(request: Request) -> str:
    """This browser's form token (made on first use, kept in its session)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))


def sign_in(request: Request, address: str) -> None:
    request.session.clear()
    request.session["email"] = address
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def reader(request: Request) -> Reader | None:
    """The signed-in person, if they still receive a report; None otherwise."""
    address = request.session.get("email")
    if not isinstance(address, str) or not address:
        return None
    settings, rules = request.app.state.intake.settings, request.app.state.intake.rules
    return reader_for(address, settings.report.recipients, rules)
