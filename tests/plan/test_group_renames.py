"""Renaming a group with ``renamed_from``: one groupEdit that keeps the group's id and every
member's id, never a new group plus copies of its contacts next to an orphaned old group."""

from __future__ import annotations

import json
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, remote_contacts, remote_groups


def _group_ids(sandbox: SandboxServer) -> dict[str, int]:
    snap = sandbox.store.snapshot()
    return {g["name"]: g["id"] for g in snap["groups"] if g.get("account", USERNAME) == USERNAME}


def test_renamed_from_renames_the_group_in_place_and_keeps_its_members(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Pelanggan", [contact(1, "Budi"), contact(2, "Siti")]))
    assert project.apply().exit_code == 0
    gid = _group_ids(sandbox)["Pelanggan"]
    ids = sorted(c["id"] for c in remote_contacts(sandbox))

    project.write_groups(
        group(
            "Pelanggan Setia",
            [contact(1, "Budi"), contact(2, "Siti Aminah")],
            renamed_from="Pelanggan",
        )
    )
    planned = project.plan()
    assert planned.exit_code == 2, planned.output
    assert "rename group" in planned.output
    assert "add group" not in planned.output
    assert "+ add" not in planned.output
    assert "groups: 1 to rename; contacts: 1 to change" in planned.output, planned.output

    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert _group_ids(sandbox) == {"Pelanggan Setia": gid}
    rows = remote_contacts(sandbox)
    assert sorted(c["id"] for c in rows) == ids
    assert {c["group"] for c in rows} == {"Pelanggan Setia"}
    assert {c["name"] for c in rows} == {"Budi", "Siti Aminah"}
    # renamed_from may stay in the spec: harmless once applied
    assert project.plan().exit_code == 0


def test_renamed_from_a_group_the_gateway_lacks_is_a_plain_add_said_plainly(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Setia", [contact(1, "Budi")], renamed_from=["Lama", "Kuno"]))
    planned = project.plan()
    assert planned.exit_code == 2, planned.output
    assert "+ add group Setia" in planned.output
    assert "renamed from 'Lama', 'Kuno', which the gateway does not have" in planned.output
    as_json = json.loads(project.plan("--format", "json").output)
    assert any("which the gateway does not have" in n for n in as_json["notes"])
    assert project.apply().exit_code == 0
    assert remote_groups(sandbox) == ["Setia"]


def test_renamed_from_a_group_another_document_declares_is_a_spec_error(
    project: Project,
) -> None:
    project.write_groups(
        group("Setia", [contact(1, "Budi")], renamed_from="Office"),
        group("Office", [contact(2, "Siti")]),
    )
    result = project.plan()
    assert result.exit_code == 1
    assert "renamed_from" in result.output + (result.stderr or "")
    assert "declared as a group of its own" in result.output + (result.stderr or "")


def test_rename_is_refused_when_the_old_group_is_not_the_one_the_plan_saw(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Lama", [contact(1, "Budi")]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Baru", [contact(1, "Budi")], renamed_from="Lama"))
    out = project.root / "plan.json"
    assert project.run("plan", str(project.root), "--out", str(out)).exit_code in (0, 2)
    # the group is replaced behind the plan's back: same name, another id
    gid = _group_ids(sandbox)["Lama"]
    for row in remote_contacts(sandbox):
        sandbox.store.delete_contact(USERNAME, row["id"])
    sandbox.store.delete_group(USERNAME, gid)
    sandbox.store.add_group(USERNAME, "Lama")
    applied = project.run("apply", str(project.root), str(out), "--auto-approve")
    assert applied.exit_code != 0
    assert "Baru" not in remote_groups(sandbox)


def test_both_old_and_new_group_on_the_gateway_leaves_the_old_one_unmanaged(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Lama", [contact(1, "Budi")]), group("Baru", [contact(2, "Siti")]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Baru", [contact(2, "Siti")], renamed_from="Lama"))
    planned = project.plan()
    assert planned.exit_code == 0, planned.output
    assert "not managed: Lama" in planned.output
    assert remote_groups(sandbox) == ["Baru", "Lama"]


def test_a_group_broadcast_sent_before_the_rename_is_not_sent_again(
    project: Project, sandbox: SandboxServer
) -> None:
    members = [contact(1, "Budi")]
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config()
    broadcast: dict[str, Any] = {
        "kind": "Broadcast",
        "name": "promo",
        "audience": {"group": "Pelanggan"},
        "template": "Halo",
    }
    project.write_documents("broadcasts/b.yaml", [broadcast])
    project.write_groups(group("Pelanggan", members))
    first = project.apply()
    assert first.exit_code == 0, first.output
    sent = len(sandbox.store.snapshot()["messages"])
    assert sent >= 1

    project.write_groups(group("Pelanggan Setia", members, renamed_from="Pelanggan"))
    project.write_documents(
        "broadcasts/b.yaml", [{**broadcast, "audience": {"group": "Pelanggan Setia"}}]
    )
    second = project.apply()
    assert second.exit_code == 0, second.output
    assert len(sandbox.store.snapshot()["messages"]) == sent


def test_a_protection_remembered_under_the_old_name_holds_after_the_rename(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Pelanggan", [contact(1, "Budi"), contact(2, "Siti", protect=True)]))
    assert project.apply().exit_code == 0
    # renamed, and Siti removed together with her flag in the same change
    project.write_groups(group("Pelanggan Setia", [contact(1, "Budi")], renamed_from="Pelanggan"))
    planned = project.plan()
    assert planned.exit_code == 3, planned.output
    assert "was applied with `protect: true`" in planned.output
    assert project.apply("--force").exit_code != 0
    assert "Siti" in {c["name"] for c in remote_contacts(sandbox)}
