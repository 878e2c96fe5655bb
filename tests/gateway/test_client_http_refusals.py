"""An HTTP 4xx whose body is not a return code is a definite refusal (HttpRefused): the request
was not processed, so callers record a failure with its reason instead of "outcome unknown".
A 5xx stays "maybe applied"; a 4xx that carries a 17xx body is that return code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smsync.broadcast import send_broadcasts
from smsync.broadcast.ledger import SendState
from smsync.gateway import (
    Client,
    GatewayError,
    HttpRefused,
    InternalServerError,
    InvalidCredentials,
    ProtocolError,
    TransportError,
)
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.scripted_server import ScriptedServer

MakeSandbox = Callable[..., Any]
MOBILE = "08123456789"


def make_client(url: str) -> Client:
    return Client(url, USERNAME, PASSWORD, retries=3, backoff=0.001, read_timeout=5.0)


def test_forbidden_group_send_is_a_definite_refusal(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("sendsmsgroup",))
    srv.store.add_contact(USERNAME, name="Ana", mobile=MOBILE, group="Office")
    with make_client(srv.url) as c:
        with pytest.raises(HttpRefused) as info:
            c.send_group("Office", "hello")
        assert c.request_count == 1  # a refusal is not retried
        assert c.send_sms(MOBILE, "single sends still work").msgid
    err = info.value
    assert isinstance(err, GatewayError)
    assert not isinstance(err, TransportError | InternalServerError | ProtocolError)
    assert (err.code, err.status) == ("http-403", 403)
    assert str(err) == (
        "SendSMSGroup: http-403 refused by the server, not processed (HTTP 403 Forbidden: "
        "Forbidden)"
    )
    assert [m["text"] for m in srv.store.snapshot()["messages"]] == ["single sends still work"]


def test_forbidden_read_is_refused_at_once(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("groupgetlist",))
    with make_client(srv.url) as c, pytest.raises(HttpRefused):
        c.list_groups()
    assert srv.stats()["requests"] == 1


def test_refusal_quotes_a_short_clean_excerpt_of_the_body(scripted: ScriptedServer) -> None:
    page = (
        b"<html>\r\n<head><title>401 Authorization Required</title></head>\x1b[2K\x00"
        + b"<body>"
        + b"x" * 5000
        + b"</body></html>"
    )
    scripted.always(status=401, body=page)
    with make_client(scripted.url) as c, pytest.raises(HttpRefused) as info:
        c.add_contact("Ana", MOBILE, "Office")
    message = str(info.value)
    assert message.startswith("phbkAdd: http-401 refused by the server, not processed (HTTP 401 ")
    assert "<html> <head><title>401 Authorization Required</title></head>" in message
    assert message.isprintable() and len(message) < 250
    assert "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" not in message
    assert len(scripted.seen) == 1


def test_refusal_with_an_empty_body_names_the_status(scripted: ScriptedServer) -> None:
    scripted.always(status=404, body=b"")
    with make_client(scripted.url) as c, pytest.raises(HttpRefused) as info:
        c.delete_contact(5)
    assert (
        str(info.value) == "phbkDelete: http-404 refused by the server, not processed "
        "(HTTP 404 Not Found)"
    )


def test_4xx_carrying_a_return_code_is_that_code(scripted: ScriptedServer) -> None:
    scripted.always(status=401, body=b"1702")
    with make_client(scripted.url) as c, pytest.raises(InvalidCredentials):
        c.list_groups()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_on_a_write_stays_maybe_applied(scripted: ScriptedServer, status: int) -> None:
    scripted.always(status=status, body=b"Forbidden")
    with make_client(scripted.url) as c, pytest.raises(TransportError) as info:
        c.add_group("Office")
    assert info.value.maybe_applied is True
    assert len(scripted.seen) == 1


def test_broadcast_records_refused_sends_as_failed_not_unknown(
    tmp_path: Path, make_sandbox: MakeSandbox
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("sendsms",))
    project = BProject(tmp_path)
    project.group("Office", contacts(3))
    project.broadcast("hello", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    with project.ledger() as ledger, make_client(srv.url) as c:
        plans = project.plan(ledger)
        report = send_broadcasts(c, plans, ledger)
        rows = ledger.rows("hello")
    assert (report.sent, report.unknown, report.failed) == (0, 0, 3)
    assert {f.code for f in report.results[0].failed} == {"http-403"}
    assert all("HTTP 403 Forbidden" in f.message for f in report.results[0].failed)
    # not pending: nothing to resolve later
    assert [r.state for r in rows] == [SendState.FAILED] * 3
    assert srv.store.snapshot()["messages"] == []
