"""A plan with sends shows the account's balance against what the sends cost; apply refuses a
send it cannot pay for instead of stopping at 1708 part-way."""

from __future__ import annotations

from typing import Any

from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

EXIT_UNSAFE = 3


def write_broadcasts(project: Project, *names: str) -> None:
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    docs = [
        f"kind: Broadcast\nname: {name}\naudience:\n  contacts:\n    groups: [Office]\n"
        f"template: Pengumuman {name}.\n"
        for name in names
    ]
    (folder / "b.yaml").write_text("---\n".join(docs))
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])


def test_send_the_balance_cannot_pay_for_is_refused_before_anything_is_sent(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(5)]))
    write_broadcasts(project, "satu", "dua")  # 10 messages, 1 segment each
    sandbox.store.set_credit(USERNAME, 7)

    plan = project.plan()
    assert plan.exit_code == EXIT_UNSAFE, plan.output
    assert "balance 7" in plan.output and "10 segments" in plan.output, plan.output
    applied = project.apply("--force")

    assert applied.exit_code == EXIT_UNSAFE, applied.output
    assert sandbox.store.snapshot()["messages"] == []
    assert sandbox.store.credit(USERNAME) == 7


def test_plan_shows_the_balance_next_to_the_cost(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_broadcasts(project, "satu")

    plan = project.plan()

    assert plan.exit_code == 2, plan.output
    assert "balance 1000" in plan.output and "2 segments" in plan.output, plan.output


def test_credit_running_out_counts_every_message_not_sent(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(5)]))
    write_broadcasts(project, "satu", "dua")
    assert project.apply("--no-broadcasts").exit_code == 0
    project.write_groups(
        group("Office", [contact(i) for i in range(5)]), group("Lain", [contact(9)])
    )
    with project.manager().session() as session:
        plan = session.plan()
        assert plan.credit.balance == "1000" and plan.credit.needed == 10
        # the balance is spent elsewhere while apply changes the phonebook, before the sends
        outcome = session.apply(
            plan, concurrency=1, on_done=lambda _: sandbox.store.set_credit(USERNAME, 3)
        )

    report = outcome.broadcasts
    assert report is not None and report.stopped_reason
    assert sum(r.sent for r in report.results) == 3
    assert "7 message(s) not sent in all broadcasts" in report.stopped_reason, report


def test_unknown_balance_is_said_and_refuses_nothing(make_sandbox: Any, make_project: Any) -> None:
    srv = make_sandbox(fault_rate=1.0, fault_kinds=("403",), fault_paths=("creditsleft",))
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_broadcasts(project, "satu")

    plan = project.plan()
    assert plan.exit_code == 2, plan.output
    assert "balance unknown" in plan.output, plan.output
    assert project.apply().exit_code == 0
    assert len(srv.store.snapshot()["messages"]) == 2
