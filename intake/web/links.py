"""Sign-in links: an address signed with the web secret (itsdangerous), valid link_hours.

Used by the web view (sign-in page, `intake web link`) and by the nightly mail (each person's
links sign them in). The secret comes only from the environment variable [web] secret_env names.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..config import Settings, secret_from_env
from ..errors import ConfigError
from . import paths

SALT = "intake-sign-in"
MIN_SECRET = 16
DEFAULT_LISTEN = "127.0.0.1:8025"


class LinkRefused(Exception):
    """A sign-in link that is tampered with, or expired (`expired` says which)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def web_secret(settings: Settings) -> str:
    """The signing secret, or a ConfigError saying which variable to set."""
    value = secret_from_env(settings.web.secret_env, "[web] secret_env",
                            "secret that signs the web view's links and sessions (a long random "
                            "string: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    if len(value) < MIN_SECRET:
        raise ConfigError(f"the secret in {settings.web.secret_env} ([web] secret_env) is too "
                          f"short: use at least {MIN_SECRET} random characters")
    return value


def base_url(settings: Settings) -> str:
    """Where people open the web view: [web] base_url, else the address it listens on."""
    if settings.web.base_url:
        return settings.web.base_url
    return f"http://{settings.web.listen or DEFAULT_LISTEN}"


def make_token(secret: str, address: str) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"e": address.strip().lower()})


def read_token(secret: str, token: str, max_age_seconds: int) -> str:
    """The address a sign-in token was made for; LinkRefused when tampered or expired."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise LinkRefused(expired=True) from None
    except BadSignature:
        raise LinkRefused(expired=False) from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise LinkRefused(expired=False)
    return data["e"]


def sign_in_url(settings: Settings, secret: str, address: str, then: str = paths.HOME) -> str:
    return paths.sign_in_link(base_url(settings), make_token(secret, address), then)
