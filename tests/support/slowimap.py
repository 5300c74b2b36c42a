"""Real TCP proxies on loopback in front of the real Dovecot, for faults and moments no real
server shows on demand.

- `TrickleProxy` keeps the connection alive a byte every few seconds, so that no read ever
  times out: the client's bytes go through at once; the server's first `fast_bytes` too, then
  one byte every `delay` seconds.
- `GateProxy` holds the client's n-th command naming a word (a message fetch, `BODY.PEEK[]`,
  unless told otherwise) until the test opens the gate: a test can act while a poll is
  certainly in the middle of its work, however fast the machine is.
"""
from __future__ import annotations

import socket
import threading


class _Proxy:
    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._pumps: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            for pump in (threading.Thread(target=self._pump, args=(client, server, False), daemon=True),
                         threading.Thread(target=self._pump, args=(server, client, True), daemon=True)):
                self._pumps.append(pump)
                pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        state = {"sent": 0}
        try:
            while not self._closing.is_set():
                data = source.recv(65536)
                if not data or not self._forward(data, sink, from_server, state):
                    break
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _forward(self, data: bytes, sink: socket.socket, from_server: bool, state: dict) -> bool:
        """Send `data` on; False to end the connection."""
        sink.sendall(data)
        return True

    def close(self) -> None:
        self._closing.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)   # wakes the accept() (close alone does not)
        except OSError:
            pass
        self.listener.close()
        self._acceptor.join(5)
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)   # wakes a recv() in a pump
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        for pump in self._pumps:   # a test that counts threads finds none of a closed proxy
            pump.join(5)


class TrickleProxy(_Proxy):
    def __init__(self, target_port: int, *, delay: float = 3.0, fast_bytes: int = 0,
                 target_host: str = "127.0.0.1"):
        self.delay, self.fast_bytes = delay, fast_bytes
        super().__init__(target_port, target_host=target_host)

    def _forward(self, data, sink, from_server, state) -> bool:
        start = len(data)
        if from_server:
            start = min(max(self.fast_bytes - state["sent"], 0), len(data))
        sink.sendall(data[:start])
        state["sent"] += start
        for i in range(start, len(data)):   # one byte, then a pause
            if self._closing.wait(self.delay):
                return False
            sink.sendall(data[i:i + 1])
            state["sent"] += 1
        return True


class GateProxy(_Proxy):
    """`held` is set when the client's `hold_at`-th command naming `word` reaches the gate
    (counted from `arm()`, or from the start); that command goes on to the server only after
    `open()`. Unarmed (`hold_at=None`), everything goes through."""

    def __init__(self, target_port: int, *, word: bytes = b"BODY.PEEK[]", hold_at: int | None = 1,
                 target_host: str = "127.0.0.1"):
        self.word, self.hold_at, self.seen = word, hold_at, 0
        self.held, self._opened = threading.Event(), threading.Event()
        super().__init__(target_port, target_host=target_host)

    def arm(self, hold_at: int = 1) -> None:
        self.seen, self.hold_at = 0, hold_at
        self.held.clear()
        self._opened.clear()

    def _forward(self, data, sink, from_server, state) -> bool:
        if not from_server and self.hold_at is not None and self.word in data:
            self.seen += data.count(self.word)
            if self.seen >= self.hold_at and not self._opened.is_set():
                self.held.set()
                while not self._opened.wait(0.1):
                    if self._closing.is_set():
                        return False
        sink.sendall(data)
        return True

    def open(self) -> None:
        self._opened.set()
