"""A whole Nutmeg app served by uvicorn on a free loopback port, in a thread, for clients that speak real
HTTP (ckanapi's RemoteCKAN, Nutmeg's own harvesters reading another Nutmeg).

The port is bound when the server object is made, so a catalog can be configured with its own public URL
before it is served, and no other process can take the port in between.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI


class LiveServer:
    """``with LiveServer(app) as server: requests.get(server.url + "/data.json")``

    or ``server = LiveServer(); settings = ...(base_url=server.url); server.app = create_app(...)``.
    """

    def __init__(self, app: FastAPI | None = None, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> LiveServer:
        if self.app is None:
            raise RuntimeError("LiveServer has no app to serve")
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", lifespan="off")
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.01)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._socket.close()
