"""Which remote row answers which spec contact: short records competing for one move, duplicate
rows (the best one is kept, and a protected contact's duplicate is not itself protected), and
group names equal only case-insensitively, which are one managed group."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from smsync import numbers
from smsync.gateway.client import Client
from smsync.gateway.models import Contact, Group, Page
from smsync.plan.diff import diff, number_keys
from smsync.plan.fetch import read_remote
from smsync.plan.model import Op
from smsync.plan.planner import make_plan
from smsync.spec.model import ContactSpec, GroupSpec
from tests.support.numbers import number
from tests.support.sandbox import PASSWORD, USERNAME

NO_LIMITS = SimpleNamespace(max_delete_share=1.0, max_update_share=1.0, min_existing=10**9)


def spec(i: int, name: str, **fields: Any) -> ContactSpec:
    return ContactSpec(name=name, mobile=numbers.normalize(number(i)), **fields)


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


def test_group_names_equal_only_case_insensitively_are_one_managed_group() -> None:
    groups_ = [Group(1, "Straße"), Group(2, "STRASSE"), Group(3, "Other")]
    rows = {
        "Straße": [Contact(10, "a", number(1), "Straße"), Contact(11, "b", number(2), "Straße")],
        "STRASSE": [Contact(20, "c", number(3), "STRASSE")],
        "Other": [],
    }

    class Fake:
        def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
            return Page(groups_ if page == 1 else [], page, size)

        def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
            raise AssertionError("not listed in this test")

        def list_contacts_by_group(self, name: str, page: int = 1, size: int = 10) -> Page[Contact]:
            return Page(rows[name] if page == 1 else [], page, size)

    specs = [GroupSpec("strasse", contacts=[spec(9, "x")])]
    state = read_remote(
        Fake(),  # a test double: read_remote takes any PhonebookLister
        ["strasse"],
        strategy="by-group",
        number_key=number_keys(specs, "ID"),
    )
    assert sorted(c.id for c in state.contacts["strasse"]) == [10, 11, 20]
    with_index = diff(specs, state, "ID")
    without = diff(specs, dataclasses.replace(state, index=None), "ID")
    assert with_index.existing_managed == without.existing_managed == 3
    assert [(a.op, a.id) for a in with_index.actions] == [(a.op, a.id) for a in without.actions]
