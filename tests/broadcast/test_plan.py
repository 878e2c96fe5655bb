"""Planning: recipients, rendering, segments, suppression, safety caps, plan-time failures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from smsync.broadcast import BroadcastError, BroadcastPlan, Ledger, make_trxid
from smsync.gateway.models import Contact
from tests.support.numbers import e164, gw, number
from tests.support.project import NOW, BProject, contacts


def test_per_contact_plan_renders_every_recipient(bproject: BProject) -> None:
    bproject.group("Office", contacts(3, desc="Staff"))
    bproject.broadcast(
        "hello",
        "Hi {{ name }} ({{ desc }}), {{ greeting }}!",
        {"contacts": {"groups": ["Office"]}},
        vars={"greeting": "welcome"},
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    assert plan.kind == "contacts" and plan.due and not plan.unsafe
    assert [r.message for r in plan.recipients] == [
        f"Hi Person {i} (Staff), welcome!" for i in range(3)
    ]
    assert [r.number for r in plan.recipients] == [e164(i) for i in range(3)]
    assert [r.mobile for r in plan.recipients] == [gw(i) for i in range(3)]
    assert all(
        r.state == "to_send" and r.encoding == "GSM-7" and r.segments == 1 for r in plan.recipients
    )
    t = plan.totals
    assert (t.recipients, t.to_send, t.already_sent, t.suppressed, t.segments) == (3, 3, 0, 0, 3)
    assert plan.encoding == {"GSM-7": 3}
    # trxids: deterministic, at most 50 characters, one per (broadcast, number, message)
    trx = [r.trxid for r in plan.recipients]
    assert trx[0] == make_trxid("hello", e164(0), "Hi Person 0 (Staff), welcome!")
    assert len(set(trx)) == 3 and all(t is not None and len(t) <= 50 for t in trx)


def test_plan_json_is_stable_and_round_trips(bproject: BProject) -> None:
    bproject.group("Office", contacts(4))
    bproject.broadcast(
        "promo",
        "Hello {{ name }}",
        {"contacts": {"groups": ["Office"]}},
        channel="whatsapp",
        fallback="sms",
        not_before=(NOW + timedelta(days=1)).isoformat(),
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    data = json.loads(json.dumps(plan.to_json()))
    assert set(data) == {
        "name",
        "where",
        "channel",
        "fallback",
        "kind",
        "group",
        "not_before",
        "due",
        "mode",
        "status",
        "not_after",
        "spec_name",
        "unsafe",
        "reasons",
        "warnings",
        "limits",
        "totals",
        "encoding",
        "operators",
        "accounts",
        "samples",
        "recipients",
        "findings",
        "unreadable",
    }
    assert data["where"].endswith("broadcasts.yaml:2:7")
    assert data["due"] is False and data["channel"] == "whatsapp" and data["fallback"] == "sms"
    assert len(data["samples"]) == 3 and data["samples"][0]["to"] == "+6281230000000"
    assert data["totals"]["segments"] == 4 and data["totals"]["fallback_segments_max"] == 4
    assert BroadcastPlan.from_json(data).to_json() == data


def test_selector_filters_numbers_and_dedupes(bproject: BProject) -> None:
    bproject.group("A", [*contacts(2, desc="Gold"), *contacts(2, start=2, desc="Silver")])
    bproject.group("B", contacts(1, start=1, desc="Gold"))  # same number as A's second member
    bproject.broadcast(
        "gold",
        "Hi {{ name | d('') }} from {{ group | d('') }}",  # blank for a number not declared
        {
            "contacts": {
                "groups": ["A", "B"],
                "where": {"desc": "Gold"},
                "numbers": [number(3), number(9)],
            }
        },
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    assert [(r.number, r.group) for r in plan.recipients] == [
        (e164(0), "A"),
        (e164(1), "A"),
        (e164(3), "A"),
        (e164(9), ""),
    ]
    # an explicit number that is a declared contact keeps its name; an unknown one has none
    assert plan.recipients[2].message == "Hi Person 3 from A"
    assert plan.recipients[3].message == "Hi  from "


def test_undeclared_group_uses_remote_members(bproject: BProject) -> None:
    bproject.broadcast("remote", "Hi {{ name }}", {"contacts": {"groups": ["Remote"]}})
    remote = {
        "Remote": [
            Contact(1, "Rina", "0812 3000 0001", "Remote"),
            Contact(2, "Broken", "not a number", "Remote"),
        ]
    }
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger, remote=remote)
        assert [r.message for r in plan.recipients] == ["Hi Rina"]
        assert any("unreadable number" in w for w in plan.warnings)
        with pytest.raises(BroadcastError, match="not declared in the spec"):
            bproject.plan(ledger)


def test_undefined_variable_fails_naming_broadcast_and_recipient(bproject: BProject) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast(
        "typo", "Hi {{ name }},\nyour code is {{ cod }}", {"contacts": {"groups": ["Office"]}}
    )
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError) as err:
        bproject.plan(ledger)
    msg = str(err.value)
    assert "broadcasts.yaml:2:7: broadcast 'typo': recipient 0812*****000" in msg
    assert "template line 2" in msg and "'cod' is undefined" in msg
    assert err.value.broadcast == "typo"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ name.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ 'x' * 100000000 }}",
        # would build huge strings before the output limit could see them
        "{{ '%999999999s' % name }}",
        "{{ '{:999999999}'.format(name) }}",
        "{{ name|center(999999999) }}",
        "{{ name.ljust(999999999) }}",
        "{{ 2 ** 100000 }}",
    ],
)
def test_sandbox_escape_is_refused(bproject: BProject, template: str) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast("evil", template, {"contacts": {"groups": ["Office"]}})
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError) as err:
        bproject.plan(ledger)
    assert (
        "broadcast 'evil': recipient 0812*****000: template: template line 1: refused by "
        "the template sandbox" in str(err.value)
    )


def test_message_over_5000_characters_fails(bproject: BProject) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast(
        "long", "{% for i in range(2000) %}abc{% endfor %}", {"contacts": {"groups": ["Office"]}}
    )
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="longer than 5000"):
        bproject.plan(ledger)


def test_vars_may_not_shadow_contact_fields(bproject: BProject) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast(
        "shadow", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}}, vars={"name": "everyone"}
    )
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="vars name"):
        bproject.plan(ledger)


def test_unicode_and_segment_counts(bproject: BProject) -> None:
    # A gateway that takes any GSM-7 text as type 0: € counts by the GSM-7 alphabet.
    bproject.config["gateway"]["gsm7_as_type0"] = True
    bproject.group("Office", contacts(1))
    audience = {"contacts": {"groups": ["Office"]}}
    bproject.broadcast("gsm160", "x" * 160, audience)
    bproject.broadcast("gsm161", "x" * 161, audience)
    bproject.broadcast("ext", "€" * 80, audience)  # extension chars count two septets: 160
    bproject.broadcast("ext-split", "x" * 152 + "€" + "x" * 10, audience)  # € not split
    bproject.broadcast("ucs70", "こ" * 70, audience)
    bproject.broadcast("ucs71", "こ" * 71, audience)
    bproject.broadcast("wa", "こ" * 500, audience, channel="whatsapp", max_segments_per_message=20)
    with Ledger(":memory:") as ledger:
        plans = {p.name: p for p in bproject.plan(ledger)}
    seg = {n: (p.recipients[0].encoding, p.recipients[0].segments) for n, p in plans.items()}
    assert seg == {
        "gsm160": ("GSM-7", 1),
        "gsm161": ("GSM-7", 2),
        "ext": ("GSM-7", 1),
        "ext-split": ("GSM-7", 2),
        "ucs70": ("UCS-2", 1),
        "ucs71": ("UCS-2", 2),
        "wa": ("UCS-2", 1),
    }
    assert plans["ucs71"].encoding == {"UCS-2": 1}
    # By default only ASCII goes as type 0: € sends (and is counted) as UCS-2.
    del bproject.config["gateway"]["gsm7_as_type0"]
    with Ledger(":memory:") as ledger:
        plans = {p.name: p for p in bproject.plan(ledger)}
    seg = {n: (p.recipients[0].encoding, p.recipients[0].segments) for n, p in plans.items()}
    assert seg["ext"] == ("UCS-2", 2) and seg["ext-split"] == ("UCS-2", 3)
    assert seg["gsm161"] == ("GSM-7", 2) and seg["ucs71"] == ("UCS-2", 2)


def test_suppression_skips_recipients(bproject: BProject) -> None:
    bproject.group("Office", contacts(3))
    bproject.suppress("+62 812 3000 0001")  # any usual spelling: normalised
    bproject.broadcast("news", "News for {{ name }}", {"contacts": {"groups": ["Office"]}})
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    states = [(r.number, r.state) for r in plan.recipients]
    assert states == [(e164(0), "to_send"), (e164(1), "suppressed"), (e164(2), "to_send")]
    assert plan.recipients[1].message == "" and plan.totals.suppressed == 1
    assert not plan.unsafe


def test_group_send_with_suppressed_member_is_unsafe(bproject: BProject) -> None:
    bproject.group("Office", contacts(3))
    bproject.suppress(number(2))
    bproject.broadcast("all", "Office closed tomorrow", {"group": "Office"}, via="group-call")
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    assert plan.kind == "group" and plan.unsafe
    assert "1 suppressed member(s) (0812*****002)" in plan.reasons[0]


def test_group_send_checks_at_plan_time(bproject: BProject) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast("personal", "Hi {{ name }}", {"group": "Office"}, via="group-call")
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="not contact fields"):
        bproject.plan(ledger)
    bproject.broadcasts.clear()
    bproject.broadcast("long", "x" * 161, {"group": "Office"}, via="group-call")
    with Ledger(":memory:") as ledger, pytest.raises(BroadcastError, match="at most 160"):
        bproject.plan(ledger)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"max_recipients": 2}, "3 recipients, over max_recipients 2"),
        ({"max_segments_per_message": 1}, "is 2 SMS segments, over max_segments_per_message 1"),
        ({"max_total_segments": 5}, "6 segments in total, over max_total_segments 5"),
    ],
)
def test_safety_caps_make_the_plan_unsafe(
    bproject: BProject, extra: dict[str, int], reason: str
) -> None:
    bproject.group("Office", contacts(3))
    bproject.broadcast("big", "y" * 200, {"contacts": {"groups": ["Office"]}}, **extra)
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    assert plan.unsafe and any(reason in r for r in plan.reasons), plan.reasons


def test_project_safety_defaults_apply(bproject: BProject) -> None:
    bproject.config["safety"] = {"max_recipients": 2}
    bproject.group("Office", contacts(3))
    bproject.broadcast("big", "hello", {"contacts": {"groups": ["Office"]}})
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
    assert plan.unsafe and plan.limits.max_recipients == 2


def test_not_before_in_the_future_is_planned_not_due(bproject: BProject) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast(
        "later",
        "hello",
        {"contacts": {"groups": ["Office"]}},
        not_before="2025-03-02T09:00:00+07:00",
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)
        assert not plan.due and plan.totals.to_send == 1
        [plan] = bproject.plan(ledger, now=NOW + timedelta(days=2))
        assert plan.due
