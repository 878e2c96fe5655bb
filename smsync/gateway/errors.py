"""Gateway errors: one class per documented return code, under a common GatewayError.

The messages never contain the password or the ``auth`` value: they name the endpoint (the
API method, e.g. ``phbkAdd``), the code and what it means.
"""

from __future__ import annotations

import re

from smsync import numbers
from smsync.errors import SmsyncError as SmsyncError  # (re-exported: the tree's root)


class GatewayError(SmsyncError):
    """A definite refusal: the request was not applied, and repeating it will not help.

    Mostly the gateway answering with a documented error code (one subclass per code); also an
    HTTP 4xx refusal (HttpRefused) and a value the client refuses to send (UnsafeValue).
    """

    code: str = ""
    meaning: str = "gateway error"

    def __init__(self, endpoint: str, code: str | None = None, detail: str = "") -> None:
        self.endpoint = endpoint
        if code is not None:
            self.code = code
        self.detail = detail
        msg = f"{endpoint}: {self.code} {self.meaning}"
        if detail:
            # A gateway's detail may hold newlines or control characters: quote those, so the
            # message stays one clean line.
            msg += f" ({detail})" if detail.isprintable() else f" ({detail!r})"
        super().__init__(msg)


class InvalidCredentials(GatewayError):
    code, meaning = "1702", "invalid username or password"


class InternalServerError(GatewayError):
    code, meaning = "1703", "internal server error"


class DataNotFound(GatewayError):
    code, meaning = "1704", "data not found"


class ProcessFailed(GatewayError):
    code, meaning = "1705", "process failed"


class InvalidMessage(GatewayError):
    code, meaning = "1706", "invalid message"


class InvalidNumber(GatewayError):
    code, meaning = "1707", "invalid number"


class InsufficientCredit(GatewayError):
    code, meaning = "1708", "insufficient credit"


class GroupEmpty(GatewayError):
    code, meaning = "1709", "group empty"


class InvalidGroupName(GatewayError):
    code, meaning = "1711", "invalid group name"


class InvalidGroupId(GatewayError):
    code, meaning = "1712", "invalid group id"


class InvalidMsgId(GatewayError):
    code, meaning = "1713", "invalid msgid"


class InvalidPhonebookName(GatewayError):
    code, meaning = "1721", "invalid phonebook name"


class InvalidPhonebookId(GatewayError):
    code, meaning = "1722", "invalid phonebook id"


class UserNameExists(GatewayError):
    code, meaning = "1731", "user name already exists"


class InvalidSenderId(GatewayError):
    code, meaning = "1732", "sender id not valid"


class InternalErrorContactAdmin(GatewayError):
    code, meaning = "1733", "internal error, please contact the administrator"


class InvalidClientUserName(GatewayError):
    code, meaning = "1734", "invalid client user name"


class InvalidCreditValue(GatewayError):
    code, meaning = "1735", "invalid credit value"


class WhatsAppNotActive(GatewayError):
    code, meaning = "1751", "destination has no active WhatsApp"


class UnableToProcess(GatewayError):
    """The non-numeric 'Unable to process your request' body some servers send."""

    code, meaning = "UNABLE", "the gateway was unable to process the request"


class UnsafeValue(GatewayError):
    """A value the gateway would store and list back holds a separator or a control character.

    Raised before any request (see smsync.gateway.stored). The message names the parameter and
    the character, never the value: it may be huge, and it is not fit to print.
    """

    code, meaning = "unsafe-value", "refused by the client, nothing was sent"

    def __init__(self, endpoint: str, param: str, detail: str) -> None:
        self.param = param
        super().__init__(endpoint, detail=f"'{param}' {detail}")


class HttpRefused(GatewayError):
    """An HTTP 4xx answer whose body is not a return code: the server, or something in front of
    it (a proxy, a firewall, the web server's access rules), refused the request unprocessed.

    ``code`` is ``http-<status>``; the message quotes a short excerpt of the body, on one line.
    """

    meaning = "refused by the server, not processed"

    def __init__(self, endpoint: str, status: int, reason: str, body: str) -> None:
        self.status = status
        detail = f"HTTP {status} {_one_line(reason, 40)}".rstrip()
        excerpt = _one_line(body, 80)
        super().__init__(
            endpoint, code=f"http-{status}", detail=f"{detail}: {excerpt}" if excerpt else detail
        )


def _one_line(text: str, limit: int) -> str:
    """``text`` with every run of whitespace and unprintable characters made one space, cut
    to ``limit`` characters: a server's error page is quoted, not shown."""
    words = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 4]).split()
    flat = " ".join(words)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


ERRORS_BY_CODE: dict[str, type[GatewayError]] = {
    cls.code: cls
    for cls in (
        InvalidCredentials,
        InternalServerError,
        DataNotFound,
        ProcessFailed,
        InvalidMessage,
        InvalidNumber,
        InsufficientCredit,
        GroupEmpty,
        InvalidGroupName,
        InvalidGroupId,
        InvalidMsgId,
        InvalidPhonebookName,
        InvalidPhonebookId,
        UserNameExists,
        InvalidSenderId,
        InternalErrorContactAdmin,
        InvalidClientUserName,
        InvalidCreditValue,
        WhatsAppNotActive,
    )
}


class ProtocolError(SmsyncError):
    """The body could not be understood (unknown code, malformed records). Quotes a bounded
    part of the body so the user can see what came back."""

    def __init__(self, endpoint: str, problem: str, body: str = "") -> None:
        self.endpoint = endpoint
        self.body = body  # whole, for callers; the message shows only a safe excerpt
        message = f"{endpoint}: {problem}" + (f": {_excerpt(body)}" if body else "")
        super().__init__(_NUMBER_LIKE.sub(lambda m: numbers.mask(m.group()), message))


# A run of digits written as a phone number is (0…, 62…, +62…; not a size or a count).
_NUMBER_LIKE = re.compile(r"(?<!\d)(?:\+?62|0)\d{6,}")
_RECORD_MARKS = ("\u0080", "\u0081", "\u20ac")


def _excerpt(body: str) -> str:
    """What an error may quote of a body: errors reach CI logs, where plans are masked, so
    records (names, numbers, addresses) are described, never quoted; other text is cut short
    (and its numbers masked by the caller)."""
    if any(mark in body for mark in _RECORD_MARKS):
        records = body.count("\u0081") + 1
        return f"<{records} record(s), {len(body)} chars; not quoted: they hold names and numbers>"
    quoted = body if len(body) <= 120 else body[:120] + f"… ({len(body)} chars)"
    return repr(quoted)


class ResponseTooLarge(ProtocolError):
    """The answer's body exceeds the client's size cap; it was not read (any further).

    A ProtocolError: the request was processed and answered, but the answer cannot be used, so
    the outcome of a write is unknown.
    """


class TransportError(SmsyncError):
    """The request did not get an answer (connection refused/dropped, timeout) after retries.

    ``maybe_applied`` is True when the request may have reached the gateway (so a write may
    have taken effect and must be checked, not blindly repeated).
    """

    def __init__(self, endpoint: str, problem: str, *, maybe_applied: bool) -> None:
        self.endpoint = endpoint
        self.maybe_applied = maybe_applied
        super().__init__(f"{endpoint}: {problem}")


class DeadlineExceeded(TransportError):
    """The whole exchange (connect, send, headers, body) did not finish within the deadline."""
