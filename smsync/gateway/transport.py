"""One HTTP GET to the gateway, on the standard library's http.client: kept-alive connections,
proxy and CA settings from the environment, the deadline and size cap of
:mod:`smsync.gateway.bounded`, and what a failure means for the request (sent or not, timed out
or not), in :class:`ExchangeFailed`.

Why not requests or urllib3: every page of a plan is one GET, and a 100k-contact plan makes
1,100 of them under one interpreter lock. requests spent about 1.7 ms of CPU on each, urllib3
about 1 ms (URL parsing, pool keys, retry objects, header dicts), this module under 0.5 ms; and
urllib3's import alone costs 70 ms of a command's start. What they did that matters is done
here, once per transport, with the same rules:

- proxies from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` (any case, lower case winning),
  skipped for hosts ``NO_PROXY`` names (names and their subdomains, ``host:port``, IP networks
  in CIDR form, ``*``); an ``http://`` proxy only (HTTPS goes through it in a CONNECT tunnel);
  the proxy URL's ``user:password@`` becomes Basic proxy authentication;
- certificates checked against ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` (a file or a
  directory) when set, else certifi's bundle, with the host name checked;
- ``gzip`` and ``deflate`` answers accepted and decoded, the size cap applying to the decoded
  bytes; no redirect followed, nothing retried here (the client decides what may be repeated);
  ``~/.netrc`` is not read.

What was sent is exact here: a failure while connecting (TCP, the proxy's CONNECT, the TLS
handshake) is before any byte of the request, so ``never_sent``; a failure after the first
byte was written may have reached the gateway. A kept-alive connection the server closed while
idle is noticed before it is used (a readable idle socket is closed, not reused).

Secrets: nothing here quotes a URL in an exception. The debug line of each request (the format
urllib3 used: ``http://host:port "GET /path?query HTTP/1.1" 200 123``) masks ``auth``,
``password`` and the new-password parameters.
"""

from __future__ import annotations

import base64
import enum
import http.client
import ipaddress
import logging
import os
import re
import select
import socket
import ssl
import threading
import urllib.request
import weakref
import zlib
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode, urlsplit

from smsync.gateway import bounded
from smsync.gateway.auth import SECRET_PARAMS

__all__ = ["Answer", "ExchangeFailed", "Failure", "Transport", "redact"]

log = logging.getLogger(__name__)

