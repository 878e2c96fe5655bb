"""The HTTP side: a threaded HTTP/1.1 server with limits, latency and fault injection."""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from smsync.sandbox import protocol as p
from smsync.sandbox.api import Api, parse_params, route
from smsync.sandbox.config import FAULT_KINDS, SandboxConfig
from smsync.sandbox.dlr import DlrWorker
from smsync.sandbox.store import Store

log = logging.getLogger(__name__)
#: One line per request (``sandbox serve`` prints it unless --quiet): method, path, status, time.
access_log = logging.getLogger("smsync.sandbox.access")
# Not smsync's own log: `-v` on a sandbox:// project must not mix the gateway's side into it.
access_log.propagate = False


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections must not delay stop(); they are shut down explicitly.
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], sandbox: SandboxServer, *, proxy: bool = False
    ) -> None:
        self.sandbox = sandbox
        self.proxy = proxy  # the second listener of `proxy_port`: only ~proxy/*.php
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        # Slow clients (slowloris) are cut off by a per-connection socket timeout.
        handler = type("_Handler", (_Handler,), {"timeout": sandbox.config.socket_timeout_s})
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A misbehaving client (reset, timeout, garbage) must neither kill the server nor
        # spam stderr with tracebacks.
        log.debug("request from %s failed", client_address, exc_info=True)
        self.sandbox.count("errors")


