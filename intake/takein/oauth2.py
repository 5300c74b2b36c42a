"""OAuth2 access tokens that renew themselves (Gmail, Microsoft 365).

A mailbox with `auth = "xoauth2"` and `oauth2_refresh_token_env` gets its access tokens from
the provider's token endpoint (`grant_type=refresh_token`, RFC 6749 section 6). A token is kept
until `expires_in` minus a margin, in memory and in a 0600 file under the data folder (so a
`poll --once` from cron does not ask for a new one each time); a token the IMAP server refuses
is forgotten and a fresh one asked for (imap.connect retries once). A refresh token the
provider rotates (Microsoft does) is kept in the same file and used from then on.

Nothing secret is ever logged: messages name the environment variable, never its value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import MailboxConfig, secret_from_env
from ..rawconfig import is_loopback
from ..errors import ConfigError
from ..fsutil import write_atomic
from ..safetext import printable

log = logging.getLogger(__name__)

TOKEN_URLS = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
}
SCOPES = {   # asked for again at each refresh (Microsoft requires it; Google ignores it)
    "google": "https://mail.google.com/",
    "microsoft": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
}
MARGIN_SECONDS = 300      # renew this long before expiry (at most half the token's life)
HTTP_TIMEOUT_SECONDS = 20     # one token request (a poll waits for it, SIGTERM too)
HELP = "get a new refresh token (see docs/mailboxes.md)"


class TokenError(Exception):
    """The token endpoint could not give an access token. `retry` says whether trying again
    later may help (network, server error) or a person must act (revoked token, bad client)."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


def renews(cfg: MailboxConfig) -> bool:
    """True when intake gets this mailbox's access tokens itself."""
    return cfg.auth == "xoauth2" and bool(cfg.oauth2_refresh_token_env)


def token_url(cfg: MailboxConfig) -> str:
    return cfg.oauth2_token_url or TOKEN_URLS.get(cfg.provider or "", "")


def check(cfg: MailboxConfig) -> None:
    """The settings and environment of a renewing mailbox, without asking the network;
    a ConfigError names the key to fix."""
    if not cfg.oauth2_client_id:
        raise ConfigError("oauth2_client_id is not set; give the OAuth2 client id of the app "
                          "registered with the provider (see docs/mailboxes.md)")
    url = token_url(cfg)
    if not url:
        raise ConfigError('oauth2_token_url is not set; give it, or provider = "google" or '
                          '"microsoft" for the default')
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        raise ConfigError(f"oauth2_token_url = {url!r} must be an https:// address (http only "
                          "for a loopback host)")
    secret_from_env(cfg.oauth2_refresh_token_env, "oauth2_refresh_token_env", "OAuth2 refresh token")
    if cfg.oauth2_client_secret_env:
        secret_from_env(cfg.oauth2_client_secret_env, "oauth2_client_secret_env",
                        "OAuth2 client secret")


@dataclass
class Token:
    access_token: str
    renew_at: float            # wall-clock time after which a new one is asked for
    origin: str                # fingerprint of the refresh token in the environment
    refresh_token: str | None = None   # a newer one the provider handed back (rotation)


