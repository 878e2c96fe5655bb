"""A small HTTP server receiving the gateway's delivery reports into the ledger (of the
project's state backend: where apply recorded the sends).

The gateway calls the account's delivery-report URL with ``GET …?msgid=%id&status=%s``
(reference V.2). Where the provider lets the customer write the whole URL, a shared secret
proves a report comes from the gateway: the first path segment
(``http://HOST:PORT/<token>/dlr?msgid=%id&status=%s``) or a ``token`` query parameter
(``http://HOST:PORT/dlr.php?msgid=%id&status=%s&token=<token>``), compared in constant time,
so nobody who merely finds the port can forge delivery states.

Some providers let the customer set only the host and port, with the reference's path fixed
(``/dlr.php?msgid=%id&status=%s``): no secret can travel. Then the receiver runs without a
token and protects itself two other ways: a source-address allowlist (``allow``: the
provider's addresses), and it accepts only a msgid smsync itself sent that has no final state
yet, so a forger must guess a live msgid, and can at worst give one message a wrong final
state, never touch a delivered one or create a row. That is weaker than a secret (anyone on an
allowed address who learns a msgid can report it), which is why it must be asked for; and a
report that arrives before smsync recorded its send's msgid is refused, not held (``smsync
status`` asks Report.aspx for it later).

Answers: 200 (recorded; or held, when it arrives while a send is in flight, before the send's
answer told smsync its msgid), 400 (bad or missing msgid/status), 403 (missing or wrong token,
or a source address not allowed), 404 (msgid not in the ledger; without a token, also a msgid
whose final state is known), 405 (other methods), 413 (request body too large), 414 (URL too
long). The token never appears in logs or printed URLs.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import ACCEPTED_STATES, FINAL_STATES, Ledger
from smsync.gateway.dlr import parse_delivery_report
from smsync.gateway.models import DeliveryStatus
from smsync.state import Backend
from smsync.textsafe import escape_controls

MAX_URL_CHARS = 2048
MAX_BODY_BYTES = 2048
SOCKET_TIMEOUT_S = 10.0
MIN_TOKEN_CHARS = 16
TOKEN_ENV = "SMSYNC_DLR_TOKEN"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~-]+$")
#: The reference's own delivery-report path, for providers that fix it.
REFERENCE_PATH = "/dlr.php"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow(cidr: str) -> Network:
    """``--allow`` value: an address or CIDR block; BroadcastError naming it otherwise."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise BroadcastError(
            f"--allow {cidr[:60]!r} is not an IP address or CIDR block (e.g. 203.0.113.0/24)"
        ) from None


def allowed(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return any(ip in net or (mapped is not None and mapped in net) for net in networks)


def check_token(token: str) -> str:
    """The token if usable in a URL path and long enough; BroadcastError otherwise."""
    if len(token) < MIN_TOKEN_CHARS or not _TOKEN_RE.match(token):
        raise BroadcastError(
            f"the delivery-report token must be at least {MIN_TOKEN_CHARS} characters of "
            "A-Z a-z 0-9 . _ ~ - (e.g. from: python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')"
        )
    return token


class DlrServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        ledger: Ledger,
        token: str | None,
        log: Callable[[str], None] | None = None,
        allow: Iterable[Network] = (),
    ) -> None:
        """``token`` None: no secret (see the module's docstring); ``allow``: the source
        networks answered (empty: any)."""
        self.ledger = ledger
        self.token = check_token(token).encode("ascii") if token is not None else None
        self.allow = tuple(allow)
        self.log = log
        self.received = 0
        self._count_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def url_template(self) -> str:
        """The URL to configure at the gateway, with ``<token>`` standing for the secret."""
        host, port = self.server_address[:2]
        shown = f"[{host}]" if isinstance(host, str) and ":" in host else host
        if self.token is None:
            return f"http://{shown!s}:{port}{REFERENCE_PATH}?msgid=%id&status=%s"
        return f"http://{shown!s}:{port}/<token>/dlr?msgid=%id&status=%s"

    def receive_waiting(self, report: DeliveryStatus) -> bool:
        """Without a secret: record ``report`` only for a message smsync sent that still
        waits for its final state (no report held for a msgid not known yet, no final state
        overwritten)."""
        waiting = any(
            row.state in ACCEPTED_STATES and row.state not in FINAL_STATES
            for row in self.ledger.by_msgid(report.msgid)
        )
        return waiting and self.receive(report)

    def count(self) -> None:
        with self._count_lock:
            self.received += 1

    def receive(self, report: DeliveryStatus) -> bool:
        """Record ``report`` in the ledger; False when its msgid is unknown there."""
        store = self.ledger.store
        if not store.in_place:
            # A backend other than the local file is held as a copy read at open, while
            # applies record their sends in the backend itself: read it again, so that a
            # report finds the send it belongs to (and never rewrites a row from an old copy).
            with store.lock:
                store.load(self.ledger.backend.read())
        return self.ledger.receive_delivery_report(report.msgid, report.state)


