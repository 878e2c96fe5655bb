"""Destructive writes are checked against the row behind the id, and never reach outside the
managed groups, whatever a gateway's listing claims."""

from __future__ import annotations

from typing import Any

from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, remote_contacts

FS, RS = "\u0080", "\u0081"


def test_fake_row_in_a_garbled_listing_never_leads_to_a_write_outside_managed_groups(
    make_sandbox: Any, make_project: Any
) -> None:
    # A gateway that prints fields raw: a value holding the record separator followed by a
    # well-formed record fakes a row. Here it claims the id of a contact of another group.
    srv = make_sandbox(raw_fields=True)
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    victim = srv.store.add_contact(USERNAME, "Korban", gw(9), "Keluarga")
    fake = FS.join([str(victim), "Palsu", gw(9), "Office", "", "", ""])
    srv.store.add_contact(USERNAME, "Iseng", gw(2), "Office", desc=RS + fake)

    plan = project.plan()
    assert f"#{victim}" in plan.output  # the fake row is planned for deletion...
    applied = project.apply("--force")

    # ...but the row behind that id is in Keluarga: the delete is refused, the victim stays
    assert applied.exit_code == 1, applied.output
    assert "not the row the plan saw" in applied.output
    assert [c["id"] for c in remote_contacts(srv, "Keluarga")] == [victim]


def test_contacts_of_a_group_that_could_not_be_created_are_skipped_not_added_elsewhere(
    make_sandbox: Any, make_project: Any
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("1703",), fault_paths=("groupadd",))
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1), contact(2)]))

    applied = project.apply()

    assert applied.exit_code == 1, applied.output
    assert "add_contact: 0 done, 0 failed, 2 skipped" in applied.output, applied.output
    assert srv.store.snapshot()["contacts"] == []


def undeclared_group(srv: Any, name: str) -> None:
    srv.store.add_group(USERNAME, name)
    for i, who in ((91, "CFO"), (92, "Akuntan")):
        srv.store.add_contact(USERNAME, who, gw(i), name, create_group=False)


def test_group_whose_name_holds_a_separator_is_never_taken_for_a_declared_group(
    make_sandbox: Any, make_project: Any
) -> None:
    # Made by a colleague in the web UI; a gateway printing values raw lists it as "Office"
    # followed by an extra field, and its members as members of "Office".
    srv = make_sandbox(raw_fields=True)
    undeclared_group(srv, f"Office{FS}Lama")
    project: Project = make_project(srv)
    project.write_groups(group("OFFICE", [contact(1)]))

    plan = project.plan()
    assert plan.exit_code == 3, plan.output
    assert "may hold a field separator" in plan.output
    applied = project.apply("--force")

    assert applied.exit_code == 3, applied.output
    assert {g["name"] for g in srv.store.snapshot()["groups"]} == {f"Office{FS}Lama"}
    assert len(remote_contacts(srv, f"Office{FS}Lama")) == 2


def test_members_of_another_group_are_never_written_whatever_their_listed_group_reads(
    make_sandbox: Any, make_project: Any
) -> None:
    # A name ending in the separator lists as "Office" with nothing after it: no extra field
    # gives it away, and its members' rows read as members of "Office".
    srv = make_sandbox(raw_fields=True)
    undeclared_group(srv, f"Office{FS}")
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1)]))

    applied = project.apply("--force")

    assert applied.exit_code == 1, applied.output
    assert "does not list" in applied.output, applied.output
    assert len(remote_contacts(srv, f"Office{FS}")) == 2
