"""A real TCP proxy on loopback in front of the real Dovecot that trickles the server's bytes.

A fault no real server shows on demand: one that keeps the connection alive a byte every few
seconds, so that no read ever times out. The client's bytes go through at once; the server's
first `fast_bytes` too, then one byte every `delay` seconds.
"""
from __future__ import annotations

import socket
import threading


class TrickleProxy:
    def __init__(self, target_port: int, *, delay: float = 3.0, fast_bytes: int = 0,
                 target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.delay, self.fast_bytes = delay, fast_bytes
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        sent = 0
        try:
            while not self._closing.is_set():
                data = source.recv(65536)
                if not data:
                    break
                start = 0 if slow else len(data)
                if slow and sent < self.fast_bytes:
                    start = min(self.fast_bytes - sent, len(data))
                sink.sendall(data[:start])
                sent += start
                for i in range(start, len(data)):   # one byte, then a pause
                    if self._closing.wait(self.delay):
                        return
                    sink.sendall(data[i:i + 1])
                    sent += 1
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closing.set()
        self.listener.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
