"""The web2sms HTTP client: every endpoint of the reference, over one pooled transport.

Retry policy (the gateway SENDS on GET, so nothing here may repeat a request blindly):
- reads (lists, searches, balance, report) are retried with exponential backoff and jitter on
  timeouts, connection errors, HTTP 5xx and the 1703 "internal server error" body;
- a send is retried the same way only when it carries a trxid (the gateway deduplicates on it);
- any other write (send without trxid, add, edit, delete, change password) is retried only when
  the connection was never made (connection refused, connect timeout, DNS failure): the
  request cannot have reached the gateway. Once it may have, a failure raises
  ``TransportError(maybe_applied=True)`` for the caller to check, not repeat.
An HTTP 4xx whose body is not a 17xx answer is never retried: the request was refused
unprocessed (``HttpRefused``, a definite failure). A 4xx carrying a 17xx body is that answer.
The transport itself never retries (HTTP libraries retry idempotent methods, GET included).

Bounds (a hostile or broken gateway must neither hang a plan nor fill memory): each attempt has
one overall ``deadline`` (connect + send + headers + whole body; default: the connect timeout
plus twice the read timeout, so the timeouts stay the one knob), and a body larger than
``max_body_bytes`` (default 8 MiB; a 100-row page is a few KB) is refused unread. A deadline hit
is a timeout (``DeadlineExceeded``, retried like one); a body over the cap is
``ResponseTooLarge``, never retried. See smsync.gateway.bounded.

Stored values: a phonebook or group value holding a record/field separator or another control
character is refused before any request (``UnsafeValue``; see smsync.gateway.stored).

Secrets: the plain-text forms put the password on the URL. No URL is ever quoted in an error:
transport errors are rebuilt from the kind of failure and the OS error text only, and the
transport's debug line of each request masks the secret parameters (smsync.gateway.transport).
"""

from __future__ import annotations

import enum
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

from smsync.gateway import bounded, wire
from smsync.gateway.auth import SECRET_PARAMS, Login, compute_auth, secret_forms
from smsync.gateway.encoding import encode_for_gateway
from smsync.gateway.errors import (
    DataNotFound,
    DeadlineExceeded,
    HttpRefused,
    ProtocolError,
    ResponseTooLarge,
    TransportError,
)
from smsync.gateway.limits import MAX_TRXID
from smsync.gateway.models import Contact, DeliveryStatus, Group, Page, SendResult
from smsync.gateway.stored import refuse_unsafe
from smsync.gateway.transport import ExchangeFailed, Failure, Transport

log = logging.getLogger(__name__)

T = TypeVar("T")

API = "web2sms/api"
MAX_BACKOFF = 10.0  # seconds; caps the exponential delay between attempts
# The largest answer read. A gateway fact, not a tuning knob: the biggest legitimate answer is
# a list page, and 100 full records are a few KB; 8 MiB leaves room for any page size a user
# may configure while refusing a body that can only be a broken or hostile server.
MAX_BODY_BYTES = 8 * 1024 * 1024

# Paths under the endpoint. The server treats paths case-insensitively; these are the
# reference's spellings.
PATHS: dict[str, str] = {
    "sendSMS": f"{API}/sendSMS.aspx",
    "Send": f"{API}/Send.aspx",
    "proxySend": "~proxy/send.php",
    "SendWA": f"{API}/SendWA.aspx",
    "proxySendWA": "~proxy/sendwa.php",
    "SendSMSGroup": f"{API}/SendSMSGroup.aspx",
    "phbkAdd": f"{API}/phbkAdd.aspx",
    "phbkEdit": f"{API}/phbkEdit.aspx",
    "phbkDelete": f"{API}/phbkDelete.aspx",
    "phbkGetList": f"{API}/phbkGetList.aspx",
    "phbkGetListbyGroup": f"{API}/phbkGetListbyGroup.aspx",
    "phbkGetCompleteData": f"{API}/phbkGetCompleteData.aspx",
    "phbkFindName": f"{API}/phbkFindName.aspx",
    "phbkFindPhNumber": f"{API}/phbkFindPhNumber.aspx",
    "groupAdd": f"{API}/groupAdd.aspx",
    "groupEdit": f"{API}/groupEdit.aspx",
    "groupDelete": f"{API}/groupDelete.aspx",
    "groupGetList": f"{API}/groupGetList.aspx",
    "groupFind": f"{API}/groupFind.aspx",
    "ChangePassword": f"{API}/ChangePassword.aspx",
    "creditsleft": f"{API}/creditsleft.aspx",
    "Report": f"{API}/Report.aspx",
}


