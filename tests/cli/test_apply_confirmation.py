"""When `smsync apply` asks, and when it refuses before reading anything.

Terraform's rule: the review of a saved plan is the approval, so `apply PLAN_FILE` does not
ask again; `apply DIR` shows the plan and asks. Without a terminal to ask on, or with the lock
held by another apply, it refuses before reading the gateway and printing the whole plan.
"""

from __future__ import annotations

from smsync.manager import gateway_identity
from smsync.sandbox import SandboxServer
from smsync.state import open_backend
from tests.support.project import Project, contact, group


def test_saved_plan_is_applied_without_asking_again(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))
    plan_file = project.root / "plan.json"
    assert project.run("plan", str(project.root), "--out", str(plan_file)).exit_code == 0

    result = project.run("apply", str(plan_file), "--project", str(project.root))

    assert result.exit_code == 0, result.output
    assert project.plan().exit_code == 0  # applied: nothing left to do


def test_apply_without_a_terminal_refuses_before_planning(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))

    result = project.run("apply", str(project.root))

    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert "Sales" not in result.stdout  # the plan was not read and printed first


def test_apply_with_the_lock_held_refuses_before_printing_the_plan(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))
    creds = project.manager().credentials()
    with open_backend(project.manager().project.state_url(), project.root) as other_run:
        held = other_run.lock(gateway_identity(creds))
        result = project.apply()
        other_run.release(held)

    assert result.exit_code == 1
    assert held.id in result.stderr
    assert "Sales" not in result.stdout
