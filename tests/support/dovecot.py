"""A real, throw-away Dovecot IMAP server on loopback for the test suite.

Usage in a test module::

    from tests.support.dovecot import dovecot, imap_user  # noqa: F401

`dovecot` is one server per test session (ports chosen free on 127.0.0.1, everything it writes
under a temp dir); `imap_user` is a fresh user with an empty INBOX for each test.

The server listens on a plain port (STARTTLS offered) and an IMAPS port, with a self-signed
certificate for 127.0.0.1 that `Dovecot.ssl_context()` trusts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import pwd
import grp
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pytest
from imapclient import IMAPClient

from intake.config import MailboxConfig

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"


@dataclass
class ImapUser:
    name: str
    password: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_self_signed_cert(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)


def _mail_owner() -> tuple[str, str]:
    """Dovecot refuses to access mail as root: use `nobody` when we are root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    return "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = intake-test-{tag}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_verbose = yes
auth_failure_delay = 0
shutdown_clients = yes
auth_mechanisms = plain login xoauth2 oauthbearer
{users}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u allow_all_users=yes
}}
mail_location = maildir:~/Maildir
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


class Dovecot:
    """One Dovecot master process with its config, state, mail and log under `root`."""

    host = "127.0.0.1"

    def __init__(self, root: Path, extra_config: str = "", oauth2_config: str | None = None):
        """`extra_config`: lines added to dovecot.conf; `oauth2_config`: the oauth2 passdb's
        settings instead of local validation of our JWTs (e.g. a tokeninfo_url)."""
        self.root, self.extra_config, self.oauth2_config = root, extra_config, oauth2_config
        self.imap_port = _free_port()
        self.imaps_port = _free_port()
        self.mail_user, self.mail_group = _mail_owner()
        self.process: subprocess.Popen | None = None
        self._pool: list[ImapUser] = []
        self._setup()

    # -- lifecycle -----------------------------------------------------------------------------
    def _setup(self) -> None:
        self.root.chmod(0o711)  # the unprivileged mail user must traverse to its Maildir
        for sub in ("run", "state"):
            (self.root / sub).mkdir()
        mail = self.root / "mail"
        mail.mkdir()
        shutil.chown(mail, self.mail_user, self.mail_group)
        (self.root / "passwd").write_text("")
        self._setup_oauth2()
        if self.oauth2_config is not None:
            (self.root / "oauth2.conf").write_text(self.oauth2_config)
        _write_self_signed_cert(self.root / "cert.pem", self.root / "key.pem")
        if os.geteuid() == 0:
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull"
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            users = f"default_internal_user = {me}\ndefault_login_user = {me}"
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root, tag=uuid.uuid4().hex[:8], users=users,
                mail_user=self.mail_user, mail_group=self.mail_group,
                imap_port=self.imap_port, imaps_port=self.imaps_port,
            ) + self.extra_config
        )
        for path in self.root.rglob("*"):  # whatever the umask of the process (intake sets 077)
            if path.name not in ("key.pem", "mail"):
                path.chmod(0o755 if path.is_dir() else 0o644)

    def _setup_oauth2(self) -> None:
        """XOAUTH2 with tokens Dovecot validates locally: HS256 JWTs signed with our key."""
        self._jwt_key = os.urandom(32)
        (self.root / "oauth2.conf").write_text(
            "introspection_mode = local\n"
            f"local_validation_key_dict = fs:posix:prefix={self.root}/oauth2-keys/\n"
            "username_attribute = sub\n")
        key = self.root / "oauth2-keys" / "default" / "HS256" / "default"  # dict key shared/default/HS256/default
        key.parent.mkdir(parents=True)
        key.write_text(base64.b64encode(self._jwt_key).decode())

    def oauth2_token(self, user: ImapUser, *, valid_for: int = 600) -> str:
        """An access token for `user`, as an OAuth2 provider would issue it."""
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        now = int(time.time())
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64(json.dumps({"sub": user.name, "iat": now, "nbf": now - 5,
                                 "exp": now + valid_for}).encode())
        signature = hmac.new(self._jwt_key, f"{header}.{claims}".encode(), hashlib.sha256)
        return f"{header}.{claims}.{b64(signature.digest())}"

    def start(self) -> None:
        log = open(self.root / "stdout.log", "ab")
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)],
                                        stdout=log, stderr=log, start_new_session=True,
                                        umask=0o022)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log_tail()}")
            if self._accepting():
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start listening in 10 s: {self.log_tail()}")

    def _accepting(self) -> bool:
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=0.5) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server and cut every client connection (as a crash or reboot does)."""
        if self.process is None:
            return
        group = self.process.pid  # its own session: the master and all its children
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # still waiting for its children: cut them off
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while self._accepting() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- users and clients ---------------------------------------------------------------------
    def add_user(self, name: str | None = None, password: str | None = None) -> ImapUser:
        """A new user. Dovecot re-reads the passwd-file at most once a second, so users are
        registered ahead in batches and handed out from a pool."""
        if name or password:
            user = ImapUser(name or f"u{uuid.uuid4().hex[:10]}", password or uuid.uuid4().hex)
            self._register([user])
            return user
        if not self._pool:
            self._pool = [ImapUser(f"u{uuid.uuid4().hex[:10]}", uuid.uuid4().hex)
                          for _ in range(40)]
            self._register(self._pool)
        return self._pool.pop()

    def _register(self, users: list[ImapUser]) -> None:
        with open(self.root / "passwd", "a") as f:
            f.writelines(f"{u.name}:{{PLAIN}}{u.password}\n" for u in users)
        time.sleep(1.1)

    def client(self, user: ImapUser) -> IMAPClient:
        c = IMAPClient(self.host, self.imap_port, ssl=False, timeout=10)
        c.normalise_times = False
        c.login(user.name, user.password)
        return c

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.root / "cert.pem"))

    def mailbox(self, user: ImapUser, *, security: str = "none", folders: Iterable[str] = ("INBOX",),
                name: str | None = None, monkeypatch=None) -> MailboxConfig:
        """A [[mailboxes]] entry for `user`; its password is put in an environment variable."""
        env = f"INTAKE_TEST_PW_{user.name.upper()}"
        if monkeypatch is not None:
            monkeypatch.setenv(env, user.password)
        else:
            os.environ[env] = user.password
        port = self.imaps_port if security == "ssl" else self.imap_port
        return MailboxConfig(name=name or user.name, host=self.host, port=port,
                             username=user.name, password_env=env, security=security,
                             folders=list(folders), address=f"{user.name}@example.org")

    # -- mail ----------------------------------------------------------------------------------
    def create_folder(self, user: ImapUser, folder: str) -> None:
        with self._session(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)

    def delete_folder(self, user: ImapUser, folder: str) -> None:
        with self._session(user) as c:
            c.delete_folder(folder)

    def append(self, user: ImapUser, folder: str, raw: bytes, internaldate: dt.datetime,
               flags: Iterable[bytes | str] = ()) -> int:
        """APPEND one message; returns its UID."""
        with self._session(user) as c:
            response = c.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
        return int(response.split(b"]")[0].split()[-1])  # [APPENDUID <validity> <uid>]

    def append_many(self, user: ImapUser, folder: str,
                    messages: Iterable[tuple[bytes, dt.datetime]], chunk: int = 200) -> None:
        """Fast bulk load with MULTIAPPEND (for big mailboxes in tests and benchmarks)."""
        with self._session(user) as c:
            batch: list[dict] = []
            for raw, when in messages:
                batch.append({"msg": raw, "date": when})
                if len(batch) >= chunk:
                    c.multiappend(folder, batch)
                    batch = []
            if batch:
                c.multiappend(folder, batch)

    def delete_message(self, user: ImapUser, folder: str, uid: int) -> None:
        """Delete and expunge one message, as a person reading the mailbox would."""
        with self._session(user) as c:
            c.select_folder(folder)
            c.delete_messages([uid])
            c.expunge()

    def set_flags(self, user: ImapUser, folder: str, uids: Iterable[int],
                  flags: Iterable[bytes | str]) -> None:
        with self._session(user) as c:
            c.select_folder(folder)
            c.set_flags(list(uids), list(flags))

    def get_flags(self, user: ImapUser, folder: str) -> dict[int, frozenset[bytes]]:
        """Flags of every message (read-only select; \\Recent left out: it is per-session)."""
        with self._session(user) as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            found = c.get_flags(uids) if uids else {}
        return {uid: frozenset(f for f in flags if f != b"\\Recent") for uid, flags in found.items()}

    def uids(self, user: ImapUser, folder: str) -> tuple[int, list[int]]:
        """(UIDVALIDITY, all UIDs) of a folder."""
        with self._session(user) as c:
            info = c.select_folder(folder, readonly=True)
            return int(info[b"UIDVALIDITY"]), sorted(c.search("ALL"))

    def reset_uidvalidity(self, user: ImapUser, folder: str) -> int:
        """Make the server forget the folder's UIDs, as a restored or migrated mailbox does.

        The folder's dovecot-uidlist and index files are deleted, so Dovecot renumbers its
        messages from 1 under a new UIDVALIDITY. Returns the new UIDVALIDITY.
        """
        old, _ = self.uids(user, folder)
        directory = self._folder_dir(user, folder)
        for path in directory.iterdir():
            if path.name.startswith("dovecot") and path.is_file():
                path.unlink()
        new, _ = self.uids(user, folder)
        if new == old:  # same second: force a different value
            subprocess.run([DOVEADM, "-c", str(self.config), "mailbox", "update", "-u", user.name,
                            "--uid-validity", str(old + 1), folder], check=True)
            new = old + 1
        return new

    def make_unreadable(self, user: ImapUser, folder: str, uid: int) -> Path:
        """Take away read permission on one message's file: the server can list it but not
        return it (as with a disk error). Returns the file, to chmod back."""
        directory = self._folder_dir(user, folder)
        lines = (directory / "dovecot-uidlist").read_text().splitlines()[1:]
        for line in lines:
            number, _, rest = line.partition(" ")
            if int(number) == uid:
                base = rest.split(":", 1)[1] if ":" in rest else rest
                for sub in ("cur", "new"):
                    for path in (directory / sub).glob(base.split(":")[0] + "*"):
                        path.chmod(0)
                        return path
        raise LookupError(f"uid {uid} not found in {directory}")

    def _folder_dir(self, user: ImapUser, folder: str) -> Path:
        base = self.root / "mail" / user.name / "Maildir"
        return base if folder.upper() == "INBOX" else base / f".{folder}"

    def _session(self, user: ImapUser):
        return _Session(self, user)


class _Session:
    def __init__(self, server: Dovecot, user: ImapUser):
        self.server, self.user = server, user

    def __enter__(self) -> IMAPClient:
        self.client = self.server.client(self.user)
        return self.client

    def __exit__(self, *exc) -> None:
        try:
            self.client.logout()
        except Exception:
            pass


def _ensure_dovecot_installed() -> str | None:
    """None when dovecot is available, else the reason it is not."""
    if os.path.exists(DOVECOT):
        return None
    if os.geteuid() != 0:
        return f"{DOVECOT} is missing; install it with: sudo apt-get install -y dovecot-imapd"
    result = subprocess.run(["apt-get", "install", "-y", "dovecot-imapd"],
                            capture_output=True, text=True)
    if result.returncode != 0 or not os.path.exists(DOVECOT):
        return f"could not install dovecot-imapd: {result.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    reason = _ensure_dovecot_installed()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Dovecot is required under CI: {reason}")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="intake-dovecot-") as tmp:
        server = Dovecot(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> ImapUser:
    """A fresh user of the session's Dovecot (its INBOX starts empty)."""
    return dovecot.add_user()


