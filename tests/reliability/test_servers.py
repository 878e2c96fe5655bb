"""The sandbox and the delivery-report receiver survive oversized, malformed and slow requests:
each gets a bounded answer (or a closed connection), slow clients are cut off after a timeout,
and a normal request is still served correctly while and after they misbehave."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsync.broadcast import Ledger
from smsync.broadcast import dlr as dlr_module
from smsync.broadcast.dlr import DlrServer
from smsync.sandbox import SandboxServer

TOKEN = "t0ken-for-servers-0123456789"
Address = tuple[str, int]


def exchange(addr: Address, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or stops talking); the raw answer."""
    with socket.create_connection(addr, timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/"):
        return None
    return int(answer.split(b" ", 2)[1])


HOSTILE: list[bytes] = [
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # URL too long
    b"GET / HTTP/1.1\r\nX: " + b"b" * 70_000 + b"\r\n\r\n",  # header line too long
    b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 150 + b"\r\n",  # too many headers
    b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc",  # body too large
    b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n",
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(60),  # TLS hello
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET\r\n\r\n",
    b"\r\n\r\n",
    b"\x00" * 5000,
    b"GET /%zz%00?msgid=%ff&status=%00 HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
]


@pytest.fixture
def dlr_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DlrServer]:
    assert 0 < dlr_module._Handler.timeout <= 30  # production: SOCKET_TIMEOUT_S
    monkeypatch.setattr(dlr_module._Handler, "timeout", 0.5)  # shorter, for a fast test
    ledger = Ledger(tmp_path / "ledger.sqlite")
    server = DlrServer(("127.0.0.1", 0), ledger, TOKEN)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    ledger.close()


def sandbox_ok(srv: SandboxServer) -> bool:
    answer = exchange(
        ("127.0.0.1", srv.port),
        b"GET /web2sms/api/Report.aspx?msgid=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    return status_of(answer) == 200 and answer.endswith(b"1713")


def dlr_ok(server: DlrServer) -> bool:
    host, port = server.server_address[:2]
    answer = exchange(
        (str(host), int(port)),
        f"GET /{TOKEN}/dlr?msgid=42&status=DELIVRD HTTP/1.1\r\n\r\n".encode(),
    )
    return status_of(answer) == 404  # alive and answering; msgid 42 is not in the ledger


@pytest.mark.parametrize("request_bytes", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_requests_get_bounded_answers(
    request_bytes: bytes, make_sandbox: Callable[..., SandboxServer], dlr_server: DlrServer
) -> None:
    srv = make_sandbox(socket_timeout_s=0.5)
    dlr_addr = (str(dlr_server.server_address[0]), int(dlr_server.server_address[1]))
    for addr in (("127.0.0.1", srv.port), dlr_addr):
        answer = exchange(addr, request_bytes)
        code = status_of(answer)
        assert code is None or 200 <= code < 600, answer[:200]
        assert code != 500, answer[:200]
        assert len(answer) < 10_000  # bounded: never echoes a huge request back
    assert sandbox_ok(srv)
    assert dlr_ok(dlr_server)


def test_slow_clients_are_cut_off_and_others_still_served(
    make_sandbox: Callable[..., SandboxServer], dlr_server: DlrServer
) -> None:
    srv = make_sandbox(socket_timeout_s=0.5)
    targets = [
        ("127.0.0.1", srv.port),
        (str(dlr_server.server_address[0]), int(dlr_server.server_address[1])),
    ]
    slow = []
    for addr in targets:
        for _ in range(40):  # slowloris: half a request line, then silence
            sock = socket.create_connection(addr, timeout=5)
            sock.sendall(b"GET /web2sms/api/Report.aspx?msg")
            slow.append(sock)
    try:
        assert sandbox_ok(srv) and dlr_ok(dlr_server)  # served while the slow ones hang
        deadline = time.monotonic() + 5
        for sock in slow:  # each slow connection is closed by the server's timeout
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            # The server closes it (b"" or a reset, perhaps after a 408 answer); a client
            # never cut off would make recv time out here (socket.timeout fails the test).
            with contextlib.suppress(ConnectionResetError):
                while sock.recv(4096):
                    pass
            assert time.monotonic() < deadline, "a slow client was never cut off"
    finally:
        for sock in slow:
            sock.close()
    assert sandbox_ok(srv) and dlr_ok(dlr_server)


def test_random_garbage_never_stops_either_server(
    make_sandbox: Callable[..., SandboxServer], dlr_server: DlrServer
) -> None:
    rng = random.Random(11)
    srv = make_sandbox(socket_timeout_s=0.5)
    dlr_addr = (str(dlr_server.server_address[0]), int(dlr_server.server_address[1]))
    for _ in range(40):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
        if rng.random() < 0.5:
            junk = b"GET /" + junk + b" HTTP/1.1\r\n\r\n"
        for addr in (("127.0.0.1", srv.port), dlr_addr):
            exchange(addr, junk)
    assert sandbox_ok(srv) and dlr_ok(dlr_server)
    assert srv.stats()["requests"] >= 0
