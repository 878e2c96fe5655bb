"""`smsync sandbox serve` logs each request to stderr (method, path, status, time), never the
query string that carries the auth; --quiet logs nothing."""

from __future__ import annotations

import re
import urllib.request

from tests.support.serve import sandbox_serve

QUERY = "?username=demo&mobile=08123&message=hi&auth=0123456789abcdef0123456789abcdef"


def _send(url: str) -> None:
    with urllib.request.urlopen(f"{url}/web2sms/api/sendSMS.aspx{QUERY}") as answer:
        answer.read()


def test_serve_logs_each_request_without_its_query() -> None:
    with sandbox_serve("--account", "demo:demo-pass") as served:
        _send(served.url)

    line = re.search(r"GET /web2sms/api/sendSMS\.aspx 200 \d+ ms", served.err)
    assert line is not None, served.err
    assert "auth" not in served.err and "0123456789abcdef" not in served.err


def test_serve_quiet_logs_no_request() -> None:
    with sandbox_serve("--account", "demo:demo-pass", "--quiet") as served:
        _send(served.url)

    assert served.returncode == 0, served.err
    assert "sendSMS" not in served.err
