"""A `once` broadcast's audience is fixed at its first send; a recipient of it who leaves the
audience before being sent (deleted from the phonebook, moved out of the group) is gone: not
sent, not waited for. The broadcast completes without them, and plan says how many left."""

from __future__ import annotations

from typing import Any

from smsync.broadcast import Ledger
from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, messages


def _setup(project: Project, office: list[int], other: tuple[int, ...] = ()) -> None:
    groups = [group("Office", [contact(i) for i in office])]
    if other:
        groups.append(group("Other", [contact(i) for i in other]))
    project.write_groups(*groups)
    doc = {"kind": "Broadcast", "name": "rapat", "audience": {"group": "Office"}}
    project.write_documents("broadcasts/b.yaml", [{**doc, "template": "Rapat 15 Des"}])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])


def _first_send_then_no_credit(project: Project, sandbox: SandboxServer) -> None:
    """Apply, with the credit running out after the first message: the audience is fixed,
    one of it is sent, the others are not."""

    def sent(progress: Any) -> None:
        if progress.outcome == "sent":
            sandbox.store.set_credit(USERNAME, 0)

    with project.manager().session() as session:
        outcome = session.apply(session.plan(), concurrency=1, on_sent=sent)
    assert outcome.broadcasts is not None and outcome.broadcasts.stopped_reason
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]
    sandbox.store.set_credit(USERNAME, 1000)


def test_once_broadcast_completes_when_its_unsent_recipients_left_the_phonebook(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2, 3])
    _first_send_then_no_credit(project, sandbox)
    _setup(project, [1])  # 2 and 3 are deleted from the spec (and so from the gateway)

    plan = project.plan()
    assert "Broadcast rapat (sms, per member of Office): complete (1 sent)" in plan.output
    assert "2 recipient(s) left the audience" in plan.output
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]
    with Ledger(project.root / ".smsync" / "ledger.sqlite") as ledger:
        assert ledger.completed("rapat") is not None  # later plans read one row
    _setup(project, [1, 2, 3])  # back again: the broadcast is over for them
    again = project.plan()
    assert "Broadcast rapat (sms, per member of Office): complete (1 sent)" in again.output
    assert project.apply().exit_code == 0
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]


def test_a_recipient_who_moved_out_of_the_group_is_not_waited_for(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2, 3])
    _first_send_then_no_credit(project, sandbox)
    _setup(project, [1, 2], other=(3,))  # 3 moves to another group before being sent

    plan = project.plan()
    assert "1 to send" in plan.output, plan.output
    assert "1 recipient(s) left the audience" in plan.output
    assert project.apply().exit_code == 0
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2)]
    assert "complete (2 sent)" in project.plan().output