# The phonebook lookups' other spelling (one public client of the server uses only these). A
# 404 on one spelling is answered by trying the other; the one that answers is kept.
UNDERSCORE_PATHS: dict[str, str] = {
    "phbkGetList": f"{API}/phbk_getList.aspx",
    "phbkGetListbyGroup": f"{API}/phbk_getListbyGroup.aspx",
    "phbkGetCompleteData": f"{API}/phbk_getCompleteData.aspx",
    "phbkFindName": f"{API}/phbk_findName.aspx",
    "phbkFindPhNumber": f"{API}/phbk_findPhNumber.aspx",
}
# Hosts serve the balance at one of these; the first that answers is kept.
CREDITS_PATHS = (f"{API}/creditsleft.aspx", "web2sms/creditsleft.aspx")
# Parameters whose spelling differs between servers: each is sent under every known name
# (ASP.NET ignores names it does not read). Auth formulas name the first spelling.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "phbkFindPhNumber": ("no", "number"),
    "groupFind": ("group", "name"),
    "SendSMSGroup": ("msg", "message"),
    "ChangePassword": ("newpasw", "newpass", "newpassword"),
}
MD5_CHARSETS = ("utf-8", "cp1252")
# An endpoint written as the reference writes every URL (http://host:8080/web2sms/api).
_API_SUFFIX = re.compile(r"/web2sms(?:/api)?/*$", re.IGNORECASE)


def _spelled(method: str, value: str) -> dict[str, str]:
    return dict.fromkeys(SPELLINGS[method], value)


# A secret this long cannot be part of a gateway answer by chance ("1701,12" holds "1701");
# the auth MD5 always is. Shorter ones are masked in error answers only.
_SURELY_ECHOED = 8


def _secret_forms(params: Mapping[str, str], min_len: int = 1) -> set[str]:
    """Every secret the request carried, in every form a server may echo it in."""
    forms: set[str] = set()
    for name in SECRET_PARAMS:
        value = params.get(name, "")
        if len(value) >= min_len:
            forms |= secret_forms(value)
    return forms


def _echoes_secret(text: str, params: Mapping[str, str]) -> bool:
    return any(form in text for form in _secret_forms(params, _SURELY_ECHOED))


def _scrub(text: str, params: Mapping[str, str]) -> str:
    """``text`` (an answer or a reason phrase) with the request's secrets masked: a page that
    echoes the request line must not put a password or an auth into an error message."""
    for form in sorted(_secret_forms(params), key=len, reverse=True):
        text = text.replace(form, "***")
    return text


class RequestKind(enum.Enum):
    """How a call may be retried (see the module docstring)."""

    READ = "read"
    DEDUP_SEND = "send with trxid"
    WRITE = "write"


