"""The DLR receiver as the tests drive it: served on a thread, asked over real HTTP, with a
ledger holding one sent message for delivery reports to update."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from smsync.broadcast import DlrServer, Ledger

#: The receiver's token in tests (long enough to be accepted).
TOKEN = "t0k3n-abcdefghijklmnop"


@contextmanager
def running(server: DlrServer) -> Iterator[DlrServer]:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(
    server: DlrServer,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def add_sent_row(ledger: Ledger) -> None:
    """Broadcast ``b``'s message ``MSG1`` to +6281230000000, sent: the row a DLR updates."""
    ledger.record_pending(
        broadcast="b",
        number="+6281230000000",
        kind="contact",
        channel="sms",
        trxid="sm1",
        attempt=0,
        body="hi",
        segments=1,
    )
    ledger.record_sent("b", "+6281230000000", "MSG1")