class _Handler(BaseHTTPRequestHandler):
    server: DlrServer
    server_version = "smsync-dlr"
    sys_version = ""
    # Slow or idle clients (slowloris) are disconnected instead of holding a thread forever.
    timeout = SOCKET_TIMEOUT_S
    # the report this request carried, once read (for the log line)
    _report: DeliveryStatus | None = None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server quotes the whole bad request line (token included) in its answer: keep
        # the answer short and the token out of it.
        super().send_error(code, message and message.split("(", 1)[0].strip()[:80], explain)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the default would print the request line, token included

    def _answer(self, status: int, text: str) -> None:
        body = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if self.server.log is not None:
            self.server.log(self._log_line(status, text))
        self._report = None  # one handler serves every request of a kept-alive connection

    def _log_line(self, status: int, text: str) -> str:
        """``TIME SOURCE METHOD PATH msgid=… status=… -> CODE answer``: enough to tell from
        the log alone which message's report came when, from where, and whether it counted.
        The token is masked; what the request carried is escaped (it is anyone's text)."""
        path = urlsplit(self.path).path
        if self.server.token is None:
            shown = path
        else:
            shown = "/<token>" + path[path.find("/", 1) :] if path.count("/") > 1 else "/…"
        when = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        report = ""
        if self._report is not None:
            report = f" msgid={self._report.msgid[:64]} status={self._report.state.value}"
        line = f"{when} {self.client_address[0]} {self.command} {shown[:80]}{report}"
        return escape_controls(f"{line} -> {status} {text}")

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._answer(400, "bad Content-Length")
            return
        if length > MAX_BODY_BYTES or length < 0:
            self.close_connection = True
            self._answer(413, "request body too large")
            return
        self._handle(self.rfile.read(length))

    def _has_token(self, path: str, query: dict[str, str]) -> bool:
        """The secret as the first path segment, or as the ``token`` parameter."""
        assert self.server.token is not None
        segments = path.split("/")
        given = segments[1].encode("utf-8", "replace") if len(segments) > 1 else b""
        in_query = query.get("token", "").encode("utf-8", "replace")
        # both compared, whatever the first answer, so the timing says nothing
        by_path = hmac.compare_digest(given, self.server.token)
        by_query = hmac.compare_digest(in_query, self.server.token)
        return by_path or by_query

    def _reject_method(self) -> None:
        self._answer(405, "use GET")

    do_PUT = do_DELETE = do_PATCH = _reject_method

    def _handle(self, body: bytes) -> None:
        if len(self.path) > MAX_URL_CHARS:
            self._answer(414, "URL too long")
            return
        if self.server.allow and not allowed(self.client_address[0], self.server.allow):
            self._answer(403, "forbidden")
            return
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body:
            query.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if self.server.token is not None and not self._has_token(parts.path, query):
            self._answer(403, "forbidden")
            return
        query.pop("token", None)
        try:
            report = parse_delivery_report(query)
        except ValueError as e:
            self._answer(400, str(e))
            return
        self._report = report
        if self.server.token is None:
            if not self.server.receive_waiting(report):
                self._answer(404, "unknown msgid, or its final state is known")
                return
        elif not self.server.receive(report):
            self._answer(404, "unknown msgid")
            return
        self.server.count()
        self._answer(200, "OK")


def make_dlr_server(
    ledger: Ledger,
    token: str | None,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    allow: Iterable[Network] = (),
) -> DlrServer:
    """A bound (not yet serving) server; call ``serve_forever()`` (in a thread for tests).
    ``token`` None serves without a secret (see the module's docstring)."""
    try:
        return DlrServer((host, port), ledger, token, log, allow)
    except OSError as e:
        raise BroadcastError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def serve_dlr(
    state: Backend | Path | str,
    token: str | None,
    host: str = "127.0.0.1",
    port: int = 8090,
    *,
    on_ready: Callable[[DlrServer], None] | None = None,
    log: Callable[[str], None] | None = None,
    allow: Iterable[Network] = (),
) -> int:
    """Serve until interrupted (Ctrl-C) into the ledger of ``state`` (a backend, or a local
    ledger file); the number of delivery reports recorded."""
    with Ledger(state) as ledger:
        server = make_dlr_server(ledger, token, host, port, log, allow)
        with server:
            if on_ready is not None:
                on_ready(server)
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever(poll_interval=0.2)
            return server.received
