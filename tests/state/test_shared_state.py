"""The state is shared by every run that names it: what one run sent, another (on another
machine, in a fresh checkout) does not send again, and only one apply of a gateway account
writes at a time. Each test runs against every backend, each a real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smsync.broadcast import Ledger
from smsync.manager import Manager, gateway_identity
from smsync.state import open_backend
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, messages
from tests.support.state import broadcast_project, fresh_checkout


def account(project: Project, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SMSYNC_PASSWORD", PASSWORD)
    return gateway_identity(Manager(project.root).credentials())


def test_a_fresh_checkout_sharing_the_state_sends_nothing_again(
    project: Project, sandbox: Any, tmp_path: Path, state: str
) -> None:
    broadcast_project(project, state)
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert len(messages(sandbox)) == 4  # two per-contact messages, a group send to two

    runner = fresh_checkout(project, tmp_path, "runner2")
    planned = runner.plan()
    assert planned.exit_code == 0, planned.output  # nothing to send, nothing to change
    assert runner.apply().exit_code == 0
    assert len(messages(sandbox)) == 4


def test_plan_never_creates_the_state(project: Project, sandbox: Any, state: str) -> None:
    broadcast_project(project, state)
    assert project.plan().exit_code == 2
    with open_backend(state, project.root) as backend:
        assert not backend.exists


def test_second_apply_of_one_account_is_refused_naming_the_holder(
    project: Project, sandbox: Any, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broadcast_project(project, state)
    with open_backend(state, project.root) as other_run:
        held = other_run.lock(account(project, monkeypatch))
        result = project.apply("--lock-timeout", "0.3")
        assert result.exit_code == 1, result.output
        assert held.id in result.output and held.who in result.output
        assert f"smsync state unlock {held.id}" in result.output
        assert "waited" in result.output
        assert messages(sandbox) == []
        other_run.release(held)
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 4


def test_each_write_is_stored_before_it_returns(project: Project, state: str) -> None:
    with open_backend(state, project.root) as backend, Ledger(backend) as ledger:
        ledger.record_pending(
            broadcast="b",
            number="+628123",
            kind="contact",
            channel="sms",
            trxid="t1",
            attempt=0,
            body="hi",
            segments=1,
        )
        # another process (a new runner) reads the state while this one is still open
        with open_backend(state, project.root) as reader, Ledger(reader) as seen:
            row = seen.get("b", "+628123")
            assert row is not None and row.state == "pending" and row.trxid == "t1"
        ledger.record_sent("b", "+628123", "m1")
    with open_backend(state, project.root) as reader, Ledger(reader) as seen:
        row = seen.get("b", "+628123")
        assert row is not None and row.state == "SENT" and row.msgid == "m1"


def test_state_forget_allows_one_broadcast_to_be_sent_again(
    project: Project, sandbox: Any, state: str
) -> None:
    broadcast_project(project, state)
    assert project.apply().exit_code == 0
    forgot = project.run("state", "forget", "libur", "--project", str(project.root))
    assert forgot.exit_code == 0, forgot.output
    assert "forgot 1 row(s)" in forgot.output
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 6  # the group send to two again, the others not


def test_state_show_masks_numbers_unless_asked(project: Project, sandbox: Any, state: str) -> None:
    broadcast_project(project, state)
    project.write_groups(group("Office", [contact(1, protect=True), contact(2)]))
    assert project.apply().exit_code == 0
    shown = project.run("state", "show", str(project.root))
    assert shown.exit_code == 0, shown.output
    assert "broadcast rapat:" in shown.output and "protected (remembered)" in shown.output
    assert "+628123" not in shown.output and "08123" not in shown.output
    full = project.run("state", "show", str(project.root), "--show-pii")
    assert "+6281230000001" in full.output
