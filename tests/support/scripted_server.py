"""An HTTP server on a real socket for transport behaviour the sandbox cannot script exactly
(a given sequence of drops, statuses, slow answers), keeping a record of what arrived."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Action:
    """What the server does with one request: answer ``body`` with ``status`` after ``delay``
    seconds, or (``drop``) read it and close the connection without a word."""

    body: bytes = b"1701"
    status: int = 200
    drop: bool = False
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    params: dict[str, str]


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connects when 8+ client threads start at once
    # on a loaded machine: the client's retry after its connect timeout then counts as a
    # request the test did not make
    request_queue_size = 128


class ScriptedServer:
    """Started on construction on a loopback port (``url``); ``stop`` it when done."""

    def __init__(self) -> None:
        self.script: list[Action] = []
        self.default = Action()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the client's session expects

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._open.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._open.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.seen.append(Seen(parts.path, dict(parse_qsl(parts.query))))
                    action = server.script.pop(0) if server.script else server.default
                if action.delay:
                    time.sleep(action.delay)
                if action.drop:
                    self.close_connection = True
                    return
                self.send_response(action.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(action.body)))
                for name, value in action.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(action.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    # Script the next answers (in order); after the script runs out, ``default`` answers.
    def answer(
        self,
        body: bytes = b"1701",
        status: int = 200,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.script.append(Action(body, status, delay=delay, headers=headers or {}))

    def drop(self, delay: float = 0.0) -> None:
        self.script.append(Action(drop=True, delay=delay))

    def always(
        self,
        body: bytes = b"1701",
        status: int = 200,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.default = Action(body, status, delay=delay, headers=headers or {})

    def close_idle_connections(self) -> None:
        """Close every kept-alive connection, as a gateway does with idle ones, and wait until
        they are gone."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        while self._open and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
