"""A real SMTP receiver (aiosmtpd) on loopback for delivery tests, in the test process.

    with smtp_receiver() as rx:                  # plain SMTP
    with smtp_receiver(refuse_first=1) as rx:    # answers 451 to the first DATA, then accepts
    with smtp_receiver(tls=cert, login=("u", "p")) as rx:   # STARTTLS + AUTH required
    with smtp_receiver(implicit_tls=cert) as rx: # SMTPS (security = "ssl")
    with smtp_receiver(after_accept=f) as rx:   # f() runs once a mail is stored, before the 250 reply
    rx.port, rx.messages (email.message.EmailMessage), rx.envelopes, rx.refusals
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class SmtpTestSettings:
    """The fields deliver.send_report reads from the [smtp] settings."""
    host: str
    port: int
    security: str = "none"
    username: str | None = None
    password_env: str | None = None
    sender: str = "Recrutement OMP <recrutement@omp.example>"
    timeout: float = 10


@dataclass
class Receiver:
    port: int = 0
    refuse_first: int = 0
    reply: str = "451 4.3.0 Temporary failure, try again later"
    envelopes: list = field(default_factory=list)
    refusals: int = 0
    after_accept: object = None

    @property
    def messages(self):
        return [message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes]

    async def handle_DATA(self, server, session, envelope):
        if self.refusals < self.refuse_first:
            self.refusals += 1
            return self.reply
        self.envelopes.append(envelope)
        if self.after_accept is not None:
            self.after_accept()
        return "250 2.0.0 Message accepted"


@dataclass
class Cert:
    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context


def self_signed_cert(folder: Path) -> Cert:
    """A self-signed certificate for localhost and 127.0.0.1 (made with `cryptography`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return Cert(certfile, keyfile)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_receiver(refuse_first: int = 0, reply: str | None = None, tls: Cert | None = None,
                  implicit_tls: Cert | None = None, login: tuple[str, str] | None = None,
                  after_accept=None):
    handler = Receiver(free_port(), refuse_first, after_accept=after_accept)
    if reply:
        handler.reply = reply
    kwargs: dict = {}
    if tls:
        kwargs.update(tls_context=tls.server_context(), require_starttls=True)
    if login:
        kwargs.update(authenticator=_authenticator(*login), auth_required=True)
    if implicit_tls:
        kwargs.update(ssl_context=implicit_tls.server_context())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **kwargs)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)
    return check
