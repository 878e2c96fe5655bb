"""plan and apply end to end: the real CLI against a real sandbox gateway over HTTP."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tests.support.numbers import gw, number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, remote_contacts, remote_groups


def test_create_from_empty_then_converged(project: Project, sandbox: Any) -> None:
    project.write_groups(
        group("Office", [contact(1, "Budi Santoso", desc="Direktur"), contact(2, "Siti Aminah")]),
        group("Sales", [contact(3, "Andi Wijaya", address="Jl. Bali 1", birth="1990-08-17")]),
    )
    first = project.plan()
    assert first.exit_code == 2, first.output
    assert "+ add group Office" in first.output
    assert "+ add Budi Santoso 628123" in first.output
    assert "groups: 2 to add; contacts: 3 to add" in first.output

    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert "Apply finished: 5 done, 0 failed, 0 skipped." in applied.output
    assert remote_groups(sandbox) == ["Office", "Sales"]
    rows = {c["name"]: c for c in remote_contacts(sandbox)}
    assert rows["Budi Santoso"]["mobile"] == gw(1)
    assert rows["Budi Santoso"]["desc"] == "Direktur"
    assert rows["Andi Wijaya"]["group"] == "Sales"
    assert rows["Andi Wijaya"]["address"] == "Jl. Bali 1"

    again = project.plan()
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    # apply is idempotent: a second apply is a no-op
    second = project.apply()
    assert second.exit_code == 0
    assert "No changes" in second.output
    assert len(remote_contacts(sandbox)) == 3


def test_field_changes_are_shown_old_to_new(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1, "Budi", desc="Staf")]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Office", [contact(1, "Budi Santoso", desc="Manajer")]))
    result = project.plan()
    assert result.exit_code == 2
    assert "~ change #" in result.output
    assert 'name: "Budi" → "Budi Santoso"' in result.output
    assert 'desc: "Staf" → "Manajer"' in result.output
    assert project.apply().exit_code == 0
    [row] = remote_contacts(sandbox)
    assert (row["name"], row["desc"]) == ("Budi Santoso", "Manajer")
    assert project.plan().exit_code == 0


def test_undeclared_fields_are_left_alone(project: Project, sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "Office")
    sandbox.store.add_contact(
        USERNAME, name="Budi", mobile=number(1), group="Office", address="Jl. Lama", desc="x"
    )
    project.write_groups(group("Office", [contact(1, "Budi")]))
    result = project.plan()
    assert result.exit_code == 0, result.output  # 08… remote vs 08… spec, no fields declared


def test_move_is_one_edit_not_delete_and_add(project: Project, sandbox: Any) -> None:
    project.write_groups(group("A", [contact(1, "Rina")]), group("B", []))
    assert project.apply().exit_code == 0
    [before] = remote_contacts(sandbox)
    project.write_groups(group("A", []), group("B", [contact(1, "Rina")]))
    result = project.plan()
    assert result.exit_code == 2
    assert "> move #" in result.output
    assert 'group: "A" → "B"' in result.output
    assert "delete" not in result.output
    assert project.apply().exit_code == 0
    [after] = remote_contacts(sandbox)
    assert after["id"] == before["id"] and after["group"] == "B"


def test_prune_and_foreign_groups_untouched(project: Project, sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "Office")
    sandbox.store.add_group(USERNAME, "Foreign")
    sandbox.store.add_contact(USERNAME, name="Old", mobile=number(9), group="Office")
    sandbox.store.add_contact(USERNAME, name="Stranger", mobile=number(8), group="Foreign")
    project.write_groups(group("Office", [contact(1, "New")]))
    result = project.plan()
    assert "- delete #" in result.output and "(not in the spec)" in result.output
    # the foreign group is only named as not managed; its contacts are not read
    assert [line for line in result.output.splitlines() if "Foreign" in line] == [
        "1 group on the gateway is not managed: Foreign "
        "(contact counts unknown: they were not listed)."
    ]
    assert "Stranger" not in result.output
    assert project.apply().exit_code == 0
    assert sorted(c["name"] for c in remote_contacts(sandbox)) == ["New", "Stranger"]
    assert remote_groups(sandbox) == ["Foreign", "Office"]


def test_absent_group_deletes_members_then_group(project: Project, sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "Reuni")
    for i in range(3):
        sandbox.store.add_contact(USERNAME, name=f"R{i}", mobile=number(i), group="Reuni")
    project.write_groups(group("Reuni", state="absent"))
    result = project.plan()
    assert "- delete group Reuni" in result.output
    assert "its group is declared absent" in result.output
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert remote_groups(sandbox) == []
    assert remote_contacts(sandbox) == []


def test_duplicates_are_resolved(project: Project, sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "Office")
    keep = sandbox.store.add_contact(USERNAME, name="Budi", mobile=number(1), group="Office")
    sandbox.store.add_contact(USERNAME, name="Budi lama", mobile=gw(1), group="Office")
    project.write_groups(group("Office", [contact(1, "Budi")]))
    result = project.plan()
    assert f"Duplicates in Office: +6281230000001 kept #{keep}" in result.output
    assert project.apply().exit_code == 0
    assert [c["id"] for c in remote_contacts(sandbox)] == [keep]


def test_safety_threshold_needs_force(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(12)]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Office", [contact(i) for i in range(7)]))  # deletes 5 of 12
    result = project.plan()
    assert result.exit_code == 3, result.output
    assert "UNSAFE: would delete 5 of 12" in result.output
    refused = project.apply()
    assert refused.exit_code == 3
    assert "--force" in refused.output
    assert len(remote_contacts(sandbox)) == 12
    forced = project.apply("--force")
    assert forced.exit_code == 0, forced.output
    assert len(remote_contacts(sandbox)) == 7


def test_protected_delete_refused_even_with_force(project: Project, sandbox: Any) -> None:
    project.write_groups(group("VIP", [contact(1, "Bos")], protect=True))
    assert project.apply().exit_code == 0
    project.write_groups(group("VIP", [], protect=True))
    result = project.plan()
    assert result.exit_code == 3
    assert "[PROTECTED: refused]" in result.output
    refused = project.apply("--force")
    assert refused.exit_code == 3
    assert "protect" in refused.output
    assert len(remote_contacts(sandbox)) == 1


def test_stale_plan_file_is_refused(project: Project, sandbox: Any, tmp_path: Path) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 2
    assert "demo-pass" not in out.read_text()
    sandbox.store.add_group(USERNAME, "Office")  # someone else changes the remote meanwhile
    result = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert result.exit_code == 4, result.output
    assert "changed since this plan was made" in result.output
    assert remote_contacts(sandbox) == []


def test_plan_file_is_refused_when_the_spec_changed_since(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    out = tmp_path / "plan.json"
    project.plan("--out", str(out))
    project.write_groups(group("Office", [contact(1, "Budi"), contact(2, "Later")]))
    result = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert result.exit_code == 4, result.output
    assert "only in the plan now: actions › add_contact Office" in result.output
    assert remote_contacts(sandbox) == []


def test_hand_edited_plan_cannot_delete_what_the_spec_protects(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("VIP", [contact(1, "Bos", protect=True), contact(2, "Wakil")]))
    assert project.apply().exit_code == 0
    project.write_groups(group("VIP", [contact(1, "Bos", protect=True)]))
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 2  # deletes Wakil: allowed
    data = json.loads(out.read_text())
    [delete] = data["actions"]
    bos = next(c for c in remote_contacts(sandbox) if c["name"] == "Bos")
    delete.update(id=bos["id"], protected=False)  # an edit pointing the delete at Bos
    delete["before"].update(name="Bos", mobile=bos["mobile"], number="+6281230000001")
    out.write_text(json.dumps(data))
    result = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    # planning again finds a delete of Wakil, not of Bos: the file is refused whole
    assert result.exit_code == 4, result.output
    assert f"only in the saved plan: actions › delete_contact #{bos['id']}" in result.output
    assert len(remote_contacts(sandbox)) == 2


def test_target_and_exclude(project: Project, sandbox: Any) -> None:
    project.write_groups(
        group("Sales Jakarta", [contact(1)]),
        group("Sales Bali", [contact(2)]),
        group("HR", [contact(3)]),
    )
    result = project.plan("--target", "sales*", "--exclude", "*bali")
    assert "Sales Jakarta" in result.output
    assert "Sales Bali" not in result.output and "HR" not in result.output
    assert project.apply("--target", "Sales*").exit_code == 0
    assert remote_groups(sandbox) == ["Sales Bali", "Sales Jakarta"]


def test_json_plan_matches_its_schema(project: Project) -> None:
    project.write_groups(group("Office", [contact(1, "Budi", birth="1990-01-02")]))
    result = project.run("plan", str(project.root), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    schema = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    [_add_group, add_contact] = data["actions"]
    assert add_contact["after"]["name"] == "Budi"  # JSON is data: not masked
    assert add_contact["after"]["birth"] == "1990-01-02"
    assert data["read"]["strategy"] == "none"


def test_pii_is_masked_off_terminal_and_in_markdown(project: Project) -> None:
    project.write_groups(group("Office", [contact(1, "Budi Santoso")]))
    masked = project.run("plan", str(project.root))
    assert "Budi" not in masked.output and number(1) not in masked.output
    assert "B*** S***" in masked.output
    markdown = project.run("plan", str(project.root), "--format", "markdown")
    assert "Budi" not in markdown.output and "```diff" in markdown.output
    shown = project.run("plan", str(project.root), "--show-pii")
    assert "Budi Santoso" in shown.output


def test_apply_without_terminal_needs_auto_approve(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1)]))
    result = project.run("apply", str(project.root))
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert remote_groups(sandbox) == []


def test_bad_credentials_are_a_clean_error(project: Project) -> None:
    project.write_groups(group("Office", [contact(1)]))
    result = project.run("plan", str(project.root), env={"SMSYNC_PASSWORD": "wrong"})
    assert result.exit_code == 1
    assert "1702" in result.output and "Traceback" not in result.output
