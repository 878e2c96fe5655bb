"""What a plan of long-kept broadcasts does not do, so that it stays cheap: a birthday broadcast
renders only who may be due, a monthly one resolves nobody on another day (yet still checks its
audience), and a recipient already messaged is not rendered again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsync.broadcast import BroadcastError, Ledger
from tests.support.numbers import e164
from tests.support.project import BProject, contacts

FEB_28 = datetime(2025, 2, 28, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta, a non-leap year


def test_birthday_broadcast_plans_only_who_is_due_including_29_february(
    bproject: BProject,
) -> None:
    bproject.group(
        "Office",
        contacts(1, birth="1990-02-28")
        + contacts(1, start=1, birth="1992-02-29")
        + contacts(1, start=2, birth="1990-03-02")
        + contacts(1, start=3),
    )
    bproject.broadcast(
        "ultah",
        "Selamat ulang tahun, {{ name }}!",
        {"group": "Office"},
        mode="recurring",
        schedule={"on": "birth", "time": "09:00"},
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger, now=FEB_28)
    # 29 February falls on 28 February in 2025; 2 March is not due, nor is no birth date
    assert plan.name == "ultah@2025-02-28"
    assert [r.number for r in plan.recipients] == [e164(0), e164(1)]


def test_monthly_broadcast_not_due_still_reports_a_broken_audience(bproject: BProject) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast(
        "gajian",
        "Gaji {{ occurrence }}",
        {"group": "Ofice"},  # misspelt
        mode="recurring",
        schedule={"on": "monthly", "day": 25},
    )
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="group 'Ofice'"):
        bproject.plan(ledger, now=FEB_28)


def test_a_recipient_already_messaged_is_not_rendered_again(bproject: BProject) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast("halo", "Halo {{ name }}", {"group": "Office"}, mode="ongoing")
    with bproject.ledger() as ledger:
        ledger.record_pending(
            broadcast="halo",
            number=e164(0),
            kind="contact",
            channel="sms",
            trxid="t0",
            attempt=0,
            body="Halo Person 0",
            segments=1,
        )
        ledger.record_sent("halo", e164(0), "m0")
        # the template changed since: it would now fail for the one already messaged
        bproject.broadcasts.clear()
        bproject.broadcast(
            "halo",
            "Halo {{ name }}{% if mobile.endswith('00') %}{{ nope }}{% endif %}",
            {"group": "Office"},
            mode="ongoing",
        )
        [plan] = bproject.plan(ledger)
    assert [(r.number, r.state) for r in plan.recipients] == [
        (e164(0), "sent"),
        (e164(1), "to_send"),
    ]
