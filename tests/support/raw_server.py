"""A raw TCP server that answers with exactly the bytes a test scripts: cut bodies, interim
1xx answers, compressed streams cut short... what no well-behaved HTTP server library sends."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

#: (server, connection, index of the connection) -> None: reads requests, writes answers
Handler = Callable[["RawServer", socket.socket, int], None]


class RawServer:
    """Started on construction on a loopback port (``url``); ``close`` it when done. Each
    accepted connection runs ``handler`` in a thread; ``requests`` keeps every request head."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            index, self.connections = self.connections, self.connections + 1
            threading.Thread(target=self._run, args=(conn, index), daemon=True).start()

    def _run(self, conn: socket.socket, index: int) -> None:
        with conn, contextlib.suppress(OSError):
            self.handler(self, conn, index)

    def read_request(self, conn: socket.socket) -> bytes | None:
        """One request head (a GET has no body), or None when the client closed."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        self.requests.append(data)
        return data

    def close(self) -> None:
        self._listener.close()


def answer(status: str, headers: dict[str, str], body: bytes) -> bytes:
    """The bytes of one HTTP/1.1 answer, headers exactly as given (no Content-Length added)."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body
