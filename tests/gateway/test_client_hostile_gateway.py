"""A hostile or broken gateway can neither hang the client nor fill its memory.

The server here is a plain socket server on loopback, so it can do what no HTTP library would:
trickle the status line one byte at a time, announce a 400 MB body, or stream chunks forever.
Every request has one overall deadline (connect + send + headers + whole body) and a cap on
the body size; the tests use small values of both so that each runs in about a second.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator

import pytest

from smsync.gateway import Client, DeadlineExceeded, ProtocolError, ResponseTooLarge

USER, PASSWORD = "demo", "Sup3r-Secret-pw"
F = b"\xc2\x80"  # U+0080, the field separator, as UTF-8
Behaviour = Callable[[socket.socket], None]


class HostileServer:
    """Accepts connections; reads each request's head, then hands the socket to ``behave``.

    ``behaviours`` are used one per connection, the last one for every further connection.
    ``sent`` counts body bytes the server managed to write; ``requests`` the request heads read.
    """

    def __init__(self, *behaviours: Behaviour) -> None:
        self.behaviours = list(behaviours)
        self.sent = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            with self._lock:
                self.requests += 1
                behave = self.behaviours.pop(0) if len(self.behaviours) > 1 else self.behaviours[0]
            behave(conn)

    def write(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(2)


MakeHostile = Callable[..., HostileServer]


@pytest.fixture
def hostile() -> Iterator[MakeHostile]:
    servers: list[HostileServer] = []

    def make(*behaviours: Behaviour) -> HostileServer:
        servers.append(HostileServer(*behaviours))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


def client(url: str, **kw: object) -> Client:
    opts: dict[str, object] = {
        "retries": 0,
        "backoff": 0.001,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "deadline": 1.0,
    }
    opts.update(kw)
    return Client(url, USER, PASSWORD, **opts)  # type: ignore[arg-type]


def answer(body: bytes) -> bytes:
    # Connection: close, as the server means it (one behaviour a connection): without it the
    # client may reuse the connection before the server's close arrives, a race, not a test
    return (
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def trickle(server: Callable[[], HostileServer], data: bytes, every: float) -> Behaviour:
    """Write ``data`` one byte every ``every`` seconds: each read gets a byte well within the
    read timeout, so only an overall deadline can end it."""

    def behave(conn: socket.socket) -> None:
        for i in range(len(data)):
            if server().stopping():
                return
            server().write(conn, data[i : i + 1])
            time.sleep(every)

    return behave


def assert_clean(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert PASSWORD not in text
    assert "?" not in str(exc)  # no URL with its query string


# ---- the deadline ------------------------------------------------------------------------


def test_hostile_gateway_trickling_the_status_line_hits_the_deadline(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []
    box.append(hostile(trickle(lambda: box[0], answer(b"1704"), every=0.1)))
    started = time.monotonic()
    with client(box[0].url) as c, pytest.raises(DeadlineExceeded) as info:
        c.find_group("x")
    # the whole answer would take ~6 s at this pace; a generous bound, for loaded CI machines
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, elapsed
    assert info.value.maybe_applied is True  # the request had been sent
    assert "deadline" in str(info.value) and "1s" in str(info.value)
    assert_clean(info.value)


def test_hostile_gateway_trickling_the_body_of_a_write_hits_the_deadline(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []

    def behave(conn: socket.socket) -> None:
        box[0].write(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n1701,")
        trickle(lambda: box[0], b"7" * 195, every=0.1)(conn)

    box.append(hostile(behave))
    started = time.monotonic()
    with client(box[0].url) as c, pytest.raises(DeadlineExceeded) as info:
        c.add_group("Office")
    assert time.monotonic() - started < 5.0  # the trickle alone takes ~20 s
    assert info.value.maybe_applied is True
    assert "may have been applied" in str(info.value)
    assert box[0].requests == 1  # a write is never repeated once it may have been applied
    assert_clean(info.value)


def test_read_that_hit_the_deadline_is_retried_with_a_fresh_deadline(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []

    def fast(conn: socket.socket) -> None:
        box[0].write(conn, answer(b"1" + F + b"Office"))

    box.append(hostile(trickle(lambda: box[0], answer(b"1704"), every=0.1), fast))
    with client(box[0].url, retries=1) as c:
        assert [g.name for g in c.find_group("off")] == ["Office"]
    assert box[0].requests == 2


def test_slow_but_steady_answer_within_the_deadline_is_read_whole(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []
    records = b"\xc2\x81".join(b"%d" % i + F + b"Group %d" % i for i in range(1, 6))

    def chunked(conn: socket.socket) -> None:
        box[0].write(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(records), 16):
            part = records[i : i + 16]
            box[0].write(conn, b"%x\r\n" % len(part) + part + b"\r\n")
            time.sleep(0.02)
        box[0].write(conn, b"0\r\n\r\n")

    box.append(hostile(chunked))
    with client(box[0].url, deadline=2.0) as c:
        assert [g.name for g in c.list_groups().items] == [f"Group {i}" for i in range(1, 6)]


def test_default_deadline_follows_the_timeouts_and_bounds_them() -> None:
    with Client("http://127.0.0.1:9", USER, PASSWORD, connect_timeout=2, read_timeout=3) as c:
        assert c.deadline == 2 + 2 * 3  # connect, wait for the answer, as long again to read it
    with Client("http://127.0.0.1:9", USER, PASSWORD, deadline=0.5) as c:
        assert c.deadline == 0.5
    for bad in (0, -1):
        with pytest.raises(ValueError, match="deadline"):
            Client("http://127.0.0.1:9", USER, PASSWORD, deadline=bad)
    with pytest.raises(ValueError, match="max_body_bytes"):
        Client("http://127.0.0.1:9", USER, PASSWORD, max_body_bytes=0)


# ---- the size cap ------------------------------------------------------------------------


def test_hostile_gateway_announcing_a_huge_body_is_refused_unread(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []

    def huge(conn: socket.socket) -> None:
        box[0].write(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 400000000\r\n\r\n")
        zeros = b"0" * 65536
        while not box[0].stopping():
            box[0].write(conn, zeros)  # until the client hangs up

    box.append(hostile(huge))
    started = time.monotonic()
    with (
        client(box[0].url, max_body_bytes=64 * 1024, deadline=5.0) as c,
        pytest.raises(ResponseTooLarge) as info,
    ):
        c.list_contacts()
    # ResponseTooLarge, not DeadlineExceeded: the cap ended the read before the 5 s deadline
    assert time.monotonic() - started < 5.0
    assert isinstance(info.value, ProtocolError)  # callers: the outcome of a write is unknown
    assert "400000000 bytes" in str(info.value) and "65536" in str(info.value)
    assert_clean(info.value)


def test_hostile_gateway_endless_chunked_body_is_cut_at_the_cap(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []

    def endless(conn: socket.socket) -> None:
        box[0].write(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b"1" * 0x4000 + b"\r\n"
        while not box[0].stopping():
            box[0].write(conn, chunk)

    box.append(hostile(endless))
    started = time.monotonic()
    with (
        client(box[0].url, max_body_bytes=256 * 1024, deadline=5.0) as c,
        pytest.raises(ResponseTooLarge) as info,
    ):
        c.list_contacts()
    assert time.monotonic() - started < 5.0  # the cap, not the deadline, ended it
    assert "more than 262144 bytes" in str(info.value)
    assert box[0].requests == 1  # not retried: a bigger answer will not come back smaller


def test_default_cap_admits_a_large_page_and_refuses_over_8_mib(
    hostile: MakeHostile,
) -> None:
    box: list[HostileServer] = []
    page = b"\xc2\x81".join(b"%d" % i + F + b"G" * 1000 for i in range(1, 1001))  # ~1 MB

    def big_page(conn: socket.socket) -> None:
        box[0].write(conn, answer(page))

    def too_big(conn: socket.socket) -> None:
        box[0].write(conn, answer(b"1" * (8 * 1024 * 1024 + 1)))

    box.append(hostile(big_page, too_big))
    with client(box[0].url, deadline=5.0) as c:
        assert len(c.list_groups(size=1000).items) == 1000
        with pytest.raises(ResponseTooLarge):
            c.list_groups()
