"""Retries, transport failures and secrecy, against a scripted server on a real socket."""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsync.gateway import (
    Client,
    HttpRefused,
    InternalServerError,
    InvalidCredentials,
    TransportError,
)
from tests.support.scripted_server import ScriptedServer

USER, PASSWORD = "demo", "Sup3r-Secret-pw"
F = "\x80"


def client(url: str, **kw: object) -> Client:
    opts: dict[str, object] = {
        "retries": 3,
        "backoff": 0.001,
        "read_timeout": 2.0,
        "connect_timeout": 1.0,
    }
    opts.update(kw)
    return Client(url, USER, PASSWORD, **opts)  # type: ignore[arg-type]


def assert_secret_free(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert PASSWORD not in text
    assert PASSWORD not in str(exc) and PASSWORD not in repr(exc)
    assert "?" not in str(exc)  # no URL with a query string in the message


# ---- sends ---------------------------------------------------------------------------------


def test_send_without_trxid_is_sent_once_when_the_answer_is_lost(scripted: ScriptedServer) -> None:
    """The server applied it and dropped the connection: no retry (urllib3's off too)."""
    scripted.drop()
    scripted.answer(body=b"1701,2")
    with client(scripted.url) as c, pytest.raises(TransportError) as info:
        c.send_sms("628123456789", "hello")
    assert info.value.maybe_applied is True
    assert len(scripted.seen) == 1
    assert c.request_count == 1
    assert_secret_free(info.value)


def test_send_with_trxid_is_retried_after_a_drop(scripted: ScriptedServer) -> None:
    scripted.drop()
    scripted.answer(body=b"1701,77")
    with client(scripted.url) as c:
        result = c.send_sms("628123456789", "hello", trxid="t-1")
    assert result.msgid == "77"
    assert len(scripted.seen) == 2
    assert [s.params["trxid"] for s in scripted.seen] == ["t-1", "t-1"]
    assert c.request_count == 2


def test_send_with_trxid_is_retried_on_1703(scripted: ScriptedServer) -> None:
    scripted.answer(body=b"1703")
    scripted.answer(body=b"1701,78")
    with client(scripted.url) as c:
        assert c.send_wa("628123456789", "hello", trxid="t-2").msgid == "78"
    assert len(scripted.seen) == 2


def test_send_without_trxid_is_not_retried_on_1703_or_5xx(scripted: ScriptedServer) -> None:
    scripted.answer(body=b"1703")
    with client(scripted.url) as c:
        with pytest.raises(InternalServerError):
            c.send_sms("628123456789", "hello")
        scripted.answer(status=502, body=b"bad gateway")
        with pytest.raises(TransportError) as info:
            c.send_sms("628123456789", "hello")
    assert info.value.maybe_applied is True
    assert "HTTP 502" in str(info.value)
    assert len(scripted.seen) == 2


def test_group_send_is_never_retried(scripted: ScriptedServer) -> None:
    scripted.drop()
    with client(scripted.url) as c, pytest.raises(TransportError) as info:
        c.send_group("Office", "hello")
    assert info.value.maybe_applied
    assert len(scripted.seen) == 1


# ---- writes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add_contact("Rudi", "0812345678", "Office"),
        lambda c: c.edit_contact(5, "Rudi", "0812345678", "Office"),
        lambda c: c.delete_contact(5),
        lambda c: c.add_group("Office"),
        lambda c: c.edit_group(5, "Office"),
        lambda c: c.delete_group(5),
        lambda c: c.change_password("new-pass-123"),
    ],
    ids=[
        "add_contact",
        "edit_contact",
        "delete_contact",
        "add_group",
        "edit_group",
        "delete_group",
        "change_password",
    ],
)
def test_writes_raise_maybe_applied_on_a_lost_answer(scripted: ScriptedServer, call) -> None:  # type: ignore[no-untyped-def]
    scripted.drop()
    with client(scripted.url) as c, pytest.raises(TransportError) as info:
        call(c)
    assert info.value.maybe_applied is True
    assert "may have been applied" in str(info.value)
    assert len(scripted.seen) == 1
    assert_secret_free(info.value)


def test_write_read_timeout_is_maybe_applied(scripted: ScriptedServer) -> None:
    scripted.answer(delay=0.5)
    with client(scripted.url, read_timeout=0.1) as c, pytest.raises(TransportError) as info:
        c.add_group("Office")
    assert info.value.maybe_applied is True
    assert "read timeout" in str(info.value)
    assert len(scripted.seen) == 1


def test_connection_refused_is_retried_for_writes_and_not_applied(closed_port_url: str) -> None:
    with client(closed_port_url, retries=2) as c, pytest.raises(TransportError) as info:
        c.add_contact("Rudi", "0812345678", "Office")
    assert info.value.maybe_applied is False
    assert "could not connect" in str(info.value)
    assert "3 attempts" in str(info.value)
    assert c.request_count == 3
    assert_secret_free(info.value)


# ---- reads -------------------------------------------------------------------------------


