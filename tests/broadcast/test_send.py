"""Sending end-to-end against the sandbox gateway (real HTTP), checked in the sandbox's record."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from smsync.broadcast import BroadcastError, SendProgress, send_broadcasts
from smsync.broadcast.ledger import group_row_key as group_key
from smsync.gateway import Client
from smsync.gateway.encoding import encode_unicode_hex
from smsync.safety import UnsafePlan
from smsync.sandbox import SandboxServer
from tests.support.numbers import e164, gw, number
from tests.support.project import NOW, BProject, checked, contacts
from tests.support.sandbox import USERNAME, messages, seed_group


def test_per_contact_send_then_resend_sends_nothing(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(5))
    bproject.broadcast("hello", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    events: list[SendProgress] = []
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        report = send_broadcasts(client, plans, ledger, concurrency=3, on_progress=events.append)
        assert (report.sent, report.already_sent, report.failed, report.ok) == (5, 0, 0, True)
        assert sorted(e.done for e in events) == [1, 2, 3, 4, 5]
        assert all(e.outcome == "sent" and "*" in e.to for e in events)
        sent = messages(sandbox)
        assert sorted((m["mobile"], m["text"]) for m in sent) == [
            (gw(i), f"Hi Person {i}") for i in range(5)
        ]
        assert {m["trxid"] for m in sent} == {r.trxid for r in plans[0].recipients}
        rows = ledger.rows("hello")
        assert all(
            r.state == "SENT" and r.msgid and r.body is None and r.body_len > 0 for r in rows
        )

        # Again, even with a changed template: the ledger says they all got it.
        bproject.broadcasts[0]["template"] = "Hello again {{ name }}"
        [plan] = bproject.plan(ledger)
        assert plan.totals.already_sent == 5 and plan.totals.to_send == 0
        report = send_broadcasts(client, [plan], ledger)
        assert (report.sent, report.already_sent) == (0, 5)
        # A stale plan (computed before the first send) sends nothing either.
        report = send_broadcasts(client, plans, ledger)
        assert (report.sent, report.already_sent) == (0, 5)
    assert len(messages(sandbox)) == 5


def test_unicode_goes_as_type_3_with_ucs2_segments(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(2))
    text = "こんにちは {{ name }} " + "é" * 70
    bproject.broadcast("jp", text, {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        [plan] = bproject.plan(ledger)
        assert plan.encoding == {"UCS-2": 2} and plan.totals.segments == 4
        send_broadcasts(client, [plan], ledger)
        assert [r.segments for r in ledger.rows("jp")] == [2, 2]
    sent = sorted(messages(sandbox), key=lambda m: str(m["mobile"]))  # sent concurrently
    assert [(m["type"], m["segments"]) for m in sent] == [(3, 2), (3, 2)]
    assert sent[0]["text"].startswith("こんにちは Person 0")
    assert sandbox.store.credit(USERNAME) == 1000 - 4
    assert encode_unicode_hex("こんにちは世界") == "30533093306B3061306F4E16754C"


def test_group_send_is_one_call_and_not_repeated(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    members = contacts(4)
    bproject.group("Office", members)
    seed_group(sandbox, "Office", members)
    bproject.broadcast(
        "closed",
        "Office closed on {{ day }}",
        {"group": "Office"},
        via="group-call",
        vars={"day": "Friday"},
    )
    with bproject.ledger() as ledger:
        [plan] = bproject.plan(ledger)
        assert plan.kind == "group" and plan.totals.to_send == 4 and plan.group_message
        before = sandbox.stats()["requests"]
        report = send_broadcasts(client, [plan], ledger, check_group=checked(client, bproject))
        # one listing to check the group's rows right before the send, one SendSMSGroup
        assert sandbox.stats()["requests"] - before == 2
        assert report.sent == 4 and report.results[0].group_msgid
        sent = messages(sandbox)
        assert len(sent) == 4 and {m["batch_id"] for m in sent} == {report.results[0].group_msgid}
        assert {m["text"] for m in sent} == {"Office closed on Friday"}
        row = ledger.get("closed", group_key("Office"))
        assert row is not None and row.state == "SENT" and row.recipients == 4
        [plan] = bproject.plan(ledger)
        assert plan.totals.already_sent == 4
        assert send_broadcasts(client, [plan], ledger).sent == 0
    assert len(messages(sandbox)) == 4


def test_pending_group_send_is_not_resent_unless_asked(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    members = contacts(2)
    bproject.group("Office", members)
    seed_group(sandbox, "Office", members)
    bproject.broadcast("closed", "Office closed", {"group": "Office"}, via="group-call")
    with bproject.ledger() as ledger:
        # A run that died after recording the group send as pending, before the answer.
        ledger.record_pending(
            broadcast="closed",
            number=group_key("Office"),
            kind="group",
            channel="sms",
            trxid=None,
            attempt=0,
            body="Office closed",
            segments=1,
            recipients=2,
        )
        [plan] = bproject.plan(ledger)
        assert plan.totals.pending_unknown == 2 and plan.totals.to_send == 0
        assert any("outcome is unknown" in w for w in plan.warnings)
        report = send_broadcasts(client, [plan], ledger)
        assert report.sent == 0 and "unknown" in (report.results[0].skipped_reason or "")
        assert messages(sandbox) == []
        report = send_broadcasts(
            client, [plan], ledger, resend_unknown=True, check_group=checked(client, bproject)
        )
        assert report.sent == 2
    assert len(messages(sandbox)) == 2


def test_group_send_with_suppressed_member_is_refused_even_forced(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    members = contacts(3)
    bproject.group("Office", members)
    seed_group(sandbox, "Office", members)
    bproject.suppress(number(1))
    bproject.broadcast("all", "hello", {"group": "Office"}, via="group-call")
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        with pytest.raises(UnsafePlan, match="suppressed member"):
            send_broadcasts(client, plans, ledger)
        with pytest.raises(UnsafePlan, match="even with --force"):
            send_broadcasts(client, plans, ledger, force=True)
    assert messages(sandbox) == []


def test_suppressed_recipients_are_never_sent(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(4))
    bproject.suppress(number(0), number(3))
    bproject.broadcast("news", "news", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        report = send_broadcasts(client, bproject.plan(ledger), ledger, force=True)
    assert report.sent == 2 and report.results[0].suppressed == 2
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2)]


def test_whatsapp_with_sms_fallback(bproject: BProject, make_sandbox: type) -> None:
    srv = make_sandbox(no_wa_prefixes=(gw(1), gw(3)))
    bproject.group("Office", contacts(4))
    bproject.broadcast(
        "wa",
        "Hi {{ name }}",
        {"contacts": {"groups": ["Office"]}},
        channel="whatsapp",
        fallback="sms",
    )
    bproject.broadcast(
        "wa-only", "Yo {{ name }}", {"contacts": {"groups": ["Office"]}}, channel="whatsapp"
    )
    with Client(srv.url, USERNAME, "demo-pass") as client, bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        report = send_broadcasts(client, plans, ledger)
        wa, wa_only = report.results
        assert (wa.sent, wa.fallback, len(wa.failed)) == (4, 2, 0)
        assert (wa_only.sent, sorted(f.code for f in wa_only.failed)) == (2, ["1751", "1751"])
        rows = {r.number: r for r in ledger.rows("wa")}
        assert rows[e164(1)].channel == "sms" and rows[e164(1)].fallback_from == "whatsapp"
        assert rows[e164(0)].channel == "whatsapp" and rows[e164(0)].fallback_from is None
        assert rows[e164(1)].trxid != plans[0].recipients[1].trxid  # its own trxid
        assert {r.number: r.state for r in ledger.rows("wa-only")}[e164(1)] == "failed"
        # Re-run: fallback recipients are done; the 1751s without fallback are tried again.
        report = send_broadcasts(client, bproject.plan(ledger), ledger)
        assert report.results[0].already_sent == 4 and report.results[1].sent == 0
    by_channel = Counter(
        (m["mobile"], m["channel"]) for m in messages(srv) if m["text"].startswith("Hi")
    )
    assert by_channel == {
        (gw(0), "whatsapp"): 1,
        (gw(1), "sms"): 1,
        (gw(2), "whatsapp"): 1,
        (gw(3), "sms"): 1,
    }


def test_not_before_future_is_not_sent(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast(
        "later",
        "hello",
        {"contacts": {"groups": ["Office"]}},
        not_before=(NOW + timedelta(hours=1)).isoformat(),
    )
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        report = send_broadcasts(client, plans, ledger, now=NOW)
        assert report.sent == 0 and "not due" in (report.results[0].skipped_reason or "")
        assert messages(sandbox) == []
        later = NOW + timedelta(hours=2)
        report = send_broadcasts(client, bproject.plan(ledger, now=later), ledger, now=later)
        assert report.sent == 2


def test_unsafe_plan_refused_without_force(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(3))
    bproject.broadcast("big", "hello", {"contacts": {"groups": ["Office"]}}, max_recipients=2)
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        with pytest.raises(UnsafePlan, match="over max_recipients 2"):
            send_broadcasts(client, plans, ledger)
        assert messages(sandbox) == []
        assert send_broadcasts(client, plans, ledger, force=True).sent == 3


def test_insufficient_credit_stops_cleanly_and_resumes(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    sandbox.store.set_credit(USERNAME, 3)
    bproject.group("Office", contacts(6))
    bproject.broadcast("a", "hello {{ name }}", {"contacts": {"groups": ["Office"]}})
    bproject.broadcast("b", "second", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        report = send_broadcasts(client, bproject.plan(ledger), ledger, concurrency=1)
        a, b = report.results
        assert a.sent == 3 and [f.code for f in a.failed] == ["1708"]
        assert a.not_attempted == 2 and b.sent == 0 and "stopped" in (b.skipped_reason or "")
        assert report.stopped_reason is not None
        assert "insufficient credit (1708)" in report.stopped_reason
        assert "sent 3 of 6" in report.stopped_reason
        assert len(messages(sandbox)) == 3
        sandbox.store.set_credit(USERNAME, 100)
        report = send_broadcasts(client, bproject.plan(ledger), ledger)
        assert [r.sent for r in report.results] == [3, 6] and report.already_sent == 3
    per_number = Counter((m["mobile"], m["text"].split()[0]) for m in messages(sandbox))
    assert set(per_number.values()) == {1} and len(per_number) == 12


def test_pending_contact_row_is_resent_with_the_same_trxid(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast("hello", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        [plan] = bproject.plan(ledger)
        r0 = plan.recipients[0]
        # The previous run fixed the audience, recorded the row, sent, and died before
        # recording the answer.
        ledger.fix_audience("hello", [r.number for r in plan.recipients])
        ledger.record_pending(
            broadcast="hello",
            number=r0.number,
            kind="contact",
            channel="sms",
            trxid=r0.trxid,
            attempt=0,
            body=r0.message,
            segments=1,
        )
        assert r0.trxid is not None
        first = client.send_sms(r0.mobile, r0.message, trxid=r0.trxid)
        [plan] = bproject.plan(ledger)
        assert plan.recipients[0].resume and plan.recipients[0].trxid == r0.trxid
        report = send_broadcasts(client, [plan], ledger)
        assert report.sent == 2
        row = ledger.get("hello", r0.number)
        assert row is not None and row.msgid == first.msgid
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(0), gw(1)]


def test_ledger_keeps_bodies_only_when_asked(
    bproject: BProject, sandbox: SandboxServer, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast("hello", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    monkeypatch.setenv("SMSYNC_LEDGER_KEEP_BODIES", "1")
    with bproject.ledger() as ledger:
        assert ledger.keep_bodies
        send_broadcasts(client, bproject.plan(ledger), ledger)
        [row] = ledger.rows("hello")
    assert row.body == "Hi Person 0" and row.body_len == 11 and len(row.body_sha256) == 64


def test_concurrent_runs_on_one_ledger_are_refused(bproject: BProject, client: Client) -> None:
    from filelock import FileLock

    bproject.group("Office", contacts(1))
    bproject.broadcast("hello", "hi", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        with (
            FileLock(str(ledger.path) + ".lock"),
            pytest.raises(BroadcastError, match="another smsync run"),
        ):
            send_broadcasts(client, plans, ledger)


def test_rate_cap_spaces_requests(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    import time

    bproject.group("Office", contacts(5))
    bproject.broadcast("hello", "hi", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        plans = bproject.plan(ledger)
        start = time.monotonic()
        report = send_broadcasts(client, plans, ledger, concurrency=5, rate=20.0)
        elapsed = time.monotonic() - start
    assert report.sent == 5 and elapsed >= 0.19  # 5 evenly spaced slots at 20/s: >= 4 * 50 ms
