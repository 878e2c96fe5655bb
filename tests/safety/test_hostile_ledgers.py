"""A ledger that cannot be used is one clear error, never a traceback, a hang or a fresh empty
ledger that would send every group broadcast again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, contact, group


def broadcast_project(project: Project, ledger: str) -> None:
    project.write_groups(group("Office", [contact(1)]))
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: libur\naudience: {group: Office}\ntemplate: Kantor libur.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], ledger=ledger)


def corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))


def truncated(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sends (x)")
        db.executemany("INSERT INTO sends VALUES (?)", [("y" * 500,)] * 200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("kind", ["directory", "dev-null", "corrupt", "truncated"])
@pytest.mark.parametrize("command", ["plan", "apply", "status"])
def test_unusable_ledger_is_one_clear_error(
    project: Project, sandbox: Any, kind: str, command: str
) -> None:
    if kind == "directory":
        (project.root / "ledger").mkdir()
        ledger = "ledger"
    elif kind == "dev-null":
        ledger = "/dev/null"
    else:
        ledger = "ledger.sqlite"
        (corrupt if kind == "corrupt" else truncated)(project.root / ledger)
    broadcast_project(project, ledger)

    args = {
        "plan": ["plan", str(project.root)],
        "apply": ["apply", str(project.root), "--auto-approve"],
        "status": ["status", str(project.root), "--no-refresh"],
    }[command]
    result = project.run(*args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "ledger" in result.output
    assert sandbox.store.snapshot()["messages"] == []


@pytest.mark.parametrize("when", ["plan", "send"])
def test_ledger_held_by_another_program_is_one_clear_error(
    project: Project, sandbox: Any, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    import sqlite3

    from smsync.broadcast import ledger as ledger_module

    monkeypatch.setattr(ledger_module, "BUSY_TIMEOUT_S", 0.2)
    project.write_groups(group("Office", [contact(1)]))
    folder = project.root / "broadcasts"
    folder.mkdir()
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    if when == "send":
        assert project.apply("--no-broadcasts").exit_code == 0
    path = project.root / ".smsync" / "ledger.sqlite"
    path.parent.mkdir(exist_ok=True)
    with ledger_module.Ledger(path):
        pass
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE" if when == "plan" else "BEGIN IMMEDIATE")
    try:
        result = project.run("apply", str(project.root), "--auto-approve")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert result.exit_code == 1, result.output
    assert "is busy" in result.output, result.output
    assert sandbox.store.snapshot()["messages"] == []


@pytest.mark.parametrize("victim", [".smsync/ledger.sqlite", "smsync.yaml", "groups/groups.yaml"])
def test_plan_out_never_overwrites_a_file_that_is_not_a_plan(
    project: Project, sandbox: Any, victim: str
) -> None:
    project.write_groups(group("Office", [contact(1)]))
    folder = project.root / "broadcasts"
    folder.mkdir()
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: libur\naudience: {group: Office}\ntemplate: Kantor libur.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    assert project.apply().exit_code == 0
    target = project.root / victim
    before = target.read_bytes()

    result = project.run("plan", str(project.root), "--out", str(target))

    assert result.exit_code == 1, result.output
    assert "not an earlier output" in result.output
    assert target.read_bytes() == before
    again = project.run("plan", str(project.root), "--out", str(project.root / "p.json"))
    assert (
        again.exit_code == 0
        and project.run("plan", str(project.root), "--out", str(project.root / "p.json")).exit_code
        == 0
    )