def test_reads_retried_on_1703_5xx_drop_and_timeout(scripted: ScriptedServer) -> None:
    scripted.answer(body=b"1703")
    scripted.answer(status=503, body=b"busy")
    scripted.drop()
    scripted.answer(body=b"1" + F.encode() + b"Office")
    with client(scripted.url, retries=3) as c:
        groups = c.list_groups()
    assert [g.name for g in groups.items] == ["Office"]
    assert len(scripted.seen) == 4
    assert c.request_count == 4


def test_read_timeout_is_retried(scripted: ScriptedServer) -> None:
    scripted.answer(delay=0.4, body=b"1704")
    scripted.answer(body=b"1704")
    with client(scripted.url, read_timeout=0.1) as c:
        assert c.find_group("x") == []
    assert len(scripted.seen) == 2


def test_reads_give_up_after_retries(scripted: ScriptedServer) -> None:
    scripted.always(body=b"1703")
    with client(scripted.url, retries=2) as c, pytest.raises(InternalServerError):
        c.credits()
    assert len(scripted.seen) == 3
    scripted.always(status=500, body=b"oops")
    with client(scripted.url, retries=1) as c, pytest.raises(TransportError) as info:
        c.report("5")
    assert "HTTP 500" in str(info.value) and "2 attempts" in str(info.value)


def test_non_200_4xx_is_not_retried_and_a_definite_refusal(scripted: ScriptedServer) -> None:
    scripted.always(status=404, body=b"not found")
    with client(scripted.url) as c, pytest.raises(HttpRefused) as info:
        c.delete_contact(7)
    assert not isinstance(info.value, TransportError)  # not processed: no unknown outcome
    assert "HTTP 404" in str(info.value)
    assert len(scripted.seen) == 1


def test_redirects_are_not_followed(scripted: ScriptedServer) -> None:
    scripted.always(status=302, body=b"", headers={"Location": "/elsewhere"})
    with client(scripted.url) as c, pytest.raises(TransportError, match="redirect"):
        c.send_sms("628123456789", "hello", trxid="r-1")
    assert len(scripted.seen) == 1


def test_error_body_comes_with_http_200(scripted: ScriptedServer) -> None:
    scripted.always(body=b"1702")
    with client(scripted.url) as c, pytest.raises(InvalidCredentials):
        c.list_groups()
    assert len(scripted.seen) == 1  # an answer, not retried


# ---- secrecy -----------------------------------------------------------------------------


def test_repr_shows_endpoint_and_user_only(scripted: ScriptedServer) -> None:
    with client(scripted.url) as c:
        assert repr(c) == f"Client(endpoint={scripted.url!r}, username='demo')"


@pytest.mark.parametrize("form", ["send_simple", "send_proxy", "send_wa_simple", "send_wa_proxy"])
def test_plaintext_forms_need_opt_in(scripted: ScriptedServer, form: str) -> None:
    with client(scripted.url) as c, pytest.raises(ValueError, match="allow_plaintext_password"):
        getattr(c, form)("628123456789", "hi")
    assert scripted.seen == []


@pytest.mark.parametrize("form", ["send_simple", "send_proxy", "send_wa_simple", "send_wa_proxy"])
def test_plaintext_forms_never_leak_the_password_in_errors(
    closed_port_url: str, scripted: ScriptedServer, form: str
) -> None:
    c = client(closed_port_url, allow_plaintext_password=True, retries=0)
    with c, pytest.raises(TransportError) as refused:
        getattr(c, form)("628123456789", "hi")
    assert_secret_free(refused.value)
    scripted.drop()
    with client(scripted.url, allow_plaintext_password=True) as c:
        with pytest.raises(TransportError) as dropped:
            getattr(c, form)("628123456789", "hi")
        assert PASSWORD not in repr(c)
    assert_secret_free(dropped.value)
    assert scripted.seen[0].params["password"] == PASSWORD  # it really was on the URL


def test_password_never_logged(scripted: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    scripted.answer(body=b"1701,1")
    scripted.answer(body=b"1701")
    scripted.answer(body=b"1704")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="smsync")  # a CLI test may have set it to WARNING
    with client(scripted.url, allow_plaintext_password=True) as c:
        c.send_simple("628123456789", "hi")
        c.change_password("N3w-Secret-pw")
        c.list_groups()
    assert caplog.records  # the transport and the client did log
    assert "GET /" in caplog.text
    assert PASSWORD not in caplog.text
    assert "N3w-Secret-pw" not in caplog.text
    assert "auth=***" in caplog.text


# ---- concurrency ---------------------------------------------------------------------------


def test_thread_safe_request_count_and_pooling(scripted: ScriptedServer) -> None:
    scripted.always(body=b"1704")
    with client(scripted.url, pool_size=8) as c, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: c.find_by_name("x"), range(200)))
    assert results == [[]] * 200
    assert c.request_count == 200 == len(scripted.seen)
    # keep-alive: far fewer connections than requests (the server runs a thread per connection)
    assert threading.active_count() < 100
