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


def test_a_report_racing_the_send_record_is_never_held_after_it(tmp_path: Path) -> None:
    # The receiver first tries the row, then (if unknown) holds the report for the send being
    # recorded. Were these two transactions, the send could be recorded in between: the
    # report would be held after the only moment that applies it, and the row stay SENT.
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        for number in ("+6281230000001", "+6281230000002"):
            ledger.record_pending(
                broadcast="b",
                number=number,
                kind="contact",
                channel="sms",
                trxid="t" + number,
                attempt=0,
                body="hi",
                segments=1,
            )
        real_apply = ledger.apply_delivery_report

        def send_recorded_meanwhile(msgid: str, state: DeliveryState) -> int:
            updated = real_apply(msgid, state)
            ledger.record_sent("b", "+6281230000001", "M1")  # lands between the two steps
            return updated

        ledger.apply_delivery_report = send_recorded_meanwhile  # type: ignore[method-assign]
        assert ledger.receive_delivery_report("M1", DeliveryState.DELIVRD)

        assert ledger.get("b", "+6281230000001").state == "DELIVRD"  # type: ignore[union-attr]