def make_message(n: int = 1, *, subject: str | None = None, message_id: str | None = None,
                 sender: str = "applicant@example.ma", body: str | None = None) -> bytes:
    """A small, valid RFC 5322 message (CRLF line ends, as IMAP servers keep them)."""
    message_id = message_id or f"<test-{n}-{uuid.uuid4().hex[:12]}@example.ma>"
    lines = [
        f"From: Applicant {n} <{sender}>",
        "To: recrutement@example.org",
        f"Subject: {subject or f'Candidature {n}'}",
        f"Message-ID: {message_id}",
        "Date: Mon, 04 Mar 2024 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body or f"Bonjour, veuillez trouver ma candidature numero {n}.",
        "",
    ]
    return "\r\n".join(lines).encode()


def write_config(path: Path, mailboxes: Iterable[MailboxConfig], *, db_url: str, data_dir: Path,
                 rules_dir: Path, poll_interval_seconds: int = 300) -> Path:
    """A config.toml for `intake` commands run as child processes in tests."""
    def value(v) -> str:
        return json.dumps(v)  # JSON strings, numbers and lists are valid TOML values

    lines = [f"[database]\nurl = {value(db_url)}\n",
             f"[storage]\ndata_dir = {value(str(data_dir))}\nrules_dir = {value(str(rules_dir))}\n",
             f"[schedule]\npoll_interval_seconds = {poll_interval_seconds}\n"]
    for box in mailboxes:
        entries = box.model_dump(exclude_none=True)
        lines.append("[[mailboxes]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in entries.items()))
    path.write_text("\n".join(lines))
    return path
