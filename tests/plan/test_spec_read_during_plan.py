"""A plan reads the spec's contacts files while it reads the gateway (smsync.spec.loader's
SpecLoad): the plan, and the requests it makes, are those of a spec loaded whole first; a
problem in a contacts file is still what the plan reports."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from smsync import numbers
from smsync.gateway.models import Contact, Group, Page
from smsync.manager import Manager
from smsync.plan.diff import number_keys
from smsync.plan.fetch import read_remote
from smsync.plan.model import Plan
from smsync.plan.remote import LateKey, RemoteState, group_index, rows_of
from smsync.sandbox import SandboxServer
from smsync.spec.model import ContactSpec, GroupSpec
from tests.support.numbers import number
from tests.support.project import Project
from tests.support.sandbox import PASSWORD

GROUPS = ("Pelanggan", "Reseller", "Staf")


def write_csv_groups(project: Project, rows: dict[str, list[tuple[str, str]]]) -> None:
    docs = []
    for i, (name, members) in enumerate(rows.items()):
        csv = project.root / "groups" / f"g{i}.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        csv.write_text("name,mobile\n" + "".join(f"{n},{m}\n" for n, m in members))
        docs.append({"name": name, "contacts_file": csv.name})
    project.write_groups(*docs)


def spec_rows(renamed: int = 0, dropped: int = 0, added: int = 0) -> dict[str, Any]:
    rows: dict[str, list[tuple[str, str]]] = {g: [] for g in GROUPS}
    for i in range(dropped, 360):
        name = f"Kontak {i}" + (" baru" if i < dropped + renamed else "")
        rows[GROUPS[i % 3]].append((name, number(i)))
    for i in range(1000, 1000 + added):
        rows[GROUPS[i % 3]].append((f"Baru {i}", number(i)))
    return rows


def comparable(plan: Plan) -> dict[str, Any]:
    data = plan.to_json()
    data.pop("created_at", None)
    return data


def test_a_plan_reading_contacts_files_during_the_read_equals_one_from_a_loaded_spec(
    project: Project,
) -> None:
    write_csv_groups(project, spec_rows())
    assert project.apply().exit_code == 0
    write_csv_groups(project, spec_rows(renamed=7, dropped=4, added=5))

    overlapped = project.manager()
    load = overlapped.spec_load()
    assert not load.done  # the contacts files are not read yet
    with overlapped.session() as session:
        plan = session.plan()
    assert load.done

    whole = project.manager()
    whole.desired()  # loaded whole, before any request
    with whole.session() as session:
        reference = session.plan()

    assert comparable(plan) == comparable(reference)
    assert len(plan.actions) == 7 + 4 + 5
    assert plan.read.requests == reference.read.requests <= plan.read.min_requests


def test_a_problem_in_a_contacts_file_is_reported_even_while_the_gateway_is_read(
    project: Project,
) -> None:
    rows = spec_rows()
    rows["Reseller"].insert(3, ("Salah", "0812-CALL-ME"))
    write_csv_groups(project, rows)

    result = project.plan()

    assert result.exit_code == 1
    assert "g1.csv:5" in result.output and "mobile" in result.output
    assert "Plan:" not in result.output


def test_a_contacts_file_problem_comes_before_a_missing_password(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    project = Project(tmp_path, sandbox.url)
    rows = spec_rows()
    rows["Staf"].append(("Salah", "12"))
    write_csv_groups(project, rows)

    result = project.run("plan", str(project.root), env={"SMSYNC_PASSWORD": ""})

    assert result.exit_code == 1
    assert "g2.csv" in result.output
    assert PASSWORD not in result.output


def test_the_library_plans_the_same_with_a_spec_loaded_first_or_not(project: Project) -> None:
    write_csv_groups(project, spec_rows(renamed=2))
    manager: Manager = project.manager()

    with manager.session() as session:
        first = session.plan()
        again = session.plan()  # the spec is loaded now: the read builds its index as it goes

    assert comparable(first) == comparable(again)


def test_rows_read_before_the_number_key_was_known_are_indexed_as_if_on_arrival() -> None:
    def key(mobile: str) -> str:
        return "+" + mobile

    rows = {
        "a": [Contact(id=1, name="A", mobile="6281", group="A")],
        "b": [
            Contact(id=2, name="B", mobile="6282", group="B"),
            Contact(id=3, name="B2", mobile="6282", group="b"),
        ],
    }
    state = RemoteState(
        groups=[Group(id=1, name="A"), Group(id=2, name="B")],
        contacts=rows,
        index={"a": group_index(rows["a"], key)},
        index_key=key,
        unindexed={"b"},
    )

    state.finish_index(key)

    whole = {"a": group_index(rows["a"], key), "b": group_index(rows["b"], key)}
    assert state.index == whole and not state.unindexed


def test_a_plan_run_in_process_leaves_the_garbage_collector_on(project: Project) -> None:
    write_csv_groups(project, spec_rows())
    assert gc.isenabled()

    assert project.plan().exit_code == 2

    assert gc.isenabled()


def test_a_group_read_in_two_spellings_across_the_moment_the_key_came_is_indexed_whole() -> None:
    groups = [Group(1, "Straße"), Group(2, "STRASSE")]
    rows = {
        "Straße": [Contact(10, "a", number(1), "Straße"), Contact(11, "b", number(2), "Straße")],
        "STRASSE": [Contact(20, "c", number(1), "STRASSE")],
    }

    class Fake:
        def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
            return Page(groups if page == 1 else [], page, size)

        def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
            raise AssertionError("not listed in this test")

        def list_contacts_by_group(self, name: str, page: int = 1, size: int = 10) -> Page[Contact]:
            return Page(rows[name] if page == 1 else [], page, size)

    specs = [GroupSpec("strasse", contacts=[ContactSpec("x", numbers.normalize(number(1)))])]
    key = number_keys(specs, "ID")
    asked = iter([None, key])  # unknown for the first group, known for the second
    late = LateKey(lambda: next(asked, key))

    state = read_remote(Fake(), ["strasse"], strategy="by-group", concurrency=1, number_key=late)
    state.finish_index(key)
    whole = read_remote(Fake(), ["strasse"], strategy="by-group", number_key=key)

    assert state.index is not None and state.index == whole.index
    assert [c.id for c in rows_of(state.index["strasse"][numbers.normalize(number(1))])] == [10, 20]
