"""A PostgreSQL state whose server restarts between two writes of a run: the next write goes
through on a new connection, and nothing recorded before the restart is lost."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from smsync.broadcast import Ledger
from smsync.state import open_backend
from tests.support.state import PostgresServer, start_postgres


def restart(srv: PostgresServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        data = Path(srv.server.pgdata)
        srv.server.cleanup()
        srv.server = pgserver.get_server(data, cleanup_mode="stop")  # type: ignore[attr-defined]


def test_server_restarted_mid_run_loses_nothing_and_the_run_goes_on(tmp_path: Path) -> None:
    servers = start_postgres()
    srv = next(servers)
    if not isinstance(srv, PostgresServer):
        pytest.skip(srv)
    try:
        url = srv.database()
        with Ledger(open_backend(url, tmp_path)) as ledger:
            ledger.record_pending(
                broadcast="b",
                number="+628123",
                kind="contact",
                channel="sms",
                trxid="t",
                attempt=0,
                body="x",
                segments=1,
            )
            restart(srv)
            ledger.record_sent("b", "+628123", "m1")
        with Ledger(open_backend(url, tmp_path)) as seen:
            row = seen.get("b", "+628123")
            assert row is not None and row.state == "SENT" and row.msgid == "m1"
    finally:
        servers.close()