HEADERS = {
    "User-Agent": "smsync",
    "Accept": "text/plain, */*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
}
# What a URL path may hold as is (RFC 3986 pchar and "/"); anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_SECRET_PARAM = re.compile(rf"(?i)\b({'|'.join(sorted(SECRET_PARAMS))})=[^&\s\"']*")


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter masked (``auth=***``)."""
    return _SECRET_PARAM.sub(r"\1=***", text)


class Failure(enum.Enum):
    """Why an exchange got no complete answer."""

    DEADLINE = "deadline"  # the whole exchange outlasted its deadline
    CONNECT_TIMEOUT = "connect timeout"
    READ_TIMEOUT = "read timeout"
    NOT_CONNECTED = "could not connect"  # refused, DNS, proxy refused, certificate refused
    CONNECTION_LOST = "connection lost"
    UNDECODABLE = "undecodable body"


class ExchangeFailed(Exception):
    """No complete answer. ``never_sent``: no byte of the request can have reached the server
    (so even a write may be tried again); ``reason``: an OS error text or an exception type
    name, never a URL."""

    def __init__(self, failure: Failure, never_sent: bool, reason: str) -> None:
        super().__init__(failure.value, reason)
        self.failure = failure
        self.never_sent = never_sent
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes


@dataclass(frozen=True)
class _Route:
    """How to reach one origin: directly, through an HTTP proxy (plain HTTP: the absolute URL
    is sent to the proxy), or through a CONNECT tunnel (HTTPS)."""

    scheme: str
    host: str
    port: int
    proxy: tuple[str, int] | None
    proxy_auth: str | None = field(repr=False)  # Basic user:password of the proxy


class Transport:
    """GETs over kept-alive connections (thread-safe; up to ``pool_size`` idle connections are
    kept per origin)."""

    def __init__(self, *, pool_size: int, connect_timeout: float, read_timeout: float) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._proxies = urllib.request.getproxies_environment()
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._routes: dict[tuple[str, str, int], _Route] = {}
        self._lock = threading.Lock()
        # A transport dropped without close() still closes its idle sockets (as urllib3's
        # pools do): callers that forget are not left holding file descriptors.
        weakref.finalize(self, _close_idle, self._idle, self._lock)

    def close(self) -> None:
        _close_idle(self._idle, self._lock)

    def get(self, url: str, params: dict[str, str], *, deadline: float, cap: int) -> Answer:
        """GET ``url?params``: the status and whole (decoded) body, read by ``deadline`` (a
        monotonic time); :class:`bounded.TooLarge` past ``cap`` bytes; :class:`ExchangeFailed`
        when no complete answer came."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "", parts.port or _default_port(parts.scheme))
        route = self._route(origin)
        target = quote(parts.path or "/", safe=_PATH_SAFE)
        if params:
            target += "?" + urlencode(params)
        conn: http.client.HTTPConnection | None = None
        reusable = False
        try:
            with bounded.deadline(deadline):  # connecting too: a proxy's CONNECT answer
                conn = self._take(route)
                self._send(conn, route, target)
                resp = conn.getresponse()
                try:
                    body = _read_body(resp, cap)
                finally:
                    resp.close()
            reusable = not resp.will_close
            log.debug(
                '%s://%s:%s "GET %s HTTP/1.1" %s %s',
                route.scheme,
                route.host,
                route.port,
                redact(target),
                resp.status,
                len(body),
            )
            return Answer(resp.status, resp.reason or "", body)
        except ExchangeFailed:
            raise
        except bounded.DeadlineHit:
            raise ExchangeFailed(Failure.DEADLINE, False, "deadline reached") from None
        except TimeoutError:
            raise ExchangeFailed(Failure.READ_TIMEOUT, False, "timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ExchangeFailed(Failure.CONNECTION_LOST, False, _reason(exc)) from None
        finally:
            if conn is not None:
                if reusable:
                    self._give_back(route, conn)
                else:
                    conn.close()

    # ---- connections -------------------------------------------------------------------------

    def _route(self, origin: tuple[str, str, int]) -> _Route:
        route = self._routes.get(origin)
        if route is None:
            route = self._routes[origin] = _route_for(origin, self._proxies)
        return route

    def _take(self, route: _Route) -> http.client.HTTPConnection:
        """An idle connection still open, or a new one, connected (never_sent on failure)."""
        key = (route.scheme, route.host, route.port)
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._connect(route)
            if conn.sock is not None and not _dropped(conn.sock):
                return conn
            conn.close()  # closed (or answered unasked) by the server while idle

    def _give_back(self, route: _Route, conn: http.client.HTTPConnection) -> None:
        key = (route.scheme, route.host, route.port)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._pool_size:
                idle.append(conn)
                return
        conn.close()

    def _connect(self, route: _Route) -> http.client.HTTPConnection:
        host, port = route.proxy or (route.host, route.port)
        conn: http.client.HTTPConnection
        try:
            if route.scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self._connect_timeout, context=self._tls_context()
                )
                if route.proxy is not None:
                    auth = route.proxy_auth
                    headers = {"Proxy-Authorization": auth} if auth else None
                    conn.set_tunnel(route.host, route.port, headers=headers)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self._connect_timeout)
        except http.client.InvalidURL:
            # a host name with spaces or control characters: nothing can be sent to it
            raise ExchangeFailed(Failure.NOT_CONNECTED, True, "invalid host name") from None
        except OSError as exc:  # the CA bundle could not be read
            bundle = "REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE" if _bundle_from_env() else "certifi"
            raise ExchangeFailed(
                Failure.NOT_CONNECTED,
                True,
                f"cannot load the CA certificates of {bundle} ({_reason(exc)})",
            ) from None
        conn.response_class = bounded.BoundedResponse
        try:
            # TCP, the proxy's CONNECT and the TLS handshake: no byte of the request yet
            conn.connect()
        except TimeoutError:
            conn.close()
            raise ExchangeFailed(Failure.CONNECT_TIMEOUT, True, "timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ExchangeFailed(Failure.NOT_CONNECTED, True, _reason(exc)) from None
        except UnicodeError:  # an invalid IDN host name: nothing was sent
            conn.close()
            raise ExchangeFailed(Failure.NOT_CONNECTED, True, "invalid host name") from None
        assert conn.sock is not None
        conn.sock.settimeout(self._read_timeout)
        return conn

    def _send(self, conn: http.client.HTTPConnection, route: _Route, target: str) -> None:
        try:
            self._put_request(conn, route, target)
        except UnicodeError:
            # a host name that cannot be written (an invalid IDN label): putrequest failed
            # before endheaders wrote a byte; its exception quotes the request line (secrets)
            raise ExchangeFailed(Failure.NOT_CONNECTED, True, "invalid host name") from None
        conn.endheaders()

    def _put_request(self, conn: http.client.HTTPConnection, route: _Route, target: str) -> None:
        if route.proxy is not None and route.scheme == "http":
            host = f"[{route.host}]" if ":" in route.host else route.host.encode("idna").decode()
            default = route.port == _default_port(route.scheme)
            netloc = host if default else f"{host}:{route.port}"
            conn.putrequest("GET", f"http://{netloc}{target}", skip_accept_encoding=True)
            if route.proxy_auth:
                conn.putheader("Proxy-Authorization", route.proxy_auth)
        else:
            conn.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in HEADERS.items():
            conn.putheader(name, value)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            bundle = _bundle_from_env()
            if not bundle:
                import certifi  # the bundle requests used: the same trust as before

                bundle = certifi.where()
            if os.path.isdir(bundle):
                self._tls = ssl.create_default_context(capath=bundle)
            else:
                self._tls = ssl.create_default_context(cafile=bundle)
        return self._tls


def _close_idle(
    idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]], lock: threading.Lock
) -> None:
    with lock:
        conns = [conn for kept in idle.values() for conn in kept]
        idle.clear()
    for conn in conns:
        conn.close()


