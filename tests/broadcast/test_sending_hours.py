"""Sending hours (smsync.yaml or one broadcast) through the real CLI on a frozen clock: outside
them a due broadcast waits, and plan says when it goes."""

from __future__ import annotations

from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group

OFFICE_HOURS = {"from": "08:00", "until": "20:00"}


def _setup(project: Project, **broadcast: Any) -> None:
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.config["sending_hours"] = OFFICE_HOURS
    project.write_config()
    project.write_groups(group("Office", [contact(1), contact(2)]))
    doc = {
        "kind": "Broadcast",
        "name": "rapat",
        "audience": {"contacts": {"groups": ["Office"]}},
        "template": "Rapat besok jam 10:00",
    }
    project.write_documents("broadcasts/b.yaml", [{**doc, **broadcast}])


def _at(project: Project, command: str, when: str) -> Any:
    args = ["--show-pii"] if command == "plan" else ["--auto-approve"]
    return project.run(command, str(project.root), *args, env={"SMSYNC_NOW": when})


def test_due_broadcast_waits_outside_the_sending_hours_and_plan_says_when_it_goes(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project)
    out = _at(project, "plan", "2027-03-15T21:00:00+07:00").output
    assert "not before 2027-03-16T08:00:00+07:00: planned, not sent yet" in out
    assert "outside the sending hours 08:00-20:00 Asia/Jakarta" in out
    assert _at(project, "apply", "2027-03-15T21:00:00+07:00").exit_code == 0
    assert sandbox.store.snapshot()["messages"] == []
    assert _at(project, "apply", "2027-03-16T08:30:00+07:00").exit_code == 0
    assert len(sandbox.store.snapshot()["messages"]) == 2


def test_a_broadcast_own_sending_hours_replace_the_project_ones(
    project: Project, sandbox: SandboxServer
) -> None:
    # 21:00 in Jakarta is 22:00 WITA, inside 21:00-23:00 Makassar time
    _setup(project, sending_hours={"from": "21:00", "until": "23:00", "timezone": "Asia/Makassar"})
    assert _at(project, "apply", "2027-03-15T21:00:00+07:00").exit_code == 0
    assert len(sandbox.store.snapshot()["messages"]) == 2


def test_sending_hours_with_an_unknown_time_zone_is_one_clear_error(project: Project) -> None:
    _setup(project, sending_hours={"from": "08:00", "until": "20:00", "timezone": "Asia/Jakarat"})
    result = project.plan()
    assert result.exit_code == 1
    out = result.output + (result.stderr or "")
    assert "sending_hours" in out and "'Asia/Jakarat' is not a time zone" in out
    assert "Traceback" not in out
