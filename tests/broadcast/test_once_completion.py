"""When a `once` broadcast is complete: every recipient of its fixed audience was messaged, is
suppressed, or was refused for good (an invalid number); a refusal that may pass later (no
credit) keeps it open."""

from __future__ import annotations

import pytest

from smsync.broadcast import Ledger
from smsync.gateway.errors import InsufficientCredit, InvalidNumber
from tests.support.numbers import e164
from tests.support.project import BProject, contacts


def _record(ledger: Ledger, number: str, code: str | None) -> None:
    ledger.record_pending(
        broadcast="rapat",
        number=number,
        kind="contact",
        channel="sms",
        trxid="t" + number,
        attempt=0,
        body="Rapat",
        segments=1,
    )
    if code is None:
        ledger.record_sent("rapat", number, "m" + number)
    else:
        ledger.record_failed("rapat", number, code)


@pytest.mark.parametrize(
    ("code", "complete"), [(InvalidNumber.code, True), (InsufficientCredit.code, False)]
)
def test_a_number_refused_for_good_does_not_keep_a_once_broadcast_open(
    bproject: BProject, code: str, complete: bool
) -> None:
    bproject.group("Office", contacts(3))
    bproject.broadcast("rapat", "Rapat", {"contacts": {"groups": ["Office"]}})
    bproject.suppress(e164(2))
    with bproject.ledger() as ledger:
        ledger.fix_audience("rapat", [e164(0), e164(1), e164(2)])
        _record(ledger, e164(0), None)
        _record(ledger, e164(1), code)
        [plan] = bproject.plan(ledger)
    assert (plan.status == "complete") is complete
    if complete:
        assert plan.recipients == [] and plan.totals.already_sent == 1
        assert any("can never get it" in w for w in plan.warnings)
    else:
        assert [r.number for r in plan.recipients if r.state == "to_send"] == [e164(1)]
