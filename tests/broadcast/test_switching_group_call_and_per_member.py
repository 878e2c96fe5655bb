"""A broadcast is one announcement, however it is sent: switching ``via: group-call`` on or off
after some of it went out never messages anyone twice, with or without --force (which overrides
thresholds, never a promise)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from smsync.broadcast import Ledger
from smsync.safety import Rule, UnsafePlan, raise_if_unsafe
from smsync.sandbox import SandboxServer
from tests.support.numbers import e164, gw
from tests.support.project import BProject, Project, contact, contacts, group
from tests.support.sandbox import USERNAME, messages


def _setup(project: Project, *, group_call: bool) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    doc: dict[str, Any] = {
        "kind": "Broadcast",
        "name": "libur",
        "audience": {"group": "Office"},
        "template": "Kantor libur besok.",
    }
    if group_call:
        doc["via"] = "group-call"
    project.write_documents("broadcasts/b.yaml", [doc])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])


def _sent(sandbox: SandboxServer) -> Counter[str]:
    return Counter(m["mobile"] for m in messages(sandbox))


def test_broadcast_sent_per_member_then_switched_to_group_call_is_complete(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, group_call=False)
    assert project.apply().exit_code == 0
    _setup(project, group_call=True)

    plan = project.plan()
    assert "complete (2 sent)" in plan.output, plan.output
    assert "warning" not in plan.output
    assert project.apply("--force").exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_group_call_after_a_partial_per_member_send_is_refused_even_with_force(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, group_call=False)

    def sent(progress: Any) -> None:
        if progress.outcome == "sent":
            sandbox.store.set_credit(USERNAME, 0)

    with project.manager().session() as session:
        session.apply(session.plan(), concurrency=1, on_sent=sent)
    sandbox.store.set_credit(USERNAME, 1000)
    assert len(messages(sandbox)) == 1
    _setup(project, group_call=True)

    applied = project.apply("--force")
    assert applied.exit_code == 3, applied.output
    assert "leave out 'via: group-call'" in applied.output
    assert len(messages(sandbox)) == 1
    _setup(project, group_call=False)  # what the refusal says: finish it per member
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_broadcast_sent_as_a_group_call_then_switched_to_per_member_messages_nobody_again(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, group_call=True)
    assert project.apply().exit_code == 0
    _setup(project, group_call=False)

    plan = project.plan()
    assert "complete (2 sent)" in plan.output, plan.output
    assert project.apply("--force").exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_group_call_after_a_per_member_send_of_unknown_outcome_is_refused(
    bproject: BProject,
) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast("libur", "Kantor libur besok.", {"group": "Office"}, via="group-call")
    with Ledger(":memory:") as ledger:
        # a per-member send whose answer never came (the run was killed): maybe delivered
        ledger.record_pending(
            broadcast="libur",
            number=e164(0),
            kind="contact",
            channel="sms",
            trxid="sm1",
            attempt=0,
            body="Kantor libur besok.",
            segments=1,
        )
        [plan] = bproject.plan(ledger)
    [finding] = plan.findings
    assert finding.rule == Rule.ALREADY_CONTACTED and not finding.rule.forcible
    with pytest.raises(UnsafePlan, match="even with --force"):
        raise_if_unsafe(plan.findings, force=True)


def test_group_call_of_unknown_outcome_switched_to_per_member_says_so_and_sends_nothing(
    bproject: BProject,
) -> None:
    bproject.group("Office", contacts(2))
    bproject.broadcast("libur", "Kantor libur besok.", {"group": "Office"})
    with Ledger(":memory:") as ledger:
        # a group call whose answer never came (the run was killed): maybe delivered
        ledger.record_pending(
            broadcast="libur",
            number="group:office",
            kind="group",
            channel="sms",
            trxid=None,
            attempt=0,
            body="Kantor libur besok.",
            segments=1,
            recipients=2,
        )
        [plan] = bproject.plan(ledger)
    assert plan.totals.to_send == 0 and plan.totals.pending_unknown == 2
    [warning] = [w for w in plan.warnings if "group call" in w]
    assert "outcome is unknown" in warning and "--resend-unknown" in warning
