"""The delivery funnel and its breakdowns (smsync.broadcast.deliveries) from ledger rows: the rules
the dashboard, the JSON and the HTML report share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsync.broadcast import Ledger
from smsync.broadcast.deliveries import NOT_TRIED, merge, split_key, summarize
from smsync.broadcast.ledger import SendState, group_row_key
from smsync.gateway.models import DeliveryState


def _row(ledger: Ledger, key: str, number: str, state: str, *, recipients: int = 1) -> None:
    kind = "group" if number.startswith("group:") else "contact"
    ledger.record_pending(
        broadcast=key,
        number=number,
        kind=kind,
        channel="sms",
        trxid=None,
        attempt=0,
        body="hi",
        segments=1,
        recipients=recipients,
    )
    if state == SendState.PENDING:
        return
    if state.startswith("failed"):
        ledger.record_failed(key, number, state.split()[1])
        return
    ledger.record_sent(key, number, f"m-{key}-{number}")
    if state != SendState.SENT:
        ledger.update_state(key, number, DeliveryState(state))


def test_funnel_counts_refusals_and_undelivered_as_failed_and_unknowns_as_pending() -> None:
    with Ledger(":memory:") as ledger:
        _row(ledger, "b", "+6281230000001", "DELIVRD")
        _row(ledger, "b", "+6281230000002", "UNDELIVRD")
        _row(ledger, "b", "+6281230000003", "failed 1708")
        _row(ledger, "b", "+6281230000004", "failed 1707")
        _row(ledger, "b", "+6281230000005", "SENT")
        _row(ledger, "b", "+6281230000006", "pending")
        untried = "+6281230000007"
        audience = frozenset({f"+628123000000{i}" for i in range(1, 8)})

        d = summarize("b", ledger.rows("b"), audience)

    assert d.funnel.to_json() == {
        "planned": 7,
        "sent": 3,
        "delivered": 1,
        "failed": 3,
        "pending": 3,
    }
    assert d.outcomes == {
        "DELIVRD": 1,
        "UNDELIVRD": 1,
        "SENT": 1,
        "pending": 1,
        NOT_TRIED: 1,
        "failed 1707 invalid number": 1,
        "failed 1708 insufficient credit": 1,
    }
    # an invalid number never gets it, however often it is tried: not worth a retry
    assert sorted(r.number for r in d.retry) == ["+6281230000002", "+6281230000003"]
    assert d.operators["Telkomsel"].planned == 7 and untried not in {r.number for r in d.retry}
    assert len(d.sent_times) == 3 and len(d.delivered_times) == 1 and len(d.failed_times) == 3


def test_group_send_counts_each_member_and_says_their_delivery_is_unseen() -> None:
    with Ledger(":memory:") as ledger:
        _row(ledger, "g", group_row_key("Kantor"), "SENT", recipients=40)

        d = summarize("g", ledger.rows("g"))

    assert d.funnel.to_json() == {
        "planned": 40,
        "sent": 40,
        "delivered": 0,
        "failed": 0,
        "pending": 40,
    }
    assert d.group_members == 40 and d.operators == {} and d.retry == []


def test_occurrences_are_told_by_their_key_and_summed() -> None:
    assert split_key("gajian@2026-01-25") == ("gajian", "2026-01-25")
    assert split_key("rapat@kantor") == ("rapat@kantor", None)  # not a date: a plain name
    with Ledger(":memory:") as ledger:
        _row(ledger, "gajian@2026-01-25", "+6281230000001", "DELIVRD")
        _row(ledger, "gajian@2026-02-25", "+6281230000001", "EXPIRED")
        parts = [summarize(k, ledger.rows(k)) for k in ledger.broadcasts()]

    total = merge("gajian", parts)

    assert total.funnel.to_json() == {
        "planned": 2,
        "sent": 2,
        "delivered": 1,
        "failed": 1,
        "pending": 0,
    }
    assert [r.occurrence for r in total.retry] == ["2026-02-25"]
    assert total.operators["Telkomsel"].delivered == 1


STATES = st.sampled_from(
    ["DELIVRD", "UNDELIVRD", "REJECTED", "EXPIRED", "SENT", "pending", "failed 1708", "failed 1707"]
)


@given(st.lists(STATES, max_size=12), st.integers(min_value=0, max_value=3))
def test_funnel_always_adds_up(states: list[str], untried: int) -> None:
    numbers = [f"+62812300{i:05d}" for i in range(len(states) + untried)]
    with Ledger(":memory:") as ledger:
        for number, state in zip(numbers, states, strict=False):
            _row(ledger, "b", number, state)
        d = summarize("b", ledger.rows("b"), frozenset(numbers))

    f = d.funnel
    assert f.planned == f.delivered + f.failed + f.pending == len(numbers)
    assert f.delivered <= f.sent <= f.planned
    assert sum(d.outcomes.values()) == f.planned
    assert sum(o.planned for o in d.operators.values()) == f.planned