# ---- bodies ------------------------------------------------------------------------------------


def _read_body(resp: http.client.HTTPResponse, cap: int) -> bytes:
    """The whole body, decoded; TooLarge once the decoded bytes exceed ``cap``."""
    announced = (resp.getheader("Content-Length") or "").strip()
    if announced.isascii() and announced.isdigit() and int(announced) > cap:
        raise bounded.TooLarge(cap, int(announced))
    encoding = (resp.getheader("Content-Encoding") or "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        # asked for none of these (br, zstd, "gzip, gzip"...): its bytes are not the answer
        raise ExchangeFailed(Failure.UNDECODABLE, False, f"unsupported encoding {encoding[:20]!r}")
    decoder = _Decoder(encoding) if encoding not in ("", "identity") else None
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = resp.read(bounded.CHUNK)
        if decoder is not None:
            chunk = decoder.feed(chunk, cap - size + 1) if chunk else decoder.flush()
        size += len(chunk)
        if size > cap:
            raise bounded.TooLarge(cap, None)
        if chunk:
            parts.append(chunk)
        elif decoder is None or decoder.done:
            if resp.length:
                # The connection ended before the announced length: http.client's read(n)
                # returns b"" then, not an error. A cut answer is no answer ("1701,12" of
                # "1701,1234567890" would be a wrong msgid, a cut page a plan adding rows).
                raise http.client.IncompleteRead(b"", resp.length)
            return b"".join(parts)


class _Decoder:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), never inflating more
    than asked at once: a small bomb stops at the cap, not in memory."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding != "deflate"
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._first = True
        self._fed = False
        self._pending = b""
        self.done = False

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            if self._first and not self._gzip:
                self._first = False
                try:
                    return self._inflate(data, limit)
                except zlib.error:  # raw deflate, without the zlib header
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            self._first = False
            return self._inflate(data, limit)
        except zlib.error:
            raise _undecodable() from None

    def _inflate(self, data: bytes, limit: int) -> bytes:
        if data:
            self._fed = True
        out = self._z.decompress(self._pending + data, max(limit, 1))
        self._pending = self._z.unconsumed_tail
        if self._z.eof and self._z.unused_data:
            # bytes after the end of the stream: zlib would keep (and copy) them all, past
            # any cap; no server that means what it sends does that
            raise zlib.error("data after the end of the compressed stream")
        return out

    def flush(self) -> bytes:
        """At the end of the body: what is still held back (nothing more when done)."""
        if self._pending:
            return self.feed(b"", bounded.CHUNK)
        self.done = True
        if self._fed and not self._z.eof:
            # zlib's flush() accepts a stream cut short: a truncated page would read as a
            # shorter, complete one
            raise _undecodable()
        try:
            return self._z.flush()
        except zlib.error:
            raise _undecodable() from None


