"""Broadcast modes through the real CLI against the sandbox: a ``once`` announcement reaches
the audience fixed at its first send and then is complete; ``ongoing`` reaches each newcomer."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

OFFICE = {"contacts": {"groups": ["Office"]}}


def _setup(project: Project, members: list[int], **broadcast: Any) -> None:
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config()
    project.write_groups(group("Office", [contact(i) for i in members]))
    doc = {"kind": "Broadcast", "name": "rapat", "audience": OFFICE, "template": "Rapat 15 Des"}
    project.write_documents("broadcasts/b.yaml", [{**doc, **broadcast}])


def _messages_to(srv: SandboxServer) -> list[str]:
    return sorted(m["mobile"] for m in srv.store.snapshot()["messages"])


def test_newcomer_does_not_get_a_once_broadcast_sent_before_they_joined(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    assert project.apply().exit_code == 0
    assert _messages_to(sandbox) == [gw(1), gw(2)]
    _setup(project, [1, 2, 3])
    out = project.plan().output
    assert "Broadcast rapat (sms, per contact): complete" in out
    assert "→" not in out  # no samples: nothing to send
    assert project.apply().exit_code == 0
    assert _messages_to(sandbox) == [gw(1), gw(2)]


def test_complete_broadcast_costs_no_requests(project: Project, sandbox: SandboxServer) -> None:
    # an audience in a group the spec does not declare is listed on the gateway while open
    for i in (1, 2):
        sandbox.store.add_contact(USERNAME, f"Remote {i}", gw(i), "Remote")
    _setup(project, [5], audience={"contacts": {"groups": ["Remote"]}})
    project.apply()
    assert _messages_to(sandbox) == [gw(1), gw(2)]
    before = sandbox.stats()["requests"]
    assert "complete (2 sent)" in project.plan().output
    with_broadcast = sandbox.stats()["requests"] - before
    project.write_documents("broadcasts/b.yaml", [])
    before = sandbox.stats()["requests"]
    project.plan()
    assert with_broadcast == sandbox.stats()["requests"] - before


def test_first_run_that_sent_nothing_has_fixed_the_audience(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    # every send refused: the first run records the audience, then sends nothing
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("1703",), fault_paths=("sendsms",))
    project = make_project(srv)
    _setup(project, [1, 2])
    project.apply()
    assert _messages_to(srv) == []
    srv.config = dataclasses.replace(srv.config, fault_rate=0.0)  # the gateway recovers
    _setup(project, [1, 2, 3])
    out = project.plan().output
    assert "2 to send, 0 already sent" in out and "1 joined after it was sent" in out
    project.apply()
    assert _messages_to(srv) == [gw(1), gw(2)]


def test_once_broadcast_past_not_after_is_closed_and_says_how_many_never_got_it(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2], not_after="2020-01-01T00:00:00+07:00")
    result = project.plan()
    assert "closed since 2020-01-01T00:00:00+07:00: 2 never sent" in result.output
    assert project.apply().exit_code == 0
    assert _messages_to(sandbox) == []
    assert project.plan().exit_code == 0  # closed: nothing left to do


def test_not_after_without_offset_is_one_clear_error(project: Project) -> None:
    _setup(project, [1], not_after="2020-01-01T00:00:00")
    result = project.plan()
    assert result.exit_code == 1
    assert "not_after" in result.output + result.stderr and "Traceback" not in result.output


def test_broadcast_sent_before_modes_keeps_its_recipients_as_audience(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    project.apply()
    # a ledger written before audiences were recorded holds only the sends
    db = sqlite3.connect(project.root / ".smsync" / "ledger.sqlite")
    with db:
        db.execute("DELETE FROM audiences")
    db.close()
    _setup(project, [1, 2, 3])
    assert "complete" in project.plan().output
    project.apply()
    assert _messages_to(sandbox) == [gw(1), gw(2)]


def test_ongoing_broadcast_reaches_each_newcomer_once(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2], mode="ongoing", template="Selamat datang {{ name }}")
    project.apply()
    _setup(project, [1, 2, 3], mode="ongoing", template="Selamat datang {{ name }}")
    out = project.plan().output
    assert "1 newcomer to send" in out
    project.apply()
    project.apply()
    assert _messages_to(sandbox) == [gw(1), gw(2), gw(3)]


def test_renamed_broadcast_is_planned_as_a_new_one_and_says_so(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    project.apply()
    _setup(project, [1, 2], name="rapat-desember")
    out = project.plan().output
    assert "Broadcast rapat-desember (sms, per contact): 2 recipients: 2 to send" in out
    assert "new broadcast: nothing is recorded under this name" in out
    assert "no longer declares ('rapat' (2))" in out


def test_apply_records_completion_so_later_plans_read_one_row(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2])
    project.apply()
    project.apply()  # this plan found it complete: apply records that
    db = sqlite3.connect(project.root / ".smsync" / "ledger.sqlite")
    with db:  # neither the audience nor the sends are read any more
        db.execute("DELETE FROM audiences")
        db.execute("UPDATE sends SET state='pending'")
    db.close()
    assert "Broadcast rapat (sms, per contact): complete (2 sent)" in project.plan().output
    forgot = project.run("state", "forget", "rapat", "--project", str(project.root))
    assert forgot.exit_code == 0, forgot.output
    assert "2 recipients: 2 to send" in project.plan().output