_PROXY_NAMES = frozenset({"proxysend", "proxysendwa"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A request line too broken to name a version still gets a status line (not HTTP/0.9).
    default_request_version = "HTTP/1.0"
    error_message_format = "%(code)d %(message)s\n"
    error_content_type = "text/plain; charset=utf-8"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes; without NODELAY, Nagle + delayed ACK add ~40 ms
        # to every keep-alive response.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server quotes the whole bad request line (up to 64 KiB) in the status line and
        # body: answer with a bounded excerpt instead of echoing a huge request back.
        super().send_error(code, message[:200] if message else message, explain)

    def log_message(self, format: str, *args: Any) -> None:
        # Never log request lines: Send.aspx carries the password in the query string.
        pass

    def parse_request(self) -> bool:
        self._started = time.monotonic()
        return super().parse_request()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The path alone: the query holds the auth (and, at Send.aspx, the password).
        path = urllib.parse.urlsplit(getattr(self, "path", "")).path[:200]
        took = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
        access_log.info("%s %s %s %.0f ms", self.command, path, code, took)

    def do_GET(self) -> None:
        self._serve(post=False)

    def do_POST(self) -> None:
        self._serve(post=True)

    def _send(self, status: int, body: str, *, close: bool = False) -> None:
        cfg = self.server.sandbox.config
        if cfg.separator == "bytes":
            data = body.encode("latin-1", errors="replace")
            ctype = "text/plain; charset=iso-8859-1"
        else:
            data = body.encode("utf-8")
            ctype = "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> str | None:
        """The form body, or None after answering an error (length missing/too big)."""
        cfg = self.server.sandbox.config
        if self.headers.get("Transfer-Encoding"):
            self._send(411, "Length Required", close=True)
            return None
        raw_length = self.headers.get("Content-Length", "0").strip() or "0"
        try:
            length = int(raw_length)
        except ValueError:
            self._send(400, "Bad Request", close=True)
            return None
        if length < 0:
            self._send(400, "Bad Request", close=True)
            return None
        if length > cfg.max_body_bytes:
            self._send(413, "Payload Too Large", close=True)
            return None
        return self.rfile.read(length).decode("utf-8", errors="replace")

    def _serve(self, *, post: bool) -> None:
        sandbox = self.server.sandbox
        if len(self.requestline) > sandbox.config.max_url_bytes:
            self._send(414, "URI Too Long", close=True)
            return
        # A GET may carry a body too: read it (bounded) so it is not taken for the next
        # request on this keep-alive connection, but only POST bodies hold parameters.
        body = self._read_body()
        if body is None:
            return
        if not post:
            body = ""
        split = urllib.parse.urlsplit(self.path)
        cfg = sandbox.config
        endpoint = route(split.path, cfg.paths, cfg.credits_path)
        if (
            cfg.proxy_port is not None
            and endpoint is not None
            and ((endpoint in _PROXY_NAMES) != self.server.proxy)
        ):
            endpoint = None  # like a host whose ~proxy/*.php live on another port
        if endpoint is None:
            sandbox.count("not_found")
            self._send(404, "Not Found")
            return
        sandbox.count("requests")
        fault = sandbox.draw_fault(endpoint)
        sandbox.sleep_latency()
        if fault == "1703":
            self._send(200, p.INTERNAL)
            return
        if fault == "403":
            self._send(403, "Forbidden")  # a refusal in front of the API: nothing applied
            return
        if fault == "drop":
            self.close_connection = True  # the server closes the socket; nothing applied
            return
        params = parse_params(split.query, body)
        try:
            answer = sandbox.api.dispatch(endpoint, params)
        except Exception:
            log.exception("sandbox endpoint %s failed", endpoint)
            sandbox.count("errors")
            answer = p.INTERNAL
        if fault == "drop-after":
            self.close_connection = True  # applied, but the client never hears about it
            return
        self._send(200, answer)


class SandboxServer:
    """A local web2sms gateway. ``start()`` serves in a background thread."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.store = Store(self.config.db_path, default_dlr_url=self.config.dlr_url)
        self.dlr = DlrWorker(
            self.store,
            self.config.undeliverable_prefixes,
            self.config.dlr_timeout_s,
            self.config.final_states,
        )
        self.api = Api(self.store, self.config, self.dlr)
        self._rng = random.Random(self.config.seed)
        self._rng_lock = threading.Lock()
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._httpd: _HttpServer | None = None
        self._proxyd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        self._httpd = _HttpServer((self.config.host, self.config.port), self)
        if self.config.proxy_port is not None:
            self._proxyd = _HttpServer((self.config.host, self.config.proxy_port), self, proxy=True)
            threading.Thread(
                target=self._proxyd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="sandbox-proxy",
                daemon=True,
            ).start()
        self.dlr.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.close_connections()
        if self._proxyd is not None:
            self._proxyd.shutdown()
            self._proxyd.server_close()
            self._proxyd.close_connections()
        self.dlr.stop()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("sandbox server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Endpoint base, e.g. ``http://127.0.0.1:8080`` (the API lives under /web2sms/api/)."""
        host = self.config.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def proxy_url(self) -> str:
        """Base URL of the ~proxy/*.php forms: the second port when ``proxy_port`` is set."""
        if self._proxyd is None:
            return self.url
        return self.url.rsplit(":", 1)[0] + f":{self._proxyd.server_address[1]}"

    # --- chaos & stats --------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self._stats[key] += n

    def draw_fault(self, endpoint: str) -> str | None:
        cfg = self.config
        if cfg.fault_rate <= 0 or (cfg.fault_paths and endpoint not in cfg.fault_paths):
            return None
        with self._rng_lock:
            if self._rng.random() >= cfg.fault_rate:
                return None
            kind = self._rng.choice(cfg.fault_kinds)
        self.count("faults")
        self.count(f"fault_{kind}")
        return kind

    def sleep_latency(self) -> None:
        cfg = self.config
        delay = float(cfg.latency_ms)
        if cfg.latency_jitter_ms:
            with self._rng_lock:
                delay += self._rng.uniform(0, cfg.latency_jitter_ms)
        if delay > 0:
            time.sleep(delay / 1000)

    def stats(self) -> dict[str, int]:
        """Counters: requests (API requests routed), faults, fault_<kind>, not_found, errors,
        dlr_callbacks_ok, dlr_callbacks_failed."""
        with self._stats_lock:
            out = {"requests": 0, "faults": 0, "not_found": 0, "errors": 0}
            for kind in FAULT_KINDS:
                out[f"fault_{kind}"] = 0
            out.update(self._stats)
        out["dlr_callbacks_ok"] = self.dlr.callbacks_ok
        out["dlr_callbacks_failed"] = self.dlr.callbacks_failed
        return out
