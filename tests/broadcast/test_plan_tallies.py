"""A broadcast plan's totals, encodings and operator shares are exactly what counting its
recipients one by one gives (suppressed, multi-segment and UCS-2 messages among them)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.broadcast.model import BroadcastPlan, Recipient, Share
from smsync.broadcast.plan import operator_shares
from smsync.operators import operator_of
from tests.support.project import BProject

NUMBERS = ["+6281234567890", "+6281712345678", "+6285712345678", "+6282812345678"]


def recount(sending: list[Recipient], key: str = "operator") -> dict[str, Share]:
    shares: dict[str, Share] = {}
    for r in sending:
        name = operator_of(r.number) if key == "operator" else r.account or "main"
        share = shares.setdefault(name, Share())
        share.messages += 1
        share.segments += r.segments
        share.unicode += 1 if r.encoding == "UCS-2" else 0
    return shares


recipients = st.lists(
    st.builds(
        Recipient,
        number=st.sampled_from(NUMBERS),
        mobile=st.just(""),
        name=st.just(""),
        group=st.just(""),
        message=st.just("x"),
        encoding=st.sampled_from(["GSM-7", "UCS-2"]),
        segments=st.integers(1, 5),
        sms_segments=st.integers(1, 5),
        trxid=st.none(),
        state=st.just("to_send"),
    ),
    max_size=60,
)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(recipients)
def test_operator_shares_equal_a_count_of_the_recipients_one_by_one(
    sending: list[Recipient],
) -> None:
    shares = operator_shares(sending)
    assert shares == recount(sending)
    assert list(shares) == sorted(shares, key=lambda k: (k == "unknown", -shares[k].messages, k))


def test_plan_totals_equal_a_count_of_its_recipients_one_by_one(tmp_path: Path) -> None:
    people = [
        {"name": f"Orang {i}", "mobile": "0" + n[3:-1] + str(i % 10), "desc": desc}
        for i, (n, desc) in enumerate(
            (n, desc) for n in NUMBERS for desc in ("biasa", "✓ unicode", "panjang " * 30)
        )
    ]
    bp = (
        BProject(tmp_path)
        .group("Semua", people)
        .broadcast("salam", "Halo {{ name }}, {{ desc }}", {"contacts": {"groups": ["Semua"]}})
        .suppress(people[0]["mobile"], people[4]["mobile"])
    )
    with bp.ledger() as ledger:
        (plan,) = bp.plan(ledger)

    check(plan)
    assert plan.totals.suppressed == 2
    assert set(plan.encoding) == {"GSM-7", "UCS-2"}
    assert max(r.segments for r in plan.recipients) > 1


def check(plan: BroadcastPlan) -> None:
    states = Counter(r.state for r in plan.recipients)
    sending = [r for r in plan.recipients if r.state == "to_send"]
    t = plan.totals
    assert t.recipients == len(plan.recipients)
    assert (t.already_sent, t.suppressed, t.to_send, t.pending_unknown) == (
        states["sent"],
        states["suppressed"],
        states["to_send"],
        states["pending_unknown"],
    )
    assert t.segments == sum(r.segments for r in sending)
    assert plan.encoding == dict(Counter(r.encoding for r in sending))
    assert plan.operators == recount(sending)
