"""A project on an embedded sandbox (`sandbox://.smsync/sandbox.sqlite`) can be moved or copied:
its ledger names the sandbox relative to the project, and a ledger an earlier smsync bound to the
sandbox's absolute path is rebound, not refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smsync.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("SMSYNC_ENDPOINT", "SMSYNC_USERNAME", "SMSYNC_PASSWORD", "SMSYNC_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "phonebook"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".smsync", "*.sh", "ci"))
    return root


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"CI": "", "NO_COLOR": "1"})


def _bound_to(root: Path) -> str:
    with sqlite3.connect(root / ".smsync" / "ledger.sqlite") as db:
        return str(db.execute("SELECT value FROM meta WHERE key='gateway'").fetchone()[0])


def test_a_copied_sandbox_project_plans_and_applies_with_nothing_sent_again(
    project: Path, tmp_path: Path
) -> None:
    assert _run("apply", str(project), "--auto-approve").exit_code == 0
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(project, copy)

    planned = _run("plan", str(copy), "--detailed-exitcode")
    applied = _run("apply", str(copy), "--auto-approve")

    assert planned.exit_code == 0, planned.output  # no changes: everyone already got it
    assert applied.exit_code == 0, applied.output
    assert _bound_to(copy) == "demo@sandbox://.smsync/sandbox.sqlite"


def test_a_ledger_bound_to_the_absolute_sandbox_path_is_rebound(
    project: Path, tmp_path: Path
) -> None:
    assert _run("apply", str(project), "--auto-approve").exit_code == 0
    old = f"demo@sandbox://{(project / '.smsync' / 'sandbox.sqlite').resolve()}"
    with sqlite3.connect(project / ".smsync" / "ledger.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'gateway'", (old,))
    moved = tmp_path / "moved"
    shutil.move(project, moved)

    applied = _run("apply", str(moved), "--auto-approve")

    assert applied.exit_code == 0, applied.output
    assert _bound_to(moved) == "demo@sandbox://.smsync/sandbox.sqlite"
