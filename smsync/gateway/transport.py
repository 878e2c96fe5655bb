"""One HTTP GET to the gateway, on urllib3 directly: connection pools, proxy and CA settings from
the environment, the deadline and size cap of :mod:`smsync.gateway.bounded`, and what a failure
means for the request (sent or not, timed out or not), in :class:`ExchangeFailed`.

Why not requests: every page of a plan is one GET, and requests spends about a millisecond of
CPU per request on machinery this client does not use (hooks, cookies, redirects, settings
merged per request). A 100k-contact plan makes 1,100 of them under one interpreter lock; the
difference was a third of its CPU. What requests did that matters is done here, once per
client, with the same rules:

- proxies from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` (any case), skipped for hosts
  ``NO_PROXY`` names (suffixes, ``host:port``, IP networks in CIDR form, ``*``); a proxy URL's
  ``user:password@`` becomes Basic proxy authentication; ``socks…`` proxies need PySocks;
- certificates checked against ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` (a file or a
  directory) when set, else certifi's bundle;
- ``gzip`` and ``deflate`` answers accepted and decoded (the size cap applies to the decoded
  bytes); ``~/.netrc`` is not read; no redirect is followed and nothing is retried here (the
  client decides what may be repeated).

Secrets: urllib3's exceptions quote URLs, query strings included. Nothing here quotes one:
:class:`ExchangeFailed` carries the kind of failure and an OS error text, never a URL.
"""

from __future__ import annotations

import enum
import http.client
import ipaddress
import os
import ssl
import traceback
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import urllib3
import urllib3.exceptions
from urllib3.util import make_headers

from smsync.gateway import bounded

__all__ = ["Answer", "ExchangeFailed", "Failure", "Transport"]

HEADERS = {
    "User-Agent": "smsync",
    "Accept": "text/plain, */*",
    "Accept-Encoding": "gzip, deflate",
}


class Failure(enum.Enum):
    """Why an exchange got no complete answer."""

    DEADLINE = "deadline"  # the whole exchange outlasted its deadline
    CONNECT_TIMEOUT = "connect timeout"
    READ_TIMEOUT = "read timeout"
    NOT_CONNECTED = "could not connect"  # refused, DNS, bad URL, certificate refused
    CONNECTION_LOST = "connection lost"
    OTHER = "other"


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


