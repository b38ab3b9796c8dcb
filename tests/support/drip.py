"""A loopback server that drips: its status line and headers, or its body, one byte every few tenths of a
second, forever (until the client hangs up). Nothing a per-read timeout alone can stop."""

from __future__ import annotations

import socket
import threading
import time


class DripServer:
    """``with DripServer(phase="headers") as server: server.url`` — ``phase`` is "headers" or "body"."""

    def __init__(self, phase: str, interval: float = 0.2, host: str = "127.0.0.1") -> None:
        self.phase = phase
        self.interval = interval
        self._socket = socket.create_server((host, 0))
        self._socket.settimeout(0.2)
        self.url = f"http://{host}:{self._socket.getsockname()[1]}/catalog"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.connections = 0

    def __enter__(self) -> DripServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                if self.phase == "headers":
                    self._forever(connection, b"HTTP/1.1 200 OK\r\nX-Padding: ", b"a")
                else:
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
                    self._forever(connection, head + b'{"dataset": [', b" ")
            except OSError:
                return

    def _forever(self, connection: socket.socket, first: bytes, byte: bytes) -> None:
        connection.sendall(first)
        while not self._stop.is_set():
            time.sleep(self.interval)
            connection.sendall(byte)
