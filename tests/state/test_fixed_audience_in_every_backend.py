"""A `once` broadcast's fixed audience is state: a fresh checkout sharing the state (another CI
runner) sends it to that audience only, in every backend."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import messages


def _fresh_checkout(project: Project, root: Path) -> Project:
    """The project's files elsewhere, without its .smsync/ (a new CI runner)."""
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns(".smsync"))
    return Project(root, project.endpoint)


def _write(project: Project, members: int, state: str) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(1, members + 1)]))
    project.write_documents(
        "broadcasts/b.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "rapat",
                "audience": {"contacts": {"groups": ["Office"]}},
                "template": "Rapat jam 10.",
            }
        ],
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], state=state)


def test_fresh_checkout_sends_a_once_broadcast_to_the_audience_fixed_elsewhere(
    project: Project, sandbox: SandboxServer, tmp_path: Path, state: str
) -> None:
    # the first runner fixes the audience, but the gateway refuses every message it sends
    fail_sends: dict[str, Any] = {
        "fault_rate": 1.0,
        "fault_kinds": ("1703",),
        "fault_paths": ("sendsms",),
    }
    sandbox.config = dataclasses.replace(sandbox.config, **fail_sends)
    _write(project, 2, state)
    project.apply()
    assert messages(sandbox) == []
    sandbox.config = dataclasses.replace(sandbox.config, fault_rate=0.0)

    runner = _fresh_checkout(project, tmp_path / "runner2")
    _write(runner, 3, state)  # a newcomer joined since
    assert runner.apply().exit_code == 0
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2)]
    assert "complete (2 sent)" in runner.plan().output
    assert runner.apply().exit_code == 0  # nothing to send: records that it is complete
    assert "complete (2 sent)" in runner.plan().output
