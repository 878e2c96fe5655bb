"""Credits, password change, Report.aspx status progression and delivery-report callbacks."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from smsync.sandbox import SandboxServer
from tests.support.raw_http import Gw, md5
from tests.support.sandbox import PASSWORD, USERNAME

MOBILE = "081234567890"


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_creditsleft_at_both_paths(gw: Gw, sandbox: SandboxServer) -> None:
    auth = md5(USERNAME, PASSWORD)
    for path in (
        "/web2sms/api/creditsleft.aspx",
        "/web2sms/creditsleft.aspx",
        "/Web2SMS/CreditsLeft.aspx",
    ):
        resp = requests.get(f"{sandbox.url}{path}?username={USERNAME}&auth={auth}", timeout=5)
        assert resp.text == "1000", path
    assert gw.user_auth("creditsleft", password="bad") == "1702"


def test_change_password_all_spellings(gw: Gw) -> None:
    old = PASSWORD
    for i, name in enumerate(("newpasw", "newpass", "newpassword")):
        new = f"secret-{i}"
        assert (
            gw.get("ChangePassword", username=USERNAME, auth=md5(USERNAME, old), **{name: new})
            == "1701"
        )
        assert gw.user_auth("creditsleft", password=old) == "1702"
        assert gw.user_auth("creditsleft", password=new) == "1000"
        old = new
    assert (
        gw.get("ChangePassword", username=USERNAME, auth=md5(USERNAME, "wrong"), newpass="x")
        == "1702"
    )
    assert (
        gw.get("ChangePassword", username=USERNAME, auth=md5(USERNAME, old), newpass="") == "1705"
    )


def test_report_progression(
    make_sandbox: Callable[..., SandboxServer], make_gw: Callable[[SandboxServer], Gw]
) -> None:
    srv = make_sandbox(dlr_delay_ms=150, undeliverable_prefixes=("62811",))
    gw = make_gw(srv)
    ok = gw.send_sms(MOBILE, "x").split(",")[1]
    bad = gw.send_sms("0811000000", "x").split(",")[1]
    assert gw.get("Report", msgid=ok) == "SENT"
    wait_for(lambda: gw.get("Report", msgid=ok) == "DELIVRD")
    wait_for(lambda: gw.get("Report", msgid=bad) == "UNDELIVRD")
    # username/auth accepted but not required
    assert gw.get("Report", msgid=ok, username=USERNAME, auth=md5(USERNAME, PASSWORD)) == "DELIVRD"
    assert gw.get("Report", msgid="424242") == "1713"
    assert gw.get("Report") == "1713"
    srv.store.set_status(ok, "EXPIRED")
    assert gw.get("report", MSGID=ok) == "EXPIRED"


class _Receiver:
    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.urlsplit(self.path).query
                receiver.hits.append(dict(urllib.parse.parse_qsl(query)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/dlr.php"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


def test_dlr_callback(
    make_sandbox: Callable[..., SandboxServer],
    make_gw: Callable[[SandboxServer], Gw],
    receiver: _Receiver,
) -> None:
    srv = make_sandbox(
        dlr_delay_ms=10,
        dlr_url=receiver.url + "?msgid=%id&status=%s",
        undeliverable_prefixes=("62811",),
    )
    # the demo account is created by the fixture, so it gets the configured default dlr_url
    gw = make_gw(srv)
    a = gw.send_sms(MOBILE, "x").split(",")[1]
    b = gw.send_sms("62811000000", "x").split(",")[1]
    wait_for(lambda: len(receiver.hits) == 2)
    assert sorted((h["msgid"], h["status"]) for h in receiver.hits) == sorted(
        [(a, "DELIVRD"), (b, "UNDELIVRD")]
    )
    wait_for(lambda: srv.stats()["dlr_callbacks_ok"] == 2)


def test_dlr_callback_failure_is_ignored(
    make_sandbox: Callable[..., SandboxServer], make_gw: Callable[[SandboxServer], Gw]
) -> None:
    srv = make_sandbox(dlr_delay_ms=0, dlr_url="http://127.0.0.1:9/dlr?m=%id&s=%s")
    gw = make_gw(srv)
    msgid = gw.send_sms(MOBILE, "x").split(",")[1]
    wait_for(lambda: srv.stats()["dlr_callbacks_failed"] == 1)
    assert gw.get("Report", msgid=msgid) == "DELIVRD"
    assert gw.user_auth("creditsleft") == "999"  # server still fine


def test_per_account_dlr_url(sandbox: SandboxServer, gw: Gw, receiver: _Receiver) -> None:
    sandbox.store.upsert_account(USERNAME, PASSWORD, dlr_url=receiver.url + "?id=%id&s=%s")
    msgid = gw.send_sms(MOBILE, "x").split(",")[1]
    wait_for(lambda: receiver.hits == [{"id": msgid, "s": "DELIVRD"}])
