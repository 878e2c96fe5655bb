"""A group audience is sent per member by default: one sendSMS per member with a trxid derived
from the broadcast, the number and the message (the gateway deduplicates a repeat even when the
state is lost), the suppression list honoured, a ledger row and a delivery status per member,
and every mode available. ``via: group-call`` keeps the single SendSMSGroup call, and its plan
says what that call cannot guarantee."""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

from smsync.broadcast import Ledger, make_trxid
from smsync.sandbox import SandboxServer
from tests.support.numbers import e164, gw, number
from tests.support.project import BProject, Project, contact, contacts, group
from tests.support.sandbox import messages


def _setup(
    project: Project, members: list[int], *, suppress: tuple[int, ...] = (), **b: Any
) -> None:
    project.write_groups(group("Office", [contact(i, f"Orang {i}") for i in members]))
    doc = {
        "kind": "Broadcast",
        "name": "libur",
        "audience": {"group": "Office"},
        "template": "Halo {{ name }}, kantor libur besok.",
        **b,
    }
    project.write_documents("broadcasts/b.yaml", [doc])
    (project.root / "suppress.txt").write_text("".join(number(i) + "\n" for i in suppress))
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], suppression_file="suppress.txt"
    )


def _sent(srv: SandboxServer) -> Counter[str]:
    return Counter(m["mobile"] for m in messages(srv))


def test_group_broadcast_default_sends_each_member_once_even_after_the_ledger_file_is_deleted(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2, 3], suppress=(3,))
    first = project.apply()
    assert first.exit_code == 0, first.output
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}  # the suppressed member is not messaged
    sent = messages(sandbox)
    assert all(m["batch_id"] is None for m in sent)  # one sendSMS each, no SendSMSGroup batch
    expected = {
        gw(i): make_trxid("libur", e164(i), f"Halo Orang {i}, kantor libur besok.") for i in (1, 2)
    }
    assert {m["mobile"]: m["trxid"] for m in sent} == expected

    shutil.rmtree(project.root / ".smsync")  # the state is lost (a new CI runner)
    again = project.apply()

    assert again.exit_code == 0, again.output
    # the same trxids again: the gateway answers the first sends and messages nobody twice
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_group_broadcast_default_keeps_a_ledger_row_and_a_status_per_member(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    assert project.apply().exit_code == 0
    with Ledger(project.root / ".smsync" / "ledger.sqlite") as ledger:
        rows = ledger.rows("libur")
    assert [(r.number, r.kind, r.state) for r in rows] == [
        (e164(1), "contact", "SENT"),
        (e164(2), "contact", "SENT"),
    ]
    assert all(r.msgid and r.trxid for r in rows)
    assert len({r.msgid for r in rows}) == 2


def test_once_group_broadcast_fixes_its_members_at_the_first_send(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    assert project.apply().exit_code == 0
    _setup(project, [1, 2, 3])  # a newcomer joins the group

    out = project.plan().output
    assert "Broadcast libur (sms, per member of Office): complete (2 sent)" in out
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_ongoing_group_broadcast_reaches_each_newcomer_once(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1], mode="ongoing")
    assert project.apply().exit_code == 0
    _setup(project, [1, 2], mode="ongoing")
    plan = project.plan()
    assert "1 newcomer to send" in plan.output, plan.output
    assert project.apply().exit_code == 0
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_group_call_plan_says_what_the_call_cannot_guarantee(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2], via="group-call", template="Kantor libur besok.")
    out = project.plan().output
    assert "group call to Office" in out
    assert "carries no trxid, so the gateway cannot deduplicate it" in out
    assert "the gateway does not honour the suppression list" in out
    assert "no delivery status per member" in out
    assert project.apply().exit_code == 0
    assert len({m["batch_id"] for m in messages(sandbox)}) == 1  # one SendSMSGroup call
    # sent: the plan has nothing more to say about it
    assert "carries no trxid" not in project.plan().output


def test_group_call_with_a_suppressed_member_is_refused_per_member_is_not(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2], suppress=(2,), via="group-call", template="Kantor libur besok.")
    refused = project.apply("--force")
    assert refused.exit_code == 3, refused.output
    assert "suppressed member" in refused.output
    assert messages(sandbox) == [] and sandbox.store.snapshot()["groups"] == []

    _setup(project, [1, 2], suppress=(2,))
    done = project.apply()
    assert done.exit_code == 0, done.output
    assert _sent(sandbox) == {gw(1): 1}


def test_recurring_broadcast_to_a_group_audience_sends_each_member_their_occurrence(
    bproject: BProject,
) -> None:
    bproject.group("Office", contacts(2, birth="1990-03-01") + contacts(1, start=2))
    bproject.broadcast(
        "ultah",
        "Selamat ulang tahun ke-{{ age }}, {{ name }}!",
        {"group": "Office"},
        mode="recurring",
        schedule={"on": "birth"},
    )
    with Ledger(":memory:") as ledger:
        [plan] = bproject.plan(ledger)  # NOW is 1 March 2025
    assert (plan.name, plan.kind) == ("ultah@2025-03-01", "contacts")
    assert [(r.number, r.message) for r in plan.recipients] == [
        (e164(0), "Selamat ulang tahun ke-35, Person 0!"),
        (e164(1), "Selamat ulang tahun ke-35, Person 1!"),
    ]
    assert all(r.trxid for r in plan.recipients)
