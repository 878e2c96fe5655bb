"""Group sends (SendSMSGroup) reach whoever the gateway holds in the group: the plan counts those
rows exactly, one group identity survives case changes, and the rows are checked against the
suppression list again right before the send."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from smsync.broadcast import Ledger
from smsync.plan.planner import PlanOptions
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

EXIT_UNSAFE = 3


def write_group_broadcast(
    project: Project, audience: str, *, suppress: tuple[str, ...] = ()
) -> None:
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        f"kind: Broadcast\nname: libur\naudience: {{group: {audience}}}\nvia: group-call\n"
        "template: Kantor libur besok.\n"
    )
    (project.root / "suppression.txt").write_text("".join(f"{n}\n" for n in suppress))
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], suppression_file="suppression.txt"
    )


def sent_to(server: Any) -> list[str]:
    return sorted(m["mobile"] for m in server.store.snapshot()["messages"])


def test_case_change_of_the_group_does_not_send_a_group_broadcast_again(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_group_broadcast(project, "Office")
    assert project.apply().exit_code == 0
    assert sent_to(sandbox) == [gw(1), gw(2)]

    project.write_groups(group("OFFICE", [contact(1), contact(2)]))
    write_group_broadcast(project, "OFFICE")
    again = project.apply()

    assert again.exit_code == 0, again.output
    assert sent_to(sandbox) == [gw(1), gw(2)]


def test_case_change_of_the_audience_only_does_not_send_a_group_broadcast_again(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_group_broadcast(project, "Office")
    assert project.apply().exit_code == 0

    write_group_broadcast(project, "office")
    again = project.apply()

    assert again.exit_code == 0, again.output
    assert sent_to(sandbox) == [gw(1), gw(2)]


def test_group_send_counts_every_remote_row_including_duplicates(
    project: Project, sandbox: Any
) -> None:
    for i in (1, 1, 2):  # the gateway messages each row: number 1 twice
        sandbox.store.add_contact(USERNAME, f"P{i}", gw(i), "Pelanggan")
    project.write_groups(group("Office", [contact(5)]))
    write_group_broadcast(project, "Pelanggan")

    plan = project.plan()

    assert "3 recipients" in plan.output, plan.output
    assert "3 segments" in plan.output, plan.output


def test_group_send_with_an_unreadable_number_is_refused(project: Project, sandbox: Any) -> None:
    sandbox.store.add_contact(USERNAME, "P1", gw(1), "Pelanggan")
    sandbox.store.add_contact(USERNAME, "Rusak", "12", "Pelanggan")
    project.write_groups(group("Office", [contact(5)]))
    write_group_broadcast(project, "Pelanggan")

    plan = project.plan()
    assert plan.exit_code == EXIT_UNSAFE, plan.output
    assert "cannot be read" in plan.output
    applied = project.apply("--force")

    assert applied.exit_code == EXIT_UNSAFE, applied.output
    assert sent_to(sandbox) == []


def test_group_send_is_checked_against_the_gateway_rows_right_before_sending(
    project: Project, sandbox: Any, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]), group("Lain", [contact(4)]))
    assert project.apply().exit_code == 0
    write_group_broadcast(project, "Office", suppress=("+" + gw(3),))
    manager = project.manager()
    project.write_groups(
        group("Office", [contact(1), contact(2)]), group("Lain", [contact(4), contact(5)])
    )
    with manager.session() as session:
        # Office outside --target: the send reaches its members as the gateway holds them
        plan = session.plan(PlanOptions(targets=["Lain"]))
        assert plan.sends == 2

        def join(_: object) -> None:  # an opted-out number joins while apply runs
            sandbox.store.add_contact(USERNAME, "Baru", gw(3), "Office")

        outcome = session.apply(plan, on_done=join)

    assert not outcome.ok
    assert sent_to(sandbox) == []
    assert outcome.broadcasts is not None
    failure = outcome.broadcasts.results[0].failed[0]
    assert "suppressed" in failure.message


def test_group_send_refused_with_http_403_is_a_failure_with_its_reason_not_unknown(
    make_sandbox: Any, make_project: Any
) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("sendsmsgroup",))
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_group_broadcast(project, "Office")

    refused = project.apply()

    assert refused.exit_code == 1, refused.output
    assert "403" in refused.output and "outcome unknown" not in refused.output
    with Ledger(project.root / ".smsync" / "ledger.sqlite") as ledger:
        assert [r.state for r in ledger.rows("libur")] == ["failed"]
    srv.config = dataclasses.replace(srv.config, fault_rate=0.0)
    again = project.apply()
    assert again.exit_code == 0, again.output
    assert sent_to(srv) == [gw(1), gw(2)]


def test_group_send_recorded_by_an_older_version_under_another_case_is_not_repeated(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    assert project.apply().exit_code == 0
    write_group_broadcast(project, "OFFICE")
    ledger_path = project.root / ".smsync" / "ledger.sqlite"
    with Ledger(ledger_path) as ledger:  # a row as older versions wrote it: the name as spelled
        ledger.bind_gateway(f"{USERNAME}@{sandbox.url}")
        ledger.record_pending(
            broadcast="libur",
            number="group:Office",
            kind="group",
            channel="sms",
            trxid=None,
            attempt=0,
            body="Kantor libur besok.",
            segments=1,
            recipients=2,
        )
        ledger.record_sent("libur", "group:Office", "77")

    again = project.apply()

    assert again.exit_code == 0, again.output
    assert "complete (2 sent)" in again.output, again.output
    assert sent_to(sandbox) == []


@pytest.mark.parametrize(("page_size", "cap", "rows"), [(200, 100, 150), (None, 5, 30)])
def test_group_send_counts_every_row_whatever_the_gateway_page_cap(
    make_sandbox: Any, make_project: Any, page_size: int | None, cap: int, rows: int
) -> None:
    # A gateway serving fewer rows per page than configured (or than the reference's default
    # of 10) must not hide members a group send would reach: here, an opted-out number.
    srv = make_sandbox(max_page_size=cap)
    project: Project = make_project(srv)
    for i in range(rows - 1):
        srv.store.add_contact(USERNAME, f"P{i}", gw(100 + i), "Pelanggan")
    srv.store.add_contact(USERNAME, "Keluar", gw(9), "Pelanggan")
    project.write_groups(group("Office", [contact(5)]))
    write_group_broadcast(project, "Pelanggan", suppress=("+" + gw(9),))
    if page_size is not None:
        project.write_config(
            spec=["groups/*.yaml", "broadcasts/*.yaml"],
            suppression_file="suppression.txt",
            gateway={"endpoint": srv.url, "username": USERNAME, "page_size": page_size},
        )

    plan = project.plan()
    assert plan.exit_code == EXIT_UNSAFE, plan.output
    assert f"{rows} recipients" in plan.output, plan.output
    applied = project.apply("--force")

    assert applied.exit_code == EXIT_UNSAFE, applied.output
    assert sent_to(srv) == []


def test_group_broadcast_is_not_sent_again_when_its_group_is_renamed(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_group_broadcast(project, "Office")
    assert project.apply().exit_code == 0
    assert sent_to(sandbox) == [gw(1), gw(2)]

    project.write_groups(group("Kantor", [contact(1), contact(2)]), group("Office", state="absent"))
    write_group_broadcast(project, "Kantor")
    again = project.apply()

    assert again.exit_code == 0, again.output
    assert "already went out as a group send to 'office'" in again.output, again.output
    assert sent_to(sandbox) == [gw(1), gw(2)]
