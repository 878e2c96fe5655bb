"""Bounded HTTP exchanges: one deadline per request, and a cap on the size of an answer.

A per-read timeout does not bound a request: a server that sends one byte every few seconds
never lets a read time out, in the status line, the headers or the body. And reading a body
whole (``resp.content``) reads any size into memory. So:

- while :func:`deadline` is active in a thread, every socket read of a response made in that
  thread waits at most until the deadline (the read timeout still applies to each read,
  whichever ends first); a read at or past the deadline raises :class:`DeadlineHit`, a
  TimeoutError;
- the transport (smsync.gateway.transport) streams a body and stops as soon as it exceeds the
  cap, without reading at all when Content-Length already says so (:class:`TooLarge`).

The reads are bounded at the one place every byte of an answer passes, status line included:
the buffered reader that http.client's response puts over the socket: the transport's
connections build :class:`BoundedResponse` (http.client's ``response_class`` hook). Connect
and send are bounded by the connect timeout, which the client caps at the deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

CHUNK = 64 * 1024


class DeadlineHit(TimeoutError):
    """A read of a response reached the request's deadline."""


class TooLarge(Exception):
    """The body exceeds the cap. ``size`` is the announced length, or None when the stream
    simply went past the cap."""

    def __init__(self, cap: int, size: int | None) -> None:
        super().__init__(cap, size)
        self.cap = cap
        self.size = size


_local = threading.local()


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound the response reads of this thread to ``time.monotonic() < at``."""
    previous = getattr(_local, "at", None)
    _local.at = at
    try:
        yield
    finally:
        _local.at = previous


class _DeadlineReader(io.RawIOBase):
    """The socket's raw reader, with each read's timeout cut to the time left."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, at: float) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._at = at
        self._timeout = sock.gettimeout()  # the read timeout set for this response
        self._current = self._timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._at - time.monotonic()
        if left <= 0:
            raise DeadlineHit("deadline reached")
        capped = self._timeout is None or left < self._timeout
        wanted = left if capped else self._timeout
        if wanted != self._current:  # usually not: a page is read long before the deadline
            self._sock.settimeout(wanted)
            self._current = wanted
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            if capped:
                raise DeadlineHit("deadline reached") from None
            raise

    def close(self) -> None:
        if not self.closed:
            # A kept-alive connection sends its next request with whatever timeout the socket
            # has: give it back the one it had, not the last cut-down value.
            if self._current != self._timeout:
                with contextlib.suppress(OSError):
                    self._sock.settimeout(self._timeout)
            self._raw.close()
        super().close()


class BoundedResponse(http.client.HTTPResponse):
    """http.client's response whose reads honour :func:`deadline` (a connection's
    ``response_class``)."""

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        at = getattr(_local, "at", None)
        if at is not None:
            raw = self.fp.detach()
            assert isinstance(raw, io.RawIOBase)
            self.fp = io.BufferedReader(_DeadlineReader(raw, sock, at))

    def _read_status(self) -> tuple[str, int, str]:
        """The status line of the final answer. http.client skips ``100 Continue`` only; any
        other interim answer (``103 Early Hints``...) would be taken as the answer, and the
        real one then read as the answer to the next request on the connection."""
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not (100 < status < 200) or status == 101:
                return version, status, reason
            http.client.parse_headers(self.fp)  # the interim answer's headers, discarded
