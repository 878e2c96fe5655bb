"""Regressions for bugs found in review of plan/apply: each test reproduced a real failure."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from smsync import numbers
from smsync.apply.executor import Executor
from smsync.gateway.client import Client
from smsync.gateway.errors import TransportError
from smsync.gateway.models import Contact, Group, Page
from smsync.plan.fetch import read_remote
from smsync.plan.model import Action, Op, Plan, ReadStats, Record, Safety
from smsync.plan.planner import make_plan
from smsync.spec.model import ContactSpec, GroupSpec
from tests.plan.conftest import PASSWORD, USERNAME, number

NO_LIMITS = SimpleNamespace(max_delete_share=1.0, max_update_share=1.0, min_existing=10**9)


def spec(i: int, name: str, **fields: Any) -> ContactSpec:
    return ContactSpec(name=name, mobile=numbers.normalize(number(i)), **fields)


class CapsContactsOnly:
    """A gateway that serves 100 groups a page but only 20 contacts a page."""

    def __init__(self) -> None:
        self.groups = [Group(i, f"G{i}") for i in range(1, 31)]
        self.contacts = [Contact(1000 + i, f"K{i}", number(i), "G1") for i in range(45)]

    def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
        size = min(size, 100)
        return Page(self.groups[(page - 1) * size : page * size], page, size)

    def list_contacts_by_group(self, group: str, page: int = 1, size: int = 10) -> Page[Contact]:
        size = min(size, 20)
        rows = [c for c in self.contacts if c.group == group]
        return Page(rows[(page - 1) * size : page * size], page, size)


def test_page_caps_are_learned_per_kind_of_listing() -> None:
    state = read_remote(CapsContactsOnly(), ["G1"])  # type: ignore[arg-type]
    assert len(state.contacts["g1"]) == 45
    assert state.read.page_cap == 20


def test_short_records_competing_for_a_move_settle(make_sandbox: Any) -> None:
    server = make_sandbox(list_form="short")
    server.store.add_group(USERNAME, "B")
    server.store.add_contact(USERNAME, name="Alpha", mobile=number(1), group="B")
    server.store.add_contact(
        USERNAME, name="Delta", mobile=number(1), group="B", address="addrA", desc="descA"
    )
    server.store.add_contact(USERNAME, name="Delta", mobile=number(1), group="B")
    groups = [
        GroupSpec("A", contacts=[spec(1, "Alpha", address="addrA", desc="descA")]),
        GroupSpec("D", contacts=[spec(1, "Delta")]),
        GroupSpec("B", contacts=[]),
    ]
    with Client(server.url, USERNAME, PASSWORD) as client:
        plan = make_plan(client, groups, region="ID", safety=NO_LIMITS)
    moves = {a.group: a.id for a in plan.actions if a.op is Op.MOVE_CONTACT}
    assert moves == {"A": 2, "D": 3}  # each spec takes the row that matches it best


def test_short_record_duplicates_keep_the_best_row(make_sandbox: Any) -> None:
    server = make_sandbox(list_form="short")
    server.store.add_group(USERNAME, "G")
    server.store.add_contact(USERNAME, name="Budi", mobile=number(1), group="G", desc="wrong")
    right = server.store.add_contact(
        USERNAME, name="Budi", mobile=number(1), group="G", desc="right"
    )
    groups = [GroupSpec("G", contacts=[spec(1, "Budi", desc="right")])]
    with Client(server.url, USERNAME, PASSWORD) as client:
        plan = make_plan(client, groups, region="ID", safety=NO_LIMITS)
    assert [(a.op, a.id) for a in plan.actions] == [(Op.DELETE_CONTACT, right - 1)]
    assert plan.duplicates[0].kept_id == right


def test_duplicate_of_a_protected_contact_is_not_itself_protected(sandbox: Any) -> None:
    sandbox.store.add_group(USERNAME, "G")
    sandbox.store.add_contact(USERNAME, name="Bos", mobile=number(1), group="G")
    sandbox.store.add_contact(USERNAME, name="Bos", mobile="62" + number(1)[1:], group="G")
    groups = [GroupSpec("G", contacts=[spec(1, "Bos", protect=True)])]
    with Client(sandbox.url, USERNAME, PASSWORD) as client:
        plan = make_plan(client, groups, region="ID", safety=NO_LIMITS)
    [delete] = plan.actions
    assert delete.op is Op.DELETE_CONTACT and not delete.protected
    assert not plan.safety.unsafe


def test_lost_group_add_found_behind_a_saturated_search(sandbox: Any) -> None:
    for i in range(12):
        sandbox.store.add_group(USERNAME, f"Marketing {i}")

    class LosesFirstAnswer(Client):
        lost = False

        def add_group(self, name: str) -> int | None:
            result = super().add_group(name)
            if not LosesFirstAnswer.lost:
                LosesFirstAnswer.lost = True
                raise TransportError("groupAdd", "read timeout", maybe_applied=True)
            return result

    plan = Plan([Action(Op.ADD_GROUP, "Marketing")], "x", ReadStats("none", "", 0, 0), Safety())
    with LosesFirstAnswer(sandbox.url, USERNAME, PASSWORD) as client:
        result = Executor(client).run(plan)
    assert [o.status for o in result.outcomes] == ["done"]
    names = [g["name"] for g in sandbox.store.snapshot()["groups"]]
    assert names.count("Marketing") == 1


def test_group_is_kept_when_moving_its_members_out_failed(sandbox: Any) -> None:
    gid = sandbox.store.add_group(USERNAME, "Old")
    cid = sandbox.store.add_contact(USERNAME, name="Rina", mobile=number(1), group="Old")
    # the move's destination does not exist, so the move fails with 1711
    normalised = numbers.normalize(number(1))
    before = Record("Rina", number(1), normalised, "Old")
    after = Record("Rina", number(1), normalised, "Missing")
    plan = Plan(
        [
            Action(Op.MOVE_CONTACT, "Missing", id=cid, before=before, after=after),
            Action(Op.DELETE_GROUP, "Old", id=gid),
        ],
        "x",
        ReadStats("none", "", 0, 0),
        Safety(),
    )
    with Client(sandbox.url, USERNAME, PASSWORD) as client:
        result = Executor(client).run(plan)
    assert [o.status for o in result.outcomes] == ["failed", "skipped"]
    assert [g["name"] for g in sandbox.store.snapshot()["groups"]] == ["Old"]


def test_hand_edited_plan_cannot_delete_what_the_spec_protects(sandbox: Any, tmp_path: Any) -> None:
    import json

    from tests.plan.conftest import Project, contact, group, remote_contacts

    project = Project(tmp_path, sandbox.url)
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
    # planning again finds a delete of #2 (Wakil), not of Bos: the file is refused whole
    assert result.exit_code == 4, result.output
    assert "only in the saved plan: actions › delete_contact #1" in result.output
    assert len(remote_contacts(sandbox)) == 2


def test_group_names_equal_only_case_insensitively_are_one_managed_group() -> None:
    import dataclasses

    from smsync.plan.diff import diff, number_keys

    groups_ = [Group(1, "Straße"), Group(2, "STRASSE"), Group(3, "Other")]
    rows = {
        "Straße": [Contact(10, "a", number(1), "Straße"), Contact(11, "b", number(2), "Straße")],
        "STRASSE": [Contact(20, "c", number(3), "STRASSE")],
        "Other": [],
    }

    class Fake:
        def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
            return Page(groups_ if page == 1 else [], page, size)

        def list_contacts_by_group(self, name: str, page: int = 1, size: int = 10) -> Page[Contact]:
            return Page(rows[name] if page == 1 else [], page, size)

    specs = [GroupSpec("strasse", contacts=[spec(9, "x")])]
    state = read_remote(
        Fake(),
        ["strasse"],
        strategy="by-group",
        number_key=number_keys(specs, "ID"),  # type: ignore[arg-type]
    )
    assert sorted(c.id for c in state.contacts["strasse"]) == [10, 11, 20]
    with_index = diff(specs, state, "ID")
    without = diff(specs, dataclasses.replace(state, index=None), "ID")
    assert with_index.existing_managed == without.existing_managed == 3
    assert [(a.op, a.id) for a in with_index.actions] == [(a.op, a.id) for a in without.actions]