def _undecodable() -> ExchangeFailed:
    return ExchangeFailed(Failure.UNDECODABLE, False, "undecodable compressed body")


# ---- settings from the environment -----------------------------------------------------------


def _bundle_from_env() -> str | None:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _route_for(origin: tuple[str, str, int], proxies: dict[str, str]) -> _Route:
    scheme, host, port = origin
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or _bypassed(host, port, proxies.get("no", "")):
        return _Route(scheme, host, port, None, None)
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    try:
        parts = urlsplit(proxy)
        proxy_host, proxy_port = parts.hostname, parts.port or 80
    except ValueError:
        # never quoted: the URL holds the proxy's password (an unescaped # / ? in it lands here)
        raise ExchangeFailed(
            Failure.NOT_CONNECTED,
            True,
            f"the environment's {scheme} proxy URL is malformed (percent-encode the "
            "user:password in it)",
        ) from None
    if parts.scheme != "http" or not proxy_host:
        raise ExchangeFailed(
            Failure.NOT_CONNECTED,
            True,
            f"the environment's {scheme} proxy must be an http:// URL (SOCKS and https:// "
            f"proxies are not supported), not {parts.scheme[:10]}://",
        )
    auth = None
    if parts.username:
        user, password = unquote(parts.username), unquote(parts.password or "")
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return _Route(scheme, host, port, (proxy_host, proxy_port), auth)


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts the host: ``*``, the name or a parent domain of it,
    ``host:port``, or an IP network holding it."""
    entries = [e.strip() for e in no_proxy.replace(" ", ",").split(",") if e.strip()]
    if "*" in entries:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    name = host.lower()
    with_port = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
    for entry in entries:
        if entry.startswith("[") and "]" in entry:  # [::1] or [::1]:8080
            inside, _, rest = entry[1:].partition("]")
            entry = f"[{inside}]{rest}" if rest else inside
            if rest and with_port == entry.lower():
                return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        suffix = entry.lstrip(".").lower()
        if name == suffix or name.endswith("." + suffix) or with_port == suffix:
            return True
    return False


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle kept-alive socket was closed by the server (readable: EOF, or bytes no
    request asked for)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True  # bytes OpenSSL decrypted already, which poll() cannot see
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _reason(exc: BaseException) -> str:
    """The OS error text ("Connection refused") or the exception's type: never a URL."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate verify failed"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, OSError) and str(exc).startswith("Tunnel connection failed"):
        return str(exc)[:80]  # the proxy's status line for the CONNECT (no URL in it)
    return type(exc).__name__
