"""How plan reads the remote: strategies, request counts, page caps, short records, shifts,
and apply's behaviour when answers are lost. Real sandbox, real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smsync.gateway.client import Client
from smsync.gateway.models import Contact, Group, Page
from smsync.gateway.paging import ListingShifted, PageSizer, read_listing
from smsync.manager import Manager, Session
from smsync.plan.fetch import read_remote
from smsync.spec.project import Credentials
from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, USERNAME, remote_contacts


def plan_json(project: Project, *args: str) -> dict[str, Any]:
    result = project.run("plan", str(project.root), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def seed(server: Any, name: str, count: int, start: int = 0) -> None:
    server.store.add_group(USERNAME, name)
    for i in range(start, start + count):
        server.store.add_contact(USERNAME, name=f"Kontak {i}", mobile=number(i), group=name)


def test_strategy_none_when_no_managed_group_exists(project: Project, sandbox: Any) -> None:
    seed(sandbox, "Foreign", 3)
    project.write_groups(group("Office", [contact(1)]))
    read = plan_json(project)["read"]
    assert read["strategy"] == "none"
    assert read["requests"] == read["min_requests"] == 1  # just the group list


def test_strategy_by_group_reads_only_managed_rows(project: Project, sandbox: Any) -> None:
    seed(sandbox, "Foreign", 30)
    seed(sandbox, "Office", 5, start=100)
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(100, 105)]))
    data = plan_json(project)
    assert data["read"]["strategy"] == "by-group"
    assert data["read"]["contacts_read"] == 5
    assert data["read"]["requests"] == data["read"]["min_requests"] == 2
    assert data["actions"] == []


def test_strategy_list_all_when_every_group_is_managed(project: Project, sandbox: Any) -> None:
    seed(sandbox, "A", 4)
    seed(sandbox, "B", 4, start=10)
    project.write_groups(
        group("A", [contact(i, f"Kontak {i}") for i in range(4)]),
        group("B", [contact(i, f"Kontak {i}") for i in range(10, 14)]),
    )
    data = plan_json(project)
    assert data["read"]["strategy"] == "list-all"
    assert data["read"]["requests"] == data["read"]["min_requests"] == 2
    assert data["actions"] == []


def test_capped_page_size_is_detected_not_misread(make_sandbox: Any, make_project: Any) -> None:
    server = make_sandbox(max_page_size=20)
    project = make_project(server)
    seed(server, "Office", 45)
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(45)]))
    data = plan_json(project)  # asks for 100 rows a page; the gateway serves 20
    assert data["actions"] == [], "a capped page was taken for the last one"
    assert data["read"]["contacts_read"] == 45
    assert data["read"]["page_cap"] == 20


class CapsContactsOnly:
    """A gateway that serves 100 groups a page but only 20 contacts a page."""

    def __init__(self) -> None:
        self.groups = [Group(i, f"G{i}") for i in range(1, 31)]
        self.contacts = [Contact(1000 + i, f"K{i}", number(i), "G1") for i in range(45)]

    def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
        size = min(size, 100)
        return Page(self.groups[(page - 1) * size : page * size], page, size)

    def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
        raise AssertionError("not listed in this test")

    def list_contacts_by_group(self, group: str, page: int = 1, size: int = 10) -> Page[Contact]:
        size = min(size, 20)
        rows = [c for c in self.contacts if c.group == group]
        return Page(rows[(page - 1) * size : page * size], page, size)


def test_page_caps_are_learned_per_kind_of_listing() -> None:
    state = read_remote(CapsContactsOnly(), ["G1"])
    assert len(state.contacts["g1"]) == 45
    assert state.read.page_cap == 20


def test_configured_page_size_needs_no_probe(make_sandbox: Any, make_project: Any) -> None:
    server = make_sandbox(max_page_size=20)
    project = make_project(server)
    project.write_config(gateway={"endpoint": server.url, "username": USERNAME, "page_size": 20})
    seed(server, "Office", 45)
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(45)]))
    read = plan_json(project)["read"]
    assert read["requests"] == read["min_requests"] == 1 + 3


def test_short_records_fetch_details_only_when_needed(make_sandbox: Any, make_project: Any) -> None:
    server = make_sandbox(list_form="short")
    project = make_project(server)
    project.write_groups(group("Office", [contact(1, "Budi", desc="Direktur"), contact(2, "Siti")]))
    assert project.apply().exit_code == 0
    data = plan_json(project)
    assert data["actions"] == []
    assert data["read"]["details_fetched"] == 1  # only Budi declares a detail field
    # a name change on a short record keeps its (unknown to the listing) details intact
    server.store.add_contact(USERNAME, name="X", mobile=number(3), group="Office", address="Jl. 3")
    project.write_groups(
        group("Office", [contact(1, "Budi", desc="Direktur"), contact(2, "Siti"), contact(3, "Y")])
    )
    assert project.apply().exit_code == 0
    row = next(c for c in remote_contacts(server) if c["mobile"] == number(3))
    assert (row["name"], row["address"]) == ("Y", "Jl. 3")
    assert plan_json(project)["actions"] == []


def test_repeated_rows_trigger_a_reread_then_a_clear_error() -> None:
    calls: list[int] = []

    def shifting(page: int, size: int) -> Page[Group]:
        calls.append(page)
        # every read repeats row 2 on page 2, as a listing does when a row is inserted before it
        rows = {1: [Group(1, "a"), Group(2, "b")], 2: [Group(2, "b"), Group(3, "c")]}
        return Page(rows.get(page, []), page, size)

    with pytest.raises(ListingShifted, match="kept repeating rows"):
        read_listing(shifting, PageSizer(2, trusted=True), what="group list")
    assert calls.count(1) == 4  # read, then three rereads


def test_listing_that_shifts_while_read_is_never_applied(sandbox: Any, tmp_path: Path) -> None:
    seed(sandbox, "Office", 30)
    project = Project(tmp_path, sandbox.url)
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(30)]))

    class DeletesDuringRead(Client):
        """Another writer deletes row 1 after the first page has been read."""

        deleted = False

        def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
            result = super().list_contacts(page=page, size=size)
            if page == 1 and not self.deleted:
                DeletesDuringRead.deleted = True
                with Client(sandbox.url, USERNAME, PASSWORD) as other:
                    other.delete_contact(result.items[0].id)
            return result

    manager = Manager(tmp_path)
    with DeletesDuringRead(sandbox.url, USERNAME, PASSWORD) as client:
        session = Session(manager, client, Credentials(sandbox.url, USERNAME, PASSWORD))
        from smsync.plan.planner import PlanOptions

        plan = session.plan(PlanOptions(page_size=10))
        # the shifted listing skipped a row, so the plan wants to re-add it...
        assert any(a.op.value == "add_contact" for a in plan.actions)
        before = remote_contacts(sandbox)
        from smsync.apply import Refused

        with pytest.raises(Refused, match="changed"):
            session.apply(plan)
    assert remote_contacts(sandbox) == before  # ...but nothing was written


def test_lost_answers_never_duplicate_and_apply_converges(
    make_sandbox: Any, make_project: Any
) -> None:
    # Every write has a 30 % chance of being applied with its answer lost.
    server = make_sandbox(fault_rate=0.3, fault_kinds=("drop-after",), seed=7)
    project = make_project(server)
    project.write_groups(
        group("A", [contact(i, f"A{i}") for i in range(15)]),
        group("B", [contact(i, f"B{i}") for i in range(100, 110)]),
    )
    for _run in range(6):
        result = project.apply("--force")
        if result.exit_code == 0 and "No changes" in result.output:
            break
    else:
        pytest.fail("apply did not converge in 6 runs")
    rows = remote_contacts(server)
    mobiles = [r["mobile"] for r in rows]
    assert len(rows) == 25 and len(set(mobiles)) == 25, "a lost answer caused a duplicate"
    assert server.stats()["faults"] > 0


def test_all_managed_large_groups_are_read_by_group_concurrently(
    project: Project, sandbox: Any
) -> None:
    # 2 groups of 25 at 10 a page: one listing is 6 sequential round trips; by group,
    # 4 at a time, 3 round trips (for 6 requests instead of 6: one trailing page per group).
    project.write_config(gateway={"endpoint": sandbox.url, "username": USERNAME, "page_size": 10})
    seed(sandbox, "A", 25)
    seed(sandbox, "B", 25, start=100)
    project.write_groups(
        group("A", [contact(i, f"Kontak {i}") for i in range(25)]),
        group("B", [contact(i, f"Kontak {i}") for i in range(100, 125)]),
    )
    data = plan_json(project, "--concurrency", "4")
    assert data["read"]["strategy"] == "by-group"
    assert "round trips" in data["read"]["reason"]
    assert data["read"]["requests"] == data["read"]["min_requests"]
    assert data["actions"] == []
    sequential = plan_json(project, "--concurrency", "1")
    assert sequential["read"]["strategy"] == "list-all"


def test_target_moves_a_contact_from_a_declared_group_outside_it(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("A", [contact(1, "Rina"), contact(2, "Sari")]), group("B", []))
    assert project.apply().exit_code == 0
    rina = next(c for c in remote_contacts(sandbox) if c["name"] == "Rina")
    # The spec moves Rina from A to B; only B is planned.
    project.write_groups(group("A", [contact(2, "Sari")]), group("B", [contact(1, "Rina")]))
    data = plan_json(project, "--target", "B")
    [move] = data["actions"]
    assert (move["op"], move["id"], move["before"]["group"]) == ("move_contact", rina["id"], "A")
    # one page lists A; a lookup is two searches (the 08… and 628… spellings)
    assert data["read"]["elsewhere"] == "list"
    assert data["read"]["requests"] == data["read"]["min_requests"]
    assert project.apply("--target", "B").exit_code == 0
    rows = {c["name"]: c for c in remote_contacts(sandbox)}
    assert rows["Rina"]["id"] == rina["id"] and rows["Rina"]["group"] == "B"
    assert rows["Sari"]["group"] == "A"  # the rest of A is left alone
    assert project.plan().exit_code == 0


def test_saturated_lookup_falls_back_to_listing(project: Project, sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "A")
    sandbox.store.add_group(USERNAME, "B")
    rina = sandbox.store.add_contact(USERNAME, name="Rina", mobile=number(1), group="A")
    # ten more numbers in A whose digits contain Rina's: her search is saturated
    for i in range(10):
        sandbox.store.add_contact(USERNAME, name=f"X{i}", mobile=f"62{number(1)[1:]}{i}", group="A")
    project.write_groups(group("A", []), group("B", [contact(1, "Rina")]))
    data = plan_json(project, "--target", "B")
    assert [(a["op"], a["id"]) for a in data["actions"]] == [("move_contact", rina)]
    assert data["read"]["elsewhere"] == "list"


def test_a_number_kept_in_the_other_group_is_added_not_moved(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("A", [contact(1, "Rina")]), group("B", []))
    assert project.apply().exit_code == 0
    project.write_groups(group("A", [contact(1, "Rina")]), group("B", [contact(1, "Rina")]))
    data = plan_json(project, "--target", "B")
    assert [a["op"] for a in data["actions"]] == ["add_contact"]


def test_moved_row_changed_since_the_plan_is_stale(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    from smsync.gateway.client import Client

    project.write_groups(group("A", [contact(1, "Rina")]), group("B", []))
    assert project.apply().exit_code == 0
    project.write_groups(group("A", []), group("B", [contact(1, "Rina")]))
    out = tmp_path / "plan.json"
    assert project.plan("--target", "B", "--out", str(out)).exit_code == 2
    [row] = remote_contacts(sandbox)
    with Client(sandbox.url, USERNAME, PASSWORD) as other:  # someone edits Rina meanwhile
        other.edit_contact(row["id"], "Rina Baru", row["mobile"], "A")
    result = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert result.exit_code == 4, result.output
    assert remote_contacts(sandbox)[0]["group"] == "A"


def test_move_from_outside_does_not_hide_prunes_or_count_as_update(
    project: Project, sandbox: Any
) -> None:
    # B holds a stale row the spec drops, and 4 contacts move into B from A (outside --target)
    project.write_groups(
        group("A", [contact(i, f"A{i}") for i in range(1, 5)]),
        group("B", [contact(i, f"B{i}") for i in range(10, 20)]),
    )
    assert project.apply().exit_code == 0
    project.write_groups(
        group("A", []),
        group(
            "B",
            [contact(i, f"A{i}") for i in range(1, 5)]
            + [contact(i, f"B{i}") for i in range(10, 19)],
        ),  # B19 dropped
    )
    data = plan_json(project, "--target", "B")
    ops = sorted(a["op"] for a in data["actions"])
    assert ops == ["delete_contact"] + ["move_contact"] * 4, ops
    assert data["safety"]["updates"] == 0  # moves in from outside change no managed contact
    assert not data["safety"]["unsafe"]
    assert project.apply("--target", "B").exit_code == 0
    assert project.plan("--target", "B").exit_code == 0
