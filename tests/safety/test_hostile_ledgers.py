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
        "kind: Broadcast\nname: libur\naudience: {group: Office}\ntemplate: Kantor libur.\n")
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
        project: Project, sandbox: Any, kind: str, command: str) -> None:
    if kind == "directory":
        (project.root / "ledger").mkdir()
        ledger = "ledger"
    elif kind == "dev-null":
        ledger = "/dev/null"
    else:
        ledger = "ledger.sqlite"
        (corrupt if kind == "corrupt" else truncated)(project.root / ledger)
    broadcast_project(project, ledger)

    args = {"plan": ["plan", str(project.root)],
            "apply": ["apply", str(project.root), "--auto-approve"],
            "status": ["status", str(project.root), "--no-refresh"]}[command]
    result = project.run(*args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "ledger" in result.output
    assert sandbox.store.snapshot()["messages"] == []
