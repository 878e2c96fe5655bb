"""A gateway may deliver a report before its answer to the send reached smsync: the report is
held while a send is in flight and applied once the send is recorded, never lost."""

from __future__ import annotations

from pathlib import Path

from smsync.broadcast import Ledger
from smsync.gateway.models import DeliveryState


def pending(ledger: Ledger, number: str) -> None:
    ledger.record_pending(
        broadcast="b",
        number=number,
        kind="contact",
        channel="sms",
        trxid="sm1",
        attempt=0,
        body="hi",
        segments=1,
    )


def test_report_arriving_before_the_send_is_recorded_is_applied_when_it_is(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        pending(ledger, "+6281230000001")
        assert ledger.receive_delivery_report("m-1", DeliveryState.DELIVRD)
        ledger.record_sent("b", "+6281230000001", "m-1")
        [row] = ledger.rows("b")
        assert (row.state, row.msgid) == ("DELIVRD", "m-1")


def test_report_for_an_unknown_msgid_with_no_send_in_flight_is_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        pending(ledger, "+6281230000001")
        ledger.record_sent("b", "+6281230000001", "m-1")
        assert not ledger.receive_delivery_report("m-2", DeliveryState.DELIVRD)
        assert ledger.receive_delivery_report("m-1", DeliveryState.UNDELIVRD)
        assert [r.state for r in ledger.rows("b")] == ["UNDELIVRD"]
