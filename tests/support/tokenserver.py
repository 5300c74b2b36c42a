"""A real OAuth2 token endpoint on loopback that answers like Google's (RFC 6749 section 6).

POST /token with grant_type=refresh_token, client_id, client_secret and refresh_token gets
{"access_token", "expires_in", "token_type", "scope"}. The access token is either
- a JWT the test Dovecot validates itself for `user` (with its key, expiry included), or
- with `opaque=True`, a random string that Dovecot checks at GET /tokeninfo?access_token=...
  (answered like Google's tokeninfo: the account's address and the time left, or 400): so the
  provider can also revoke access tokens already handed out (`revoke_access`).
It counts the calls, can revoke the refresh token (then: 400 invalid_grant), can hand out a
token the IMAP server refuses while it claims to be valid, and can rotate the refresh token as
Microsoft does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = "intake-test.apps.example"
CLIENT_SECRET = "client-secret-7f1e0b"
REFRESH_TOKEN = "1//refresh-token-4d9c2a"


class TokenServer:
    def __init__(self, dovecot=None, user=None, *, expires_in: int = 3599, opaque: bool = False):
        self.dovecot, self.user, self.opaque = dovecot, user, opaque
        self.active: dict[str, float] = {}     # opaque access token -> when it expires
        self.tokeninfo_calls = 0
        self.expires_in = expires_in
        self.valid_for: int | None = None      # the JWT's real life; None: expires_in
        self.refuse_next = 0                   # hand out this many tokens Dovecot will refuse
        self.rotate = False                    # answer with a new refresh token each time
        self.refresh_tokens = {REFRESH_TOKEN}  # accepted
        self.calls: list[dict] = []            # the forms received
        self.issued: list[str] = []            # access tokens handed out
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                status, answer = server.answer(self.path, form)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the http.server API
                status, answer = server.tokeninfo(self.path)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.http.server_port}"
        self.url = f"{self.base}/token"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def answer(self, path: str, form: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(form)
            if path != "/token" or form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}
            valid_for = self.valid_for if self.valid_for is not None else self.expires_in
            if self.refuse_next:
                self.refuse_next -= 1
                valid_for = -60    # already expired for the IMAP server, though expires_in says not
            if self.opaque:
                token = f"ya29.{secrets.token_urlsafe(32)}"
                self.active[token] = time.time() + valid_for
            else:
                token = self.dovecot.oauth2_token(self.user, valid_for=valid_for)
            self.issued.append(token)
            answer = {"access_token": token, "expires_in": self.expires_in,
                      "token_type": "Bearer", "scope": "https://mail.google.com/"}
            if self.rotate:
                new = f"{REFRESH_TOKEN}-{len(self.calls)}"
                self.refresh_tokens = {new}
                answer["refresh_token"] = new
            return 200, answer

    def tokeninfo(self, path: str) -> tuple[int, dict]:
        with self.lock:
            self.tokeninfo_calls += 1
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
            left = self.active.get(query.get("access_token", ""), 0) - time.time()
            if left <= 0:
                return 400, {"error_description": "Invalid Value"}
            return 200, {"email": self.user.name, "expires_in": int(left), "aud": CLIENT_ID,
                         "scope": "https://mail.google.com/"}

    def revoke_access(self) -> None:
        """The provider ends every access token handed out (a password change, say)."""
        with self.lock:
            self.active.clear()

    def revoke(self) -> None:
        with self.lock:
            self.refresh_tokens = set()

    @property
    def count(self) -> int:
        return len(self.calls)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
