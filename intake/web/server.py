"""Serving the web view with uvicorn: alone (`intake serve`), or in a thread of `intake run`
that stops with the daemon. The socket is bound first, so an address in use is a clear
error (exit 2) rather than a log line. uvicorn's access log is off: sign-in links carry their
token in the address."""
from __future__ import annotations

import logging
import socket
import threading

import uvicorn

from ..config import split_listen
from ..errors import UserError
from .app import create_app

log = logging.getLogger("intake.web")
START_SECONDS = 15


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"the web view cannot listen on {host}:{port}: {exc.strerror}; "
                        "choose another address ([web] listen, or --host/--port)")
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(intake_app) -> uvicorn.Server:
    web = create_app(intake_app)
    config = uvicorn.Config(web, log_level="warning", access_log=False, proxy_headers=True,
                            server_header=False, lifespan="off")
    return uvicorn.Server(config)


def serve(intake_app, host: str, port: int) -> None:
    """`intake serve`: until SIGINT/SIGTERM (uvicorn handles them)."""
    server = _server(intake_app)
    sock = bind(host, port)
    log.warning("web view on http://%s:%d/ (stop with Ctrl-C)", host, port)
    server.run(sockets=[sock])


class Background:
    """The web view in a thread of the daemon."""

    def __init__(self, intake_app, listen: str):
        host, port = split_listen(listen)
        self.server = _server(intake_app)
        self.sock = bind(host, port)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="web", daemon=True)

    def start(self) -> "Background":
        self.thread.start()
        for _ in range(START_SECONDS * 20):
            if self.server.started or not self.thread.is_alive():
                break
            self.thread.join(0.05)
        if not self.server.started:
            raise UserError("the web view did not start (see the log above)")
        log.info("web view listening on %s:%d", *self.sock.getsockname()[:2])
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
