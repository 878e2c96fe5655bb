"""--target and --exclude say exactly which groups a run touches: a pattern that matches no
declared group is an error, never a silent "no changes", and a group whose name looks like a
glob is matched by its name."""

from __future__ import annotations

from typing import Any

from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import remote_contacts


def test_typo_in_target_is_an_error_not_no_changes(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1)]))

    plan = project.run("plan", str(project.root), "--detailed-exitcode", "--target", "Ofice")

    assert plan.exit_code == 1, plan.output
    assert "'Ofice' matches no group" in plan.output


def test_group_named_like_a_glob_is_excluded_by_its_name(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Sales [old]", [contact(1), contact(2)]), group("Office", []))
    assert project.apply().exit_code == 0
    project.write_groups(group("Sales [old]", [contact(1)]), group("Office", [contact(3)]))

    applied = project.apply("--exclude", "Sales [old]")

    assert applied.exit_code == 0, applied.output
    assert sorted(c["mobile"] for c in remote_contacts(sandbox, "Sales [old]")) == [gw(1), gw(2)]
    assert [c["mobile"] for c in remote_contacts(sandbox, "Office")] == [gw(3)]