class Transport:
    """Pooled GETs to one endpoint's host (thread-safe; ``pool_size`` connections kept)."""

    def __init__(
        self,
        endpoint: str,
        *,
        pool_size: int,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        common: dict[str, Any] = {
            "num_pools": 2,
            "maxsize": pool_size,
            "headers": HEADERS,
            **_certificates(),
        }
        proxy = _proxy_for(endpoint)
        manager: urllib3.PoolManager
        if proxy is None:
            manager = urllib3.PoolManager(**common)
        elif proxy.lower().startswith("socks"):
            manager = _socks_manager(proxy, common)
        else:
            manager = urllib3.ProxyManager(proxy, proxy_headers=_proxy_auth(proxy), **common)
        # The pools whose responses honour bounded.deadline (a SOCKS manager keeps its own:
        # those keep only the per-read timeout).
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = bounded.POOLS
        self._manager = manager

    def close(self) -> None:
        self._manager.clear()

    def get(self, url: str, params: dict[str, str], *, deadline: float, cap: int) -> Answer:
        """GET ``url?params``: the status and whole body, read by ``deadline`` (a monotonic
        time); :class:`bounded.TooLarge` past ``cap`` bytes; :class:`ExchangeFailed` when no
        complete answer came."""
        full = f"{url}?{urlencode(params)}" if params else url
        try:
            with bounded.deadline(deadline):
                resp = self._manager.urlopen(
                    "GET",
                    full,
                    redirect=False,
                    retries=False,
                    timeout=self._timeout,
                    preload_content=False,
                )
                complete = False
                try:
                    body = bounded.read_capped(resp, cap)
                    complete = True
                    return Answer(resp.status, resp.reason or "", body)
                finally:
                    if not complete:
                        resp.close()  # an unread rest closes the connection, never reused
                    resp.release_conn()
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise _failed(exc) from None


# ---- what a failure means ------------------------------------------------------------------


def _failed(exc: BaseException) -> ExchangeFailed:
    causes = _causes(exc)
    reason = _os_reason(causes)
    if any(isinstance(e, bounded.DeadlineHit) for e in causes):
        # hit while an answer was read: the request had been sent
        return ExchangeFailed(Failure.DEADLINE, False, reason)
    if isinstance(exc, urllib3.exceptions.SSLError) or any(
        isinstance(e, ssl.SSLError) for e in causes
    ):
        # A TLS failure in the handshake (certificate refused) came before any request byte;
        # one while the answer was read came after the request was written.
        if _in_handshake(causes):
            return ExchangeFailed(Failure.NOT_CONNECTED, True, reason)
        return ExchangeFailed(Failure.CONNECTION_LOST, False, reason)
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return ExchangeFailed(Failure.NOT_CONNECTED, True, type(exc).__name__)
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in causes):
        return ExchangeFailed(Failure.NOT_CONNECTED, True, reason)  # refused, DNS
    if any(isinstance(e, urllib3.exceptions.ConnectTimeoutError) for e in causes):
        return ExchangeFailed(Failure.CONNECT_TIMEOUT, True, reason)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return ExchangeFailed(Failure.READ_TIMEOUT, False, reason)
    if isinstance(
        exc,
        urllib3.exceptions.ProtocolError
        | urllib3.exceptions.ProxyError
        | http.client.HTTPException
        | OSError,
    ):
        return ExchangeFailed(Failure.CONNECTION_LOST, False, reason)
    return ExchangeFailed(Failure.OTHER, False, type(exc).__name__)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps (args, urllib3's ``reason``, cause and context)."""
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        current = stack.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        stack.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return seen


def _in_handshake(causes: list[BaseException]) -> bool:
    for e in causes:
        if isinstance(e, ssl.SSLCertVerificationError):
            return True
        if isinstance(e, ssl.SSLError) and any(
            frame.name == "do_handshake" for frame in traceback.extract_tb(e.__traceback__)
        ):
            return True
    return False


def _os_reason(causes: list[BaseException]) -> str:
    """The innermost OS error text ("Connection refused") or exception type: never a URL."""
    for e in reversed(causes):
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
    for e in reversed(causes):
        if not isinstance(e, urllib3.exceptions.HTTPError):
            return type(e).__name__
    return type(causes[0]).__name__


# ---- settings from the environment -----------------------------------------------------------


def _certificates() -> dict[str, str]:
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        import certifi  # the bundle requests used: the same trust, with or without requests

        return {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
    if os.path.isdir(bundle):
        return {"cert_reqs": "CERT_REQUIRED", "ca_cert_dir": bundle}
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": bundle}


def _proxy_for(endpoint: str) -> str | None:
    """The proxy for the endpoint, as urllib reads ``*_proxy`` (lower case winning)."""
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(endpoint)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts the host: ``*``, a name or suffix of it, ``host:port``, or
    an IP network holding it."""
    entries = [e.strip() for e in no_proxy.replace(" ", ",").split(",") if e.strip()]
    if "*" in entries:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    with_port = f"{host}:{port}" if port else host
    for entry in entries:
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        suffix = entry.lstrip(".").lower()
        name = host.lower()
        if name == suffix or name.endswith("." + suffix) or with_port.lower() == suffix:
            return True
    return False


def _proxy_auth(proxy: str) -> dict[str, str] | None:
    parts = urlsplit(proxy)
    if not parts.username:
        return None
    user, password = unquote(parts.username), unquote(parts.password or "")
    return make_headers(proxy_basic_auth=f"{user}:{password}")


def _socks_manager(proxy: str, common: dict[str, Any]) -> urllib3.PoolManager:
    try:
        from urllib3.contrib.socks import SOCKSProxyManager
    except ImportError:
        raise ValueError(
            "the environment names a SOCKS proxy; it needs PySocks (pip install pysocks)"
        ) from None
    parts = urlsplit(proxy)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SOCKSProxyManager(proxy, username=user, password=password, **common)
