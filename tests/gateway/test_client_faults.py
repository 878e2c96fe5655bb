"""Retry policy against the sandbox's fault injection (fixed seeds: reproducible chaos)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smsync.gateway import Client, InternalServerError, TransportError
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., Any]


def make_client(srv: Any, retries: int = 3) -> Client:
    return Client(srv.url, USERNAME, PASSWORD, retries=retries, backoff=0.001, read_timeout=5.0)


def test_send_without_trxid_is_sent_exactly_once_when_the_answer_is_lost(
    make_sandbox: MakeSandbox,
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("drop-after",), seed=1)
    with make_client(srv) as c, pytest.raises(TransportError) as info:
        c.send_sms("628123456789", "only once")
    assert info.value.maybe_applied is True
    assert c.request_count == 1
    assert srv.stats()["requests"] == 1  # neither the client nor urllib3 repeated it
    assert [m["text"] for m in srv.store.snapshot()["messages"]] == ["only once"]


def test_sends_with_trxid_are_retried_and_deduplicated(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=0.4, fault_kinds=("drop-after", "drop", "1703"), seed=11)
    with make_client(srv, retries=12) as c:
        results = [c.send_sms("628123456789", f"m{i}", trxid=f"trx-{i}") for i in range(20)]
        assert c.request_count > 20  # some attempts were faulted and repeated
    stats = srv.stats()
    assert stats["fault_drop-after"] > 0 and stats["fault_1703"] > 0
    sent = srv.store.snapshot()["messages"]
    assert sorted(m["text"] for m in sent) == sorted(f"m{i}" for i in range(20))  # no duplicate
    assert {r.msgid for r in results} == {m["msgid"] for m in sent}


def test_reads_are_retried_on_1703_and_drops(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=0.5, fault_kinds=("1703", "drop"), seed=5)
    srv.store.add_group(USERNAME, "Office")
    with make_client(srv, retries=12) as c:
        for _ in range(20):
            assert [g.name for g in c.list_groups().items] == ["Office"]
            assert c.find_group("off")[0].name == "Office"
        assert c.request_count == srv.stats()["requests"]
    assert srv.stats()["fault_1703"] > 0 and srv.stats()["fault_drop"] > 0


def test_reads_give_up_with_1703_after_the_retries(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("1703",), seed=2)
    with make_client(srv, retries=2) as c, pytest.raises(InternalServerError):
        c.credits()
    assert srv.stats()["requests"] == 3


WRITES: list[Callable[[Client], object]] = [
    lambda c: c.add_group("Office"),
    lambda c: c.add_contact("Rudi", "08123456", "Base"),
    lambda c: c.edit_contact(1, "Rudi", "08123456", "Base"),
    lambda c: c.delete_contact(1),
    lambda c: c.edit_group(1, "Renamed"),
    lambda c: c.send_group("Base", "hello"),
]


@pytest.mark.parametrize("kind", ["drop-after", "drop"])
@pytest.mark.parametrize("write", WRITES)
def test_writes_are_never_repeated_once_sent(
    make_sandbox: MakeSandbox, kind: str, write: Callable[[Client], object]
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=(kind,), seed=3)
    srv.store.add_group(USERNAME, "Base")
    srv.store.add_contact(USERNAME, name="X", mobile="0811111111", group="Base")
    before = srv.store.snapshot()
    with make_client(srv) as c, pytest.raises(TransportError) as info:
        write(c)
    assert info.value.maybe_applied is True  # the client cannot tell "drop" from "drop-after"
    assert srv.stats()["requests"] == 1
    if kind == "drop":
        assert srv.store.snapshot() == before  # nothing applied


def test_write_answered_1703_is_not_retried(make_sandbox: MakeSandbox) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("1703",), seed=4)
    with make_client(srv) as c, pytest.raises(InternalServerError):
        c.add_group("Office")
    assert srv.stats()["requests"] == 1
