"""`smsync apply PLAN_FILE` executes only what planning again, from the current spec and the
gateway's own rows, would do now: a saved plan is an approval, never a list of orders.

Every test edits or outdates a real `plan --out` file, applies it through the real CLI against a
real sandbox, and checks the sandbox's own rows and messages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from smsync.cli import cli
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, USERNAME, remote_contacts

EXIT_STALE = 4


def save_plan(project: Project, path: Path) -> dict[str, Any]:
    made = project.run("plan", str(project.root), "--out", str(path), "--show-pii")
    assert made.exit_code == 0, made.output
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def apply_file(project: Project, path: Path) -> Any:
    return project.run("apply", str(path), "--project", str(project.root), "--auto-approve")


def row(server: Any, mobile: str) -> dict[str, Any]:
    found = [c for c in server.store.snapshot()["contacts"] if c["mobile"] == mobile]
    assert len(found) == 1, found
    return found[0]


def record(c: dict[str, Any], number: str) -> dict[str, Any]:
    return {
        "name": c["name"],
        "mobile": c["mobile"],
        "number": number,
        "group": c["group"],
        "address": c.get("address", ""),
        "birth": None,
        "desc": c.get("desc", ""),
    }


def test_hand_edited_plan_cannot_delete_a_protected_contact_as_a_duplicate(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1, protect=True), contact(2)]))
    assert project.apply().exit_code == 0
    keep, other = row(sandbox, gw(1)), row(sandbox, gw(2))
    plan_file = tmp_path / "plan.json"
    data = save_plan(project, plan_file)
    assert data["actions"] == []
    data["actions"].append(
        {
            "op": "delete_contact",
            "group": "Office",
            "id": keep["id"],
            "before": record(keep, "+" + gw(1)),
            "after": None,
            "changes": [],
            "reason": f"duplicate of #{other['id']}",
            "protected": False,
        }
    )
    plan_file.write_text(json.dumps(data))

    applied = apply_file(project, plan_file)

    assert applied.exit_code == EXIT_STALE, applied.output
    assert "delete_contact" in applied.output  # says what differs
    assert row(sandbox, gw(1))["id"] == keep["id"]


def test_hand_edited_plan_cannot_delete_contacts_of_an_undeclared_group(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    victim = sandbox.store.add_contact(USERNAME, "Orang Lain", gw(9), "Keluarga")
    plan_file = tmp_path / "plan.json"
    data = save_plan(project, plan_file)
    data["actions"].append(
        {
            "op": "delete_contact",
            "group": "Office",
            "id": victim,
            "before": None,
            "after": None,
            "changes": [],
            "reason": "",
            "protected": False,
        }
    )
    plan_file.write_text(json.dumps(data))

    applied = apply_file(project, plan_file)

    assert applied.exit_code == EXIT_STALE, applied.output
    assert [c["id"] for c in remote_contacts(sandbox, "Keluarga")] == [victim]


def test_hand_edited_plan_cannot_delete_an_undeclared_group_under_another_label(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1)]), group("Lama", state="absent"))
    assert project.apply().exit_code == 0
    sandbox.store.add_contact(USERNAME, "Orang Lain", gw(9), "Keluarga")
    keluarga = next(g for g in sandbox.store.snapshot()["groups"] if g["name"] == "Keluarga")
    plan_file = tmp_path / "plan.json"
    data = save_plan(project, plan_file)
    data["actions"].append(
        {
            "op": "delete_group",
            "group": "Lama",
            "id": keluarga["id"],
            "before": None,
            "after": None,
            "changes": [],
            "reason": "declared with state: absent",
            "protected": False,
        }
    )
    plan_file.write_text(json.dumps(data))

    applied = apply_file(project, plan_file)

    assert applied.exit_code == EXIT_STALE, applied.output
    assert "Keluarga" in {g["name"] for g in sandbox.store.snapshot()["groups"]}


def test_spec_change_after_plan_out_refuses_the_saved_plan(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Office", [contact(1)]))  # plan: delete contact 2
    plan_file = tmp_path / "plan.json"
    assert len(save_plan(project, plan_file)["actions"]) == 1
    project.write_groups(group("Office", [contact(1), contact(2)], protect=True))

    applied = apply_file(project, plan_file)

    assert applied.exit_code == EXIT_STALE, applied.output
    assert len(remote_contacts(sandbox, "Office")) == 2


def write_per_contact_broadcast(project: Project) -> None:
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10.\n"
    )
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], suppression_file="suppression.txt"
    )
    (project.root / "suppression.txt").write_text("# opted out\n")


def test_number_suppressed_after_plan_out_is_not_messaged(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_per_contact_broadcast(project)
    plan_file = tmp_path / "plan.json"
    save_plan(project, plan_file)
    (project.root / "suppression.txt").write_text(f"+{gw(2)}\n")

    applied = apply_file(project, plan_file)

    assert applied.exit_code == EXIT_STALE, applied.output
    assert sandbox.store.snapshot()["messages"] == []
    # planning again from the current spec leaves the opted-out number out
    assert project.apply().exit_code == 0
    assert [m["mobile"] for m in sandbox.store.snapshot()["messages"]] == [gw(1)]


def test_saved_plan_outside_its_project_is_refused(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    assert project.apply().exit_code == 0
    folder = project.root / "broadcasts"
    folder.mkdir()
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: libur\naudience: {group: Office}\ntemplate: Kantor libur.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    plan_file = tmp_path / "plan.json"
    save_plan(project, plan_file)
    assert project.apply().exit_code == 0
    assert len(sandbox.store.snapshot()["messages"]) == 2
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        applied = CliRunner().invoke(
            cli,
            ["apply", str(plan_file), "--auto-approve"],
            env={
                "SMSYNC_PASSWORD": PASSWORD,
                "SMSYNC_ENDPOINT": sandbox.url,
                "SMSYNC_USERNAME": USERNAME,
                "CI": "1",
            },
        )
    finally:
        os.chdir(cwd)

    assert applied.exit_code == 1, applied.output
    assert "smsync.yaml" in applied.output
    assert len(sandbox.store.snapshot()["messages"]) == 2
    assert not (elsewhere / ".smsync").exists()


def test_unchanged_saved_plan_applies_exactly_its_actions(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    plan_file = tmp_path / "plan.json"
    save_plan(project, plan_file)

    applied = apply_file(project, plan_file)

    assert applied.exit_code == 0, applied.output
    assert sorted(c["mobile"] for c in remote_contacts(sandbox, "Office")) == [gw(1), gw(2)]
