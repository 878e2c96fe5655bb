"""A forwarding proxy in front of a real gateway (the sandbox) that answers some requests itself
while ``hiccup`` says so: a gateway that has a bad moment (a listing page answered "1704: no
data" once) without scripting the whole conversation."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

#: (lower-cased endpoint name, e.g. "phbkgetlistbygroup.aspx", its query parameters) -> the body
#: to answer instead of the gateway's, or None to forward the request
Hiccup = Callable[[str, dict[str, str]], str | None]


def reply(
    handler: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str = "text/plain"
) -> None:
    """Answer the handler's request with ``data`` (a proxy passing on what it got)."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class HiccupProxy:
    """Started on construction on a loopback port (``url``); ``stop`` it when done."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.hiccup: Hiccup | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                endpoint = parts.path.rsplit("/", 1)[-1].lower()
                params = dict(parse_qsl(parts.query))
                body = proxy.hiccup(endpoint, params) if proxy.hiccup else None
                if body is not None:
                    data, status, ctype = body.encode(), 200, "text/plain; charset=utf-8"
                else:
                    with urllib.request.urlopen(proxy.upstream + self.path, timeout=10) as up:
                        data, status = up.read(), up.status
                        ctype = up.headers.get("Content-Type", "text/plain")
                reply(self, status, data, ctype)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
