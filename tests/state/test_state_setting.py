"""Choosing, moving and repairing the state: `state:`, SMSYNC_STATE, `smsync state unlock`
and `smsync state migrate`, through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smsync.manager import Manager, gateway_identity
from smsync.state import open_backend
from tests.support.project import Project
from tests.support.sandbox import PASSWORD, messages
from tests.support.state import PostgresServer, broadcast_project, fresh_checkout


def test_state_and_ledger_together_is_one_clear_error(project: Project, sandbox: Any) -> None:
    project.write_config(state="local:a.sqlite", ledger="b.sqlite")
    result = project.plan()
    assert result.exit_code == 1, result.output
    assert "state" in result.output and "not both" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["ftp://x/y", "sqlite:foo", "git:"])
def test_unknown_state_backend_is_one_clear_error(
    project: Project, sandbox: Any, value: str
) -> None:
    broadcast_project(project, "local:.smsync/ledger.sqlite")
    result = project.run("plan", str(project.root), env={"SMSYNC_STATE": value})
    assert result.exit_code == 1, result.output
    assert "is not a state backend" in result.output
    assert "Traceback" not in result.output


def test_unreachable_postgresql_is_one_clear_error_without_its_password(
    project: Project, sandbox: Any
) -> None:
    broadcast_project(project, "local:.smsync/ledger.sqlite")
    url = "postgresql://smsync:Sekr3tPw@127.0.0.1:9/state"
    result = project.run("apply", str(project.root), "--auto-approve", env={"SMSYNC_STATE": url})
    assert result.exit_code == 1, result.output
    assert "cannot reach the state database postgresql://smsync@127.0.0.1:9/state" in (
        result.output
    )
    assert "Sekr3tPw" not in result.output and "Traceback" not in result.output
    assert messages(sandbox) == []


def test_state_unlock_breaks_a_dead_runners_lock(
    project: Project, sandbox: Any, postgres: PostgresServer | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(postgres, PostgresServer):
        pytest.skip(postgres)
    state = postgres.database()
    broadcast_project(project, state)
    monkeypatch.setenv("SMSYNC_PASSWORD", PASSWORD)
    hung = open_backend(state, project.root)  # a runner that hangs, holding the lock
    held = hung.lock(gateway_identity(Manager(project.root).credentials()))
    assert project.apply().exit_code == 1

    result = project.run("state", "unlock", held.id, "--project", str(project.root))

    assert result.exit_code == 0, result.output
    assert f"unlocked {held.id}" in result.output
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 4
    hung.close()


def test_a_local_lock_of_a_live_run_is_not_broken(project: Project, sandbox: Any) -> None:
    broadcast_project(project, "local:.smsync/ledger.sqlite")
    with open_backend("local:.smsync/ledger.sqlite", project.root) as live:
        held = live.lock("demo@somewhere")
        result = project.run("state", "unlock", held.id, "--project", str(project.root))
        assert result.exit_code == 1
        assert "a local lock ends with its process" in result.output


def test_state_migrate_copies_verifies_and_switches(
    project: Project, sandbox: Any, tmp_path: Path, postgres: PostgresServer | str
) -> None:
    if not isinstance(postgres, PostgresServer):
        pytest.skip(postgres)
    broadcast_project(project, f"local:{tmp_path / 'old.sqlite'}")
    project.write_groups()
    broadcast_project(project, f"local:{tmp_path / 'old.sqlite'}")
    assert project.apply().exit_code == 0
    target = postgres.database()

    result = project.run("state", "migrate", str(project.root), "--to", target)

    assert result.exit_code == 0, result.output
    assert "copied and verified" in result.output
    assert "state:" in (project.root / "smsync.yaml").read_text()
    (tmp_path / "old.sqlite").unlink()  # the old state is gone: the new one is all there is
    runner = fresh_checkout(project, tmp_path, "runner2")
    assert runner.plan().exit_code == 0
    assert runner.apply().exit_code == 0
    assert len(messages(sandbox)) == 4


def test_a_state_that_vanishes_at_exit_is_refused(project: Project, sandbox: Any) -> None:
    # local::memory: would forget every send at exit: each apply would send group
    # broadcasts again
    broadcast_project(project, "local:.smsync/ledger.sqlite")
    result = project.run(
        "apply", str(project.root), "--auto-approve", env={"SMSYNC_STATE": "local::memory:"}
    )
    assert result.exit_code == 1, result.output
    assert "not durable" in result.output
    assert sandbox.store.snapshot()["messages"] == []
