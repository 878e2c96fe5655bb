"""A `once` broadcast completes without a recipient who left its fixed audience: a decision that
skips someone for good. For a group the spec does not declare, who is still in the group comes
from the gateway's listing, so a listing that cannot show every row (a row whose number cannot
be read, a record that cannot be parsed) proves nobody left, and neither does a listing that
misses a row the gateway's number search still finds in the group: the broadcast stays open, and
the recipient is sent once the listing shows them again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.hiccup_proxy import HiccupProxy
from tests.support.numbers import gw
from tests.support.project import Project
from tests.support.sandbox import USERNAME, messages


def _setup(project: Project, sandbox: SandboxServer) -> dict[int, int]:
    """Group 'Pelanggan' on the gateway only (members 1 and 2), a `once` broadcast to it;
    the contact ids by member."""
    ids = {
        i: sandbox.store.add_contact(USERNAME, name=f"Kontak {i}", mobile=gw(i), group="Pelanggan")
        for i in (1, 2)
    }
    project.write_groups()
    doc = {"kind": "Broadcast", "name": "promo", "audience": {"group": "Pelanggan"}}
    project.write_documents("broadcasts/b.yaml", [{**doc, "template": "Promo akhir tahun"}])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    return ids


def _first_send_then_no_credit(project: Project, sandbox: SandboxServer, sends: int = 1) -> None:
    """Apply, with the credit running out after ``sends`` messages (members 1, 2, ...)."""

    def sent(progress: Any) -> None:
        if progress.outcome == "sent" and len(messages(sandbox)) == sends:
            sandbox.store.set_credit(USERNAME, 0)

    with project.manager().session() as session:
        session.apply(session.plan(), concurrency=1, on_sent=sent)
    assert _sent(sandbox) == [gw(i) for i in range(1, sends + 1)]
    sandbox.store.set_credit(USERNAME, 1000)


def _sent(sandbox: SandboxServer) -> list[str]:
    return sorted(m["mobile"] for m in messages(sandbox))


def test_unreadable_number_in_the_group_does_not_make_its_recipient_leave_for_good(
    project: Project, sandbox: SandboxServer
) -> None:
    ids = _setup(project, sandbox)
    _first_send_then_no_credit(project, sandbox)
    sandbox.store.edit_contact(USERNAME, ids[2], mobile="0812")  # cut short: not a number

    plan = project.plan()
    assert "complete" not in plan.output, plan.output
    assert "left the audience" not in plan.output
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == [gw(1)]

    sandbox.store.edit_contact(USERNAME, ids[2], mobile=gw(2))  # the row reads again
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert _sent(sandbox) == [gw(1), gw(2)]


def test_unparseable_record_in_the_group_does_not_make_its_recipient_leave_for_good(
    project: Project, sandbox: SandboxServer
) -> None:
    ids = _setup(project, sandbox)
    _first_send_then_no_credit(project, sandbox)
    sandbox.store.edit_contact(USERNAME, ids[2], mobile="0812-34x")  # not written with digits

    plan = project.plan()
    assert "complete" not in plan.output, plan.output
    assert "unreadable number" in plan.output  # said, not dropped in silence
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == [gw(1)]

    sandbox.store.edit_contact(USERNAME, ids[2], mobile=gw(2))
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == [gw(1), gw(2)]


def test_listing_that_misses_a_page_once_does_not_make_its_recipients_leave_for_good(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    proxy = HiccupProxy(sandbox.url)
    try:
        project = Project(tmp_path, proxy.url)
        _setup(project, sandbox)
        sandbox.store.add_contact(USERNAME, name="Kontak 3", mobile=gw(3), group="Pelanggan")
        gateway = {"endpoint": proxy.url, "username": USERNAME, "page_size": 2}
        project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], gateway=gateway)
        _first_send_then_no_credit(project, sandbox, sends=2)  # only member 3 is left to send

        # the gateway has a bad moment: the second page of the group's listing reads empty
        def second_page_empty(endpoint: str, params: dict[str, str]) -> str | None:
            listing = endpoint.startswith("phbkgetlistbygroup") and params.get("page") == "2"
            return "1704" if listing else None

        proxy.hiccup = second_page_empty
        plan = project.plan()
        assert "complete" not in plan.output, plan.output
        assert project.apply().exit_code == 0
        assert _sent(sandbox) == [gw(1), gw(2)]  # member 3 was on the page that read empty

        proxy.hiccup = None
        applied = project.apply()
        assert applied.exit_code == 0, applied.output
        assert _sent(sandbox) == [gw(1), gw(2), gw(3)]
    finally:
        proxy.stop()


def test_recipient_deleted_from_an_undeclared_group_has_left(
    project: Project, sandbox: SandboxServer
) -> None:
    ids = _setup(project, sandbox)
    _first_send_then_no_credit(project, sandbox)
    sandbox.store.delete_contact(USERNAME, ids[2])  # gone from the gateway: listing and search

    plan = project.plan()
    assert "complete (1 sent)" in plan.output, plan.output
    assert "1 recipient(s) left the audience" in plan.output
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == [gw(1)]


def test_gateway_whose_number_search_fails_keeps_the_recipient_waiting_and_plans_the_rest(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox = make_sandbox(fault_rate=1.0, fault_kinds=("1703",), fault_paths=("phbkfindphnumber",))
    project = make_project(sandbox)
    ids = _setup(project, sandbox)
    _first_send_then_no_credit(project, sandbox)
    sandbox.store.delete_contact(USERNAME, ids[2])

    plan = project.plan()
    assert plan.exit_code == 0, plan.output  # the plan is made; nothing is given up
    assert "may still be in it" in plan.output and "complete" not in plan.output
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == [gw(1)]
