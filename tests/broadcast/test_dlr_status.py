"""Delivery status: the DLR receiver (real HTTP, fed by the sandbox) and Report.aspx refresh."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smsync.broadcast import (
    BroadcastError,
    Ledger,
    RefreshStats,
    make_dlr_server,
    refresh_status,
    send_broadcasts,
)
from smsync.gateway import Client
from smsync.gateway.models import DeliveryState
from smsync.sandbox import SandboxServer
from tests.support.dlr import TOKEN, add_sent_row, request, running, wait_for
from tests.support.numbers import gw
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD, USERNAME


def test_dlr_server_accepts_and_rejects(tmp_path: object) -> None:
    logged: list[str] = []
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        server = make_dlr_server(ledger, TOKEN, log=logged.append)
        assert server.url_template.endswith("/<token>/dlr?msgid=%id&status=%s")
        assert server.url_template.startswith("http://127.0.0.1:")
        with running(server):
            ok = f"/{TOKEN}/dlr?msgid=MSG1&status=DELIVRD"
            assert request(server, f"/{TOKEN}/dlr?msgid=NOPE&status=DELIVRD")[0] == 404
            assert request(server, f"/{TOKEN}/dlr?msgid=MSG1&status=WHATEVER")[0] == 400
            assert request(server, f"/{TOKEN}/dlr?status=DELIVRD")[0] == 400
            assert request(server, "/dlr?msgid=MSG1&status=DELIVRD")[0] == 403
            assert request(server, f"/{TOKEN}x/dlr?msgid=MSG1&status=DELIVRD")[0] == 403
            assert request(server, "/")[0] == 403
            assert request(server, ok + "&pad=" + "a" * 3000)[0] == 414
            assert (
                request(
                    server,
                    ok,
                    "POST",
                    b"x" * 5000,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )[0]
                == 413
            )
            assert request(server, ok, "PUT")[0] == 405
            assert ledger.rows("b")[0].state == "SENT"  # no rejected request changed anything
            assert request(server, ok) == (200, "OK\n")
            assert ledger.rows("b")[0].state == "DELIVRD"
            # form-encoded POST works too
            assert (
                request(
                    server,
                    f"/{TOKEN}/dlr",
                    "POST",
                    b"msgid=MSG1&status=EXPIRED",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )[0]
                == 200
            )
            assert ledger.rows("b")[0].state == "EXPIRED"
        assert server.received == 2
    assert logged and all(TOKEN not in line for line in logged)


def test_dlr_token_must_be_strong() -> None:
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="at least 16"):
        make_dlr_server(ledger, "short")


def test_sandbox_delivery_reports_reach_the_ledger(
    bproject: BProject,
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    bproject.group("Office", contacts(4))
    bproject.broadcast("hello", "hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        server = make_dlr_server(ledger, TOKEN)
        with running(server):
            port = server.server_address[1]
            srv = make_sandbox(
                dlr_url=f"http://127.0.0.1:{port}/{TOKEN}/dlr?msgid=%id&status=%s",
                dlr_delay_ms=10,
                # a loaded CI machine (coverage, 2 cores) can take seconds per callback
                dlr_timeout_s=15.0,
                undeliverable_prefixes=(gw(2),),
            )
            with Client(srv.url, USERNAME, PASSWORD) as client:
                assert send_broadcasts(client, bproject.plan(ledger), ledger).sent == 4
            wait_for(lambda: ledger.counts("hello").get("SENT", 0) == 0, timeout=30.0)
        assert ledger.counts("hello") == {"DELIVRD": 3, "UNDELIVRD": 1}
        assert srv.stats()["dlr_callbacks_ok"] == 4


def test_refresh_status_through_report(
    bproject: BProject, make_sandbox: Callable[..., SandboxServer]
) -> None:
    srv = make_sandbox(dlr_delay_ms=30, undeliverable_prefixes=(gw(0),))
    members = contacts(3)
    bproject.group("Office", members)
    bproject.broadcast("hello", "hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger, Client(srv.url, USERNAME, PASSWORD) as client:
        send_broadcasts(client, bproject.plan(ledger), ledger)
        stats = RefreshStats()
        first = refresh_status(client, ledger, concurrency=4, stats=stats)
        assert stats.queried == 3 and sum(first["hello"].values()) == 3

        def settled() -> bool:
            return refresh_status(client, ledger)["hello"] == {"DELIVRD": 2, "UNDELIVRD": 1}

        wait_for(settled)
        stats = RefreshStats()
        refresh_status(client, ledger, ["hello"], stats=stats)
        assert stats.queried == 0  # final rows are not asked again
        # A final state is never replaced by an older SENT.
        row = ledger.rows("hello")[0]
        ledger.update_state("hello", row.number, DeliveryState.SENT)
        assert ledger.rows("hello")[0].state == row.state
