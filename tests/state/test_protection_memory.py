"""Protection that survives removal: once an item was applied with `protect: true`, removing
it together with its flag in one change is refused (exit 3, even with --force); dropping the
flag first (applied), then removing the item, works. Against every backend."""

from __future__ import annotations

from typing import Any

from smsync.plan.model import Action, Op, Plan, Record
from smsync.safety import Rule, remembered_protection_findings
from tests.support.project import Project, contact, group
from tests.support.sandbox import remote_contacts, remote_groups


def test_removing_a_protected_contact_with_its_flag_is_refused_even_with_force(
    project: Project, sandbox: Any, state: str
) -> None:
    project.write_config(state=state)
    project.write_groups(group("Office", [contact(1, protect=True), contact(2)]))
    assert project.apply().exit_code == 0

    project.write_groups(group("Office", [contact(2)]))  # contact 1 and its flag, in one change
    planned = project.plan()
    assert planned.exit_code == 3, planned.output
    result = project.apply("--force")

    assert result.exit_code == 3, result.output
    assert "0812-***-***01" in result.output or "***" in result.output
    assert "first drop `protect: true`" in result.output
    assert "then remove it" in result.output
    assert len(remote_contacts(sandbox, "Office")) == 2


def test_a_protected_contact_is_removed_in_two_reviewed_steps(
    project: Project, sandbox: Any, state: str
) -> None:
    project.write_config(state=state)
    project.write_groups(group("Office", [contact(1, protect=True), contact(2)]))
    assert project.apply().exit_code == 0

    project.write_groups(group("Office", [contact(1), contact(2)]))  # step 1: the flag
    assert project.apply().exit_code == 0
    project.write_groups(group("Office", [contact(2)]))  # step 2: the contact
    result = project.apply()

    assert result.exit_code == 0, result.output
    assert len(remote_contacts(sandbox, "Office")) == 1


def test_deleting_a_protected_group_with_its_flag_is_refused(
    project: Project, sandbox: Any, state: str
) -> None:
    project.write_config(state=state)
    project.write_groups(group("Office", [contact(1)], protect=True), group("Gudang", []))
    assert project.apply().exit_code == 0

    project.write_groups(group("Office", state="absent"), group("Gudang", []))
    result = project.apply("--force")

    assert result.exit_code == 3, result.output
    assert "group 'Office' was applied with `protect: true`" in result.output
    assert "Office" in remote_groups(sandbox)


def test_remembered_protection_is_a_rule_force_cannot_override() -> None:
    gone = Record(name="A", mobile="628123", number="+628123000001", group="Office")
    plan = Plan.__new__(Plan)
    plan.actions = [
        Action(Op.DELETE_CONTACT, "Office", id=7, before=gone),
        Action(Op.DELETE_GROUP, "Gudang", id=3),
    ]
    found = remembered_protection_findings(
        plan, {("contact", "office", "+628123000001"), ("group", "gudang", "")}
    )
    assert [f.rule for f in found] == [Rule.REMEMBERED_PROTECTION] * 2
    assert not Rule.REMEMBERED_PROTECTION.forcible
    assert remembered_protection_findings(plan, set()) == []