class Tokens:
    """Access tokens of every renewing mailbox of one process (thread-safe). `cache_dir`: where
    they are kept between runs (None: memory only)."""

    def __init__(self, cache_dir: Path | None = None, *, clock=time.time,
                 timeout: float = HTTP_TIMEOUT_SECONDS):
        self.cache_dir, self.clock, self.timeout = cache_dir, clock, timeout
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def access_token(self, cfg: MailboxConfig) -> str:
        """A valid access token for `cfg`, asked for when none is kept or it is about to expire.
        Raises TokenError."""
        with self._mailbox_lock(cfg.name):
            origin = _fingerprint(_refresh_token_from_env(cfg))
            token = self._tokens.get(cfg.name) or self._load(cfg.name)
            if token is None or token.origin != origin:
                token = None   # the admin put a new refresh token in the environment
            if token is not None and self.clock() < token.renew_at:
                self._tokens[cfg.name] = token
                return token.access_token
            token = self._refresh(cfg, origin, token)
            self._tokens[cfg.name] = token
            self._save(cfg.name, token)
            return token.access_token

    def forget(self, cfg: MailboxConfig) -> None:
        """The server refused the access token: the next call asks for a new one (a rotated
        refresh token is kept)."""
        with self._mailbox_lock(cfg.name):
            token = self._tokens.get(cfg.name) or self._load(cfg.name)
            if token is not None:
                token.renew_at = 0.0
                self._tokens[cfg.name] = token
                self._save(cfg.name, token)

    def _mailbox_lock(self, name: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(name, threading.Lock())

    def _refresh(self, cfg: MailboxConfig, origin: str, old: Token | None) -> Token:
        refresh_token = (old.refresh_token if old and old.refresh_token
                         else _refresh_token_from_env(cfg))
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": cfg.oauth2_client_id}
        if cfg.oauth2_client_secret_env:
            form["client_secret"] = secret_from_env(cfg.oauth2_client_secret_env,
                                                    "oauth2_client_secret_env",
                                                    "OAuth2 client secret")
        if cfg.provider in SCOPES:
            form["scope"] = SCOPES[cfg.provider]
        answer = self._post(cfg, form)
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenError(f"mailbox {cfg.name!r}: the token endpoint {_host(cfg)} answered "
                             "without an access token", retry=True)
        try:
            life = float(answer.get("expires_in", 3600))
        except (TypeError, ValueError):
            life = 3600.0
        rotated = answer.get("refresh_token")
        log.info("mailbox %r: new OAuth2 access token from %s, valid %.0f s", cfg.name,
                 _host(cfg), life)
        return Token(access, self.clock() + life - min(MARGIN_SECONDS, life / 2), origin,
                     rotated if isinstance(rotated, str) and rotated != refresh_token
                     else (old.refresh_token if old else None))

    def _post(self, cfg: MailboxConfig, form: dict) -> dict:
        where = f"mailbox {cfg.name!r}: the token endpoint {_host(cfg)}"
        request = urllib.request.Request(
            token_url(cfg), data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _json(response.read())
        except urllib.error.HTTPError as exc:
            answer = _json(exc.read())
            raise _refused(cfg, where, exc.code, answer) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TokenError(f"{where} cannot be reached: {reason}", retry=True) from None

    # -- the cache file ---------------------------------------------------------------------------
    def _file(self, name: str) -> Path | None:
        if self.cache_dir is None:
            return None
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        return self.cache_dir / f"{safe}-{_fingerprint(name)[:8]}.json"

    def _load(self, name: str) -> Token | None:
        path = self._file(name)
        if path is None or not path.exists():
            return None
        try:
            return Token(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            log.warning("mailbox %r: the kept OAuth2 token file %s is unreadable; asking for a "
                        "new token", name, path)
            return None

    def _save(self, name: str, token: Token) -> None:
        path = self._file(name)
        if path is None:
            return
        try:
            write_atomic(path, json.dumps(asdict(token)).encode())
        except OSError as exc:
            log.warning("mailbox %r: cannot keep the OAuth2 token in %s (%s); it is kept in "
                        "memory only", name, path.parent, exc.strerror)


def _refused(cfg: MailboxConfig, where: str, status: int, answer: dict) -> TokenError:
    code = str(answer.get("error") or f"HTTP {status}")
    said = printable(str(answer.get("error_description") or ""))[:200]
    said = f": {said}" if said else ""
    if code == "invalid_grant":
        return TokenError(f"{where} refused the refresh token in "
                          f"${cfg.oauth2_refresh_token_env} ({code}{said}): it was revoked or "
                          f"has expired; {HELP} and put it in ${cfg.oauth2_refresh_token_env}",
                          retry=False)
    if code in ("invalid_client", "unauthorized_client"):
        return TokenError(f"{where} refused the client ({code}{said}); check oauth2_client_id "
                          f"and the secret in ${cfg.oauth2_client_secret_env or '(none)'}",
                          retry=False)
    if code in ("invalid_scope", "invalid_request"):
        return TokenError(f"{where} refused the request ({code}{said}); check provider and "
                          f"oauth2_token_url, or {HELP}", retry=False)
    return TokenError(f"{where} answered {code}{said}", retry=status >= 500 or status == 429)


def _refresh_token_from_env(cfg: MailboxConfig) -> str:
    return secret_from_env(cfg.oauth2_refresh_token_env, "oauth2_refresh_token_env",
                           "OAuth2 refresh token")


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _host(cfg: MailboxConfig) -> str:
    return urllib.parse.urlsplit(token_url(cfg)).netloc or token_url(cfg)


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