class Client:
    """A web2sms account on a gateway. Thread-safe: share one client across a thread pool.

    ``endpoint`` is ``scheme://host[:port][/prefix]``; the API is at ``{endpoint}/web2sms/api``.
    ``retries`` is the number of extra attempts a retryable call gets; ``backoff`` the first
    delay in seconds (doubled per attempt, with jitter). ``deadline`` bounds each attempt as a
    whole (default ``connect_timeout + 2 * read_timeout``); ``max_body_bytes`` caps the size
    of an answer (default 8 MiB). ``allow_plaintext_password`` enables
    the reference's simple forms (Send.aspx, ~proxy/send.php and their WhatsApp twins), which
    put the password itself on the URL, where proxies, server logs and browser histories keep
    it: unsafe, off by default; they go to ``proxy_endpoint`` (default: ``endpoint``), since
    ``~proxy/*.php`` lives on port 80 of some hosts.

    Dialects (docs/protocol.md): an endpoint ending in ``/web2sms/api`` is the same endpoint;
    the lookups' path spelling and the balance path are learned on a 404; spellings that
    differ are all sent. ``gsm7_as_type0`` sends any GSM-7 text as type 0 (by default only
    ASCII); ``md5_charset`` is the encoding of the auth MD5 input (``utf-8`` or ``cp1252``).
    ``on_exchange`` is called with every answered request (an :class:`Exchange`), and
    ``on_result`` with every listing page or list read (``(method, Page or list)``): event hooks
    for transcripts and progress, so callers observe the client without wrapping it.
    """

    def __init__(
        self,
        endpoint: str,
        username: str,
        password: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        pool_size: int = 16,
        deadline: float | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        allow_plaintext_password: bool = False,
        proxy_endpoint: str | None = None,
        gsm7_as_type0: bool = False,
        md5_charset: str = "utf-8",
        on_exchange: Callable[[Exchange], None] | None = None,
        on_result: Callable[[str, object], None] | None = None,
    ) -> None:
        try:
            parts = urlsplit(endpoint)
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            raise ValueError("endpoint must be scheme://host[:port][/prefix]") from None
        if parts.username or parts.password or parts.query or parts.fragment:
            # No credentials in the endpoint: it is shown in reprs and messages. Checked first,
            # so the message below never quotes a URL that holds a password.
            raise ValueError("endpoint must be scheme://host[:port][/prefix] (no user@, ?, #)")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint must be an http(s) URL, not {endpoint[:80]!r}")
        if not (connect_timeout > 0 and read_timeout > 0):
            raise ValueError("connect_timeout and read_timeout must be > 0 seconds")
        if retries < 0 or backoff < 0 or pool_size < 1:
            raise ValueError("retries and backoff must be >= 0, pool_size >= 1")
        if deadline is None:
            # Time to connect, to wait for the answer, and as long again to read it: generous
            # for a few-KB page, and users who tune the timeouts tune the deadline with them.
            deadline = connect_timeout + 2 * read_timeout
        if not deadline > 0:
            raise ValueError("deadline must be > 0 seconds")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        if md5_charset not in MD5_CHARSETS:
            raise ValueError(f"md5_charset must be one of {', '.join(MD5_CHARSETS)}")
        self._endpoint = _API_SUFFIX.sub("", endpoint.rstrip("/"))
        self._proxy_endpoint = (proxy_endpoint or self._endpoint).rstrip("/")
        self._gsm7_as_type0 = gsm7_as_type0
        # An event hook (as httpx's): observe every answered request without wrapping the
        # client (smsync doctor --record).
        self._on_exchange = on_exchange
        self._on_result = on_result
        self._md5_charset = md5_charset
        # Learned spellings: "camel" or "underscore" for the lookups, the balance's path.
        self._lookups: str | None = None
        self._credits_path: str | None = None
        self._creds = Login(username, password)
        self._deadline = float(deadline)
        # The timeouts apply per connect and per read; neither may outlast the deadline.
        self._request_timeout = (min(connect_timeout, deadline), min(read_timeout, deadline))
        self._max_body = max_body_bytes
        self._retries = retries
        self._backoff = backoff
        self._allow_plaintext = allow_plaintext_password
        self._lock = threading.Lock()
        self._requests = 0
        self._random = random.Random()
        self._transport = Transport(
            pool_size=pool_size,
            connect_timeout=self._request_timeout[0],
            read_timeout=self._request_timeout[1],
        )

    # ---- plumbing ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Client(endpoint={self._endpoint!r}, username={self._creds.username!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def username(self) -> str:
        return self._creds.username

    @property
    def md5_charset(self) -> str:
        return self._md5_charset

    @md5_charset.setter
    def md5_charset(self, charset: str) -> None:
        """Learned at first contact (``smsync doctor``), like the path spellings."""
        if charset not in MD5_CHARSETS:
            raise ValueError(f"md5_charset must be one of {', '.join(MD5_CHARSETS)}")
        self._md5_charset = charset

    @property
    def password_is_ascii(self) -> bool:
        """Whether the MD5 charset can matter for this account (``smsync doctor`` asks)."""
        return self._creds.password.isascii()

    @property
    def path_spelling(self) -> str | None:
        """``camel`` or ``underscore``: the lookup spelling that answered (None: not yet)."""
        return self._lookups

    @property
    def credits_path(self) -> str | None:
        """The balance path that answered (None: not asked yet)."""
        return self._credits_path

    @property
    def deadline(self) -> float:
        """Seconds one attempt may take as a whole (connect, send, headers and body)."""
        return self._deadline

    @property
    def request_count(self) -> int:
        """HTTP requests this client has made (every attempt counts)."""
        with self._lock:
            return self._requests

    def _auth(self, method: str, params: Mapping[str, str], creds: Login) -> str:
        return compute_auth(method, creds, params, charset=self._md5_charset)

    def _delay(self, attempt: int) -> float:
        base = min(self._backoff * 2.0 ** (attempt - 1), MAX_BACKOFF)
        return base * (0.5 + self._random.random())  # jitter: 50%..150% of the base delay

    def _get(
        self, method: str, params: Mapping[str, str], kind: RequestKind, path: str = ""
    ) -> str:
        """GET ``method``'s path with ``params``; the decoded body of an HTTP 200 answer.

        A lookup answered 404 is asked again at its other spelling (camelCase or
        ``phbk_``), and the spelling that answers is used from then on."""
        if path or method not in UNDERSCORE_PATHS:
            return self._get_at(method, params, kind, path or PATHS[method])
        spellings = {"camel": PATHS[method], "underscore": UNDERSCORE_PATHS[method]}
        order = ["camel", "underscore"]
        if self._lookups == "underscore":
            order.reverse()
        for i, name in enumerate(order):
            try:
                body = self._get_at(method, params, kind, spellings[name])
            except HttpRefused as exc:
                if exc.status != 404 or i or self._lookups is not None:
                    raise
                continue
            self._lookups = name
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_at(self, method: str, params: Mapping[str, str], kind: RequestKind, path: str) -> str:
        refuse_unsafe(method, params)  # before anything can leave
        base = self._proxy_endpoint if path.startswith("~proxy/") else self._endpoint
        url = f"{base}/{path}"
        attempts = self._retries + 1
        reached_any = timed_out = False
        problem = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self._delay(attempt))
            with self._lock:
                self._requests += 1
            timed_out = False
            try:
                status, reason, raw = self._exchange(method, url, params)
            except ExchangeFailed as exc:
                never_sent = exc.never_sent
                reached_any = reached_any or not never_sent
                timed_out = exc.failure is Failure.DEADLINE
                problem = self._describe(exc)
                log.debug("%s attempt %d: %s", method, attempt + 1, problem)
                if kind is RequestKind.WRITE and not never_sent:
                    error = DeadlineExceeded if timed_out else TransportError
                    raise error(
                        method,
                        f"{problem}; the request may have been applied",
                        maybe_applied=True,
                    ) from None
                continue
            log.debug("%s attempt %d: HTTP %d, %d bytes", method, attempt + 1, status, len(raw))
            body = wire.decode_body(raw)
            if status != 200:
                # an error page may echo the request line: no secret of it reaches a message
                body, reason = _scrub(body, params), _scrub(reason, params)
            elif _echoes_secret(body, params):
                body = _scrub(body, params)  # never a gateway answer: parsing will say so
            refused = 400 <= status < 500
            if status != 200 and not (refused and wire.is_gateway_answer(body)):
                reached_any = True
                if refused:
                    # Not processed, and asking again will not change that: a definite failure
                    # with its reason, not an unknown outcome.
                    raise HttpRefused(method, status, reason, body)
                problem = f"HTTP {status} {reason}".rstrip()
                if status >= 500 and kind is not RequestKind.WRITE:
                    continue
                if 300 <= status < 400:
                    problem += " (a redirect: set the endpoint to the final URL)"
                # A 5xx may come after the server applied the request (and another 2xx did
                # process it). A redirect was not followed, but the request did reach whatever
                # answered it (a front that applied it, then redirected): never "not applied".
                raise TransportError(method, problem, maybe_applied=True)
            if (
                kind is not RequestKind.WRITE
                and wire.leading_code(body) == wire.INTERNAL_ERROR
                and attempt + 1 < attempts
            ):
                problem = f"{wire.INTERNAL_ERROR} internal server error"
                continue
            return body
        raise (DeadlineExceeded if timed_out else TransportError)(
            method,
            f"{problem} (after {attempts} attempt{'s' if attempts > 1 else ''})",
            maybe_applied=reached_any,
        )

    def _exchange(self, method: str, url: str, params: Mapping[str, str]) -> tuple[int, str, bytes]:
        """One attempt: ``(status, reason, body)``, within the deadline and the size cap."""
        try:
            answer = self._transport.get(
                url, dict(params), deadline=time.monotonic() + self._deadline, cap=self._max_body
            )
        except bounded.TooLarge as exc:
            announced = f" ({exc.size} bytes announced)" if exc.size is not None else ""
            raise ResponseTooLarge(
                method,
                f"answer of more than {exc.cap} bytes{announced} refused; no "
                "gateway answer is that large",
            ) from None
        if self._on_exchange is not None:
            self._on_exchange(
                Exchange(
                    method,
                    urlsplit(url).path.lstrip("/"),
                    dict(params),
                    answer.status,
                    wire.decode_body(answer.body),
                )
            )
        return answer.status, answer.reason, answer.body

    def _describe(self, exc: ExchangeFailed) -> str:
        connect_timeout, read_timeout = self._request_timeout
        match exc.failure:
            case Failure.DEADLINE:
                return f"no complete answer within the {self._deadline:g}s deadline"
            case Failure.CONNECT_TIMEOUT:
                return f"connect timed out after {connect_timeout:g}s"
            case Failure.READ_TIMEOUT:
                return f"no answer within {read_timeout:g}s (read timeout)"
            case Failure.NOT_CONNECTED:
                return f"could not connect ({exc.reason})"
            case Failure.CONNECTION_LOST:
                return f"connection lost before a complete answer ({exc.reason})"
            case Failure.UNDECODABLE:
                return f"the answer could not be read ({exc.reason})"

    # ---- sends -------------------------------------------------------------------------------

    def _send(self, method: str, mobile: str, message: str, trxid: str | None) -> SendResult:
        if trxid is not None and not 0 < len(trxid) <= MAX_TRXID:
            raise ValueError(f"trxid must be 1..{MAX_TRXID} characters")
        creds = self._creds
        msg_type, payload = encode_for_gateway(message, gsm7_as_type0=self._gsm7_as_type0)
        params = {"username": creds.username, "mobile": mobile, "message": payload}
        params["auth"] = self._auth(method, params, creds)
        if trxid is not None:
            params["trxid"] = trxid
        params["type"] = str(msg_type)
        kind = RequestKind.DEDUP_SEND if trxid is not None else RequestKind.WRITE
        return wire.parse_send(method, self._get(method, params, kind))

    def send_sms(self, mobile: str, message: str, *, trxid: str | None = None) -> SendResult:
        """sendSMS.aspx (MD5 auth). Non-GSM-7 text goes as type 3 (UTF-16BE hex)."""
        return self._send("sendSMS", mobile, message, trxid)

    def send_wa(self, mobile: str, message: str, *, trxid: str | None = None) -> SendResult:
        """SendWA.aspx (MD5 auth, as sendSMS). 1751 -> WhatsAppNotActive."""
        return self._send("SendWA", mobile, message, trxid)

    def send_group(self, group: str, message: str) -> SendResult:
        """SendSMSGroup.aspx; ``msgid`` is the batch id. Never retried once it may have left.

        The reference gives this form no ``type``: the text goes as it is.
        """
        creds = self._creds
        params = {"group": group, **_spelled("SendSMSGroup", message), "username": creds.username}
        params["auth"] = self._auth("SendSMSGroup", params, creds)
        return wire.parse_send("SendSMSGroup", self._get("SendSMSGroup", params, RequestKind.WRITE))

    def _send_plain(self, method: str, path_key: str, mobile: str, message: str) -> SendResult:
        if not self._allow_plaintext:
            raise ValueError(
                f"{method} puts the password on the URL; create the Client with "
                "allow_plaintext_password=True to use it"
            )
        creds = self._creds
        params = {
            "username": creds.username,
            "mobile": mobile,
            "message": message,
            "password": creds.password,
        }
        return wire.parse_send(
            method, self._get(method, params, RequestKind.WRITE, PATHS[path_key])
        )

    def send_simple(self, mobile: str, message: str) -> SendResult:
        """Send.aspx with the password on the URL (unsafe; needs allow_plaintext_password)."""
        return self._send_plain("Send", "Send", mobile, message)

    def send_proxy(self, mobile: str, message: str) -> SendResult:
        """~proxy/send.php with the password on the URL (unsafe; allow_plaintext_password)."""
        return self._send_plain("proxySend", "proxySend", mobile, message)

    def send_wa_simple(self, mobile: str, message: str) -> SendResult:
        """SendWA.aspx with the password on the URL (unsafe; allow_plaintext_password)."""
        return self._send_plain("SendWA", "SendWA", mobile, message)

    def send_wa_proxy(self, mobile: str, message: str) -> SendResult:
        """~proxy/sendwa.php with the password on the URL (unsafe; allow_plaintext_password)."""
        return self._send_plain("proxySendWA", "proxySendWA", mobile, message)

    # ---- phonebook ---------------------------------------------------------------------------

    @staticmethod
    def _contact_params(
        name: str,
        mobile: str,
        group: str,
        address: str | None,
        birth: str | None,
        desc: str | None,
    ) -> dict[str, str]:
        params = {"name": name, "mobile": mobile, "group": group}
        # Optional fields the caller did not give are left out, as the reference allows.
        for key, value in (("address", address), ("birth", birth), ("desc", desc)):
            if value is not None:
                params[key] = value
        return params

    def add_contact(
        self,
        name: str,
        mobile: str,
        group: str,
        *,
        address: str | None = None,
        birth: date | None = None,
        desc: str | None = None,
    ) -> int | None:
        """phbkAdd.aspx; the new contact id, or None when the gateway answered a bare 1701."""
        creds = self._creds
        params = {
            "username": creds.username,
            **self._contact_params(
                name, mobile, group, address, wire.format_birth_add(birth) if birth else None, desc
            ),
        }
        params["auth"] = self._auth("phbkAdd", params, creds)
        return wire.parse_add("phbkAdd", self._get("phbkAdd", params, RequestKind.WRITE))

    def edit_contact(
        self,
        id: int,
        name: str,
        mobile: str,
        group: str,
        *,
        address: str | None = None,
        birth: date | None = None,
        desc: str | None = None,
    ) -> None:
        """phbkEdit.aspx (birth sent as ``dd Mon yyyy``)."""
        creds = self._creds
        params = {
            "id": _id(id),
            "username": creds.username,
            **self._contact_params(
                name, mobile, group, address, wire.format_birth_edit(birth) if birth else None, desc
            ),
        }
        params["auth"] = self._auth("phbkEdit", params, creds)
        wire.parse_ok("phbkEdit", self._get("phbkEdit", params, RequestKind.WRITE))

    def delete_contact(self, id: int) -> None:
        """phbkDelete.aspx."""
        self._delete("phbkDelete", id)

    def _delete(self, method: str, id: int) -> None:
        creds = self._creds
        params = {"id": _id(id), "username": creds.username}
        params["auth"] = self._auth(method, params, creds)
        wire.parse_ok(method, self._get(method, params, RequestKind.WRITE))

    def _list(
        self, method: str, params: dict[str, str], parse: Callable[[list[str]], T]
    ) -> list[T]:
        creds = self._creds
        params = {**params, "username": creds.username}
        params["auth"] = self._auth(method, params, creds)
        result = wire.parse_list(method, self._get(method, params, RequestKind.READ), parse)
        if self._on_result is not None:
            self._on_result(method, result)
        return result

    def _page(
        self,
        method: str,
        params: dict[str, str],
        parse: Callable[[list[str]], T],
        page: int,
        size: int,
    ) -> Page[T]:
        creds = self._creds
        params = {**params, "username": creds.username}
        params["auth"] = self._auth(method, params, creds)
        items, bad = wire.parse_page(method, self._get(method, params, RequestKind.READ), parse)
        for record in bad:
            log.debug(
                "%s page %d: record %s unreadable: %s",
                method,
                page,
                record.id if record.id is not None else f"#{record.position + 1}",
                record.reason,
            )
        result = Page(items=items, page=page, size=size, bad=tuple(bad))
        if self._on_result is not None:
            self._on_result(method, result)
        return result

    def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
        """phbkGetList.aspx; 1704 is an empty page. Records may be short (complete=False);
        unreadable records are in ``Page.bad``."""
        return self._page("phbkGetList", _paging(page, size), wire.parse_contact, page, size)

    def list_contacts_by_group(self, group: str, page: int = 1, size: int = 10) -> Page[Contact]:
        """phbkGetListbyGroup.aspx; 1704 is an empty page."""
        params = {**_paging(page, size), "group": group}
        return self._page("phbkGetListbyGroup", params, wire.parse_contact, page, size)

    def get_contact(self, id: int) -> Contact:
        """phbkGetCompleteData.aspx: one contact in full. DataNotFound when 1704."""
        method = "phbkGetCompleteData"
        contacts = self._list(method, {"id": _id(id)}, wire.parse_contact)
        if not contacts:
            raise DataNotFound(method, detail=f"contact {id}")
        for contact in contacts:
            if contact.id == id:
                return contact
        raise ProtocolError(method, f"answer has no record with id {id}")

    def find_by_name(self, name: str) -> list[Contact]:
        """phbkFindName.aspx: partial match, at most 10 rows; 1704 is an empty list."""
        return self._list("phbkFindName", {"name": name}, wire.parse_contact)

    def find_by_number(self, number: str) -> list[Contact]:
        """phbkFindPhNumber.aspx: partial match, at most 10 rows; 1704 is an empty list."""
        return self._list(
            "phbkFindPhNumber", _spelled("phbkFindPhNumber", number), wire.parse_contact
        )

    # ---- groups ------------------------------------------------------------------------------

    def add_group(self, name: str) -> int | None:
        """groupAdd.aspx; the new group id, or None on a bare 1701. 1711 when it exists."""
        creds = self._creds
        params = {"group": name, "username": creds.username}
        params["auth"] = self._auth("groupAdd", params, creds)
        return wire.parse_add("groupAdd", self._get("groupAdd", params, RequestKind.WRITE))

    def edit_group(self, id: int, name: str) -> None:
        """groupEdit.aspx (rename)."""
        creds = self._creds
        params = {"id": _id(id), "group": name, "username": creds.username}
        params["auth"] = self._auth("groupEdit", params, creds)
        wire.parse_ok("groupEdit", self._get("groupEdit", params, RequestKind.WRITE))

    def delete_group(self, id: int) -> None:
        """groupDelete.aspx."""
        self._delete("groupDelete", id)

    def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
        """groupGetList.aspx; 1704 is an empty page."""
        return self._page("groupGetList", _paging(page, size), wire.parse_group, page, size)

    def find_group(self, name: str) -> list[Group]:
        """groupFind.aspx: partial match, at most 10 rows; 1704 is an empty list."""
        return self._list("groupFind", _spelled("groupFind", name), wire.parse_group)

    # ---- account -----------------------------------------------------------------------------

    def change_password(self, new_password: str) -> None:
        """ChangePassword.aspx; on success this client uses the new password from then on.

        The new password necessarily travels on the URL (``newpasw``, and ``newpass`` as the
        reference's table spells it): the reference has no
        other way. On TransportError(maybe_applied=True) the account may hold either password;
        this client keeps the old one.
        """
        if not new_password:
            raise ValueError("the new password is empty")
        method = "ChangePassword"
        with self._lock:
            creds = self._creds
        params = {"username": creds.username, **_spelled("ChangePassword", new_password)}
        params["auth"] = self._auth(method, params, creds)
        wire.parse_ok(method, self._get(method, params, RequestKind.WRITE))
        with self._lock:
            self._creds = Login(creds.username, new_password)

    def credits(self) -> Decimal:
        """creditsleft.aspx: the balance, as a Decimal (the body may carry decimals)."""
        creds = self._creds
        params = {"username": creds.username}
        params["auth"] = self._auth("creditsleft", params, creds)
        paths = [self._credits_path] if self._credits_path else list(CREDITS_PATHS)
        for i, path in enumerate(paths):
            try:
                body = self._get("creditsleft", params, RequestKind.READ, path)
            except HttpRefused as exc:
                if exc.status != 404 or i + 1 == len(paths):
                    raise
                continue
            self._credits_path = path
            return wire.parse_credits("creditsleft", body)
        raise AssertionError("unreachable")  # pragma: no cover

    def probe(
        self,
        method: str,
        params: Mapping[str, str],
        *,
        path: str,
        wrong_auth: bool = False,
        md5_charset: str | None = None,
    ) -> RawAnswer:
        """One read at ``path`` (a spelling under the endpoint) as it is: no retry, no
        fallback, no status or code turned into an error. For ``smsync doctor``, which asks
        how a gateway answers. ``wrong_auth`` sends a well-formed but wrong ``auth`` (to see
        an error answer); ``md5_charset`` overrides the client's for this request."""
        if method not in _PROBE_METHODS:
            raise ValueError(f"{method} is not a read: it cannot be probed")
        creds = self._creds
        full = {**params, "username": creds.username}
        charset = md5_charset or self._md5_charset
        full["auth"] = (
            "0" * 32 if wrong_auth else compute_auth(method, creds, full, charset=charset)
        )
        refuse_unsafe(method, full)
        with self._lock:
            self._requests += 1
        try:
            status, _, raw = self._exchange(method, f"{self._endpoint}/{path}", full)
        except ExchangeFailed as exc:
            # a read: nothing can have been applied
            raise TransportError(method, self._describe(exc), maybe_applied=False) from None
        return RawAnswer(status=status, raw=raw, body=wire.decode_body(raw))

    def report(self, msgid: str) -> DeliveryStatus:
        """Report.aspx: the delivery state of ``msgid`` (SENT while pending). 1713 unknown."""
        body = self._get("Report", {"msgid": msgid}, RequestKind.READ)
        return DeliveryStatus(msgid=msgid, state=wire.parse_report("Report", body))


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as an ``on_exchange`` hook sees it. ``params`` are exactly
    what was sent: secrets included, so a hook that keeps them must redact them."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    body: str


@dataclass(frozen=True)
class RawAnswer:
    """One answer as it came (for :meth:`Client.probe`): HTTP status, raw bytes, decoded text."""

    status: int
    raw: bytes = field(repr=False)
    body: str = field(repr=False)


# What a probe may ask: reads only (a probe is never a write, whatever its parameters say).
_PROBE_METHODS = frozenset(
    {
        "phbkGetList",
        "phbkGetListbyGroup",
        "phbkGetCompleteData",
        "phbkFindName",
        "phbkFindPhNumber",
        "groupGetList",
        "groupFind",
        "creditsleft",
    }
)


def _id(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"an id is a non-negative integer, not {value!r}")
    return str(value)


def _paging(page: int, size: int) -> dict[str, str]:
    if page < 1 or size < 1:
        raise ValueError("page and size must be >= 1")
    return {"page": str(page), "size": str(size)}
