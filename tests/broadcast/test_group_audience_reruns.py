"""A group audience sent per member, run again after the worst: `smsync apply` SIGKILLed in the
middle of the sends (then its state lost too), a group on the gateway that holds one number in
two spellings (08… and 628…) and twice as the same row, a group renamed between two runs. Each
person gets the message once."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.kill import apply_killed_after
from tests.support.numbers import gw, number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, messages

N = 16


def _apply(project: Project, srv: SandboxServer, kill_after: int | None) -> None:
    apply_killed_after(project, srv, kill_after)


def _broadcast(project: Project) -> None:
    project.write_groups()
    doc = {"kind": "Broadcast", "name": "promo", "audience": {"group": "Pelanggan"}}
    project.write_documents("broadcasts/b.yaml", [{**doc, "template": "Halo {{ name }}"}])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])


def _sent(srv: SandboxServer) -> Counter[str]:
    return Counter(m["mobile"] for m in messages(srv))


def test_killed_per_member_group_send_then_rerun_without_state_sends_each_member_once(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    srv = make_sandbox(latency_ms=15)
    project = make_project(srv)
    for i in range(N):
        srv.store.add_contact(USERNAME, name=f"Orang {i}", mobile=gw(i), group="Pelanggan")
    _broadcast(project)

    _apply(project, srv, kill_after=N // 3)
    assert 0 < len(messages(srv)) < N
    _apply(project, srv, kill_after=None)
    shutil.rmtree(project.root / ".smsync")  # and the state is lost (a new CI runner)
    _apply(project, srv, kill_after=None)

    assert _sent(srv) == {gw(i): 1 for i in range(N)}


def test_number_stored_in_two_spellings_and_twice_in_the_group_is_messaged_once(
    project: Project, sandbox: SandboxServer
) -> None:
    for mobile in (number(1), gw(1), gw(1), gw(2)):  # 08… and 628…, and a duplicate row
        sandbox.store.add_contact(USERNAME, name="Ada", mobile=mobile, group="Pelanggan")
    _broadcast(project)

    plan = project.plan()
    assert "2 recipients: 2 to send" in plan.output, plan.output
    assert project.apply().exit_code == 0
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1}


def test_group_renamed_between_runs_finishes_a_once_broadcast_without_repeating_it(
    project: Project, sandbox: SandboxServer
) -> None:
    def write(name: str, **extra: Any) -> None:
        project.write_groups(group(name, [contact(i) for i in (1, 2, 3)], **extra))
        doc = {"kind": "Broadcast", "name": "rapat", "audience": {"group": name}}
        project.write_documents("broadcasts/b.yaml", [{**doc, "template": "Rapat 15 Des"}])
        project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])

    write("Office")

    def sent(progress: Any) -> None:
        if progress.outcome == "sent":
            sandbox.store.set_credit(USERNAME, 0)

    with project.manager().session() as session:
        session.apply(session.plan(), concurrency=1, on_sent=sent)
    sandbox.store.set_credit(USERNAME, 1000)
    assert len(messages(sandbox)) == 1

    write("Kantor", renamed_from=["Office"])  # the group and the audience renamed together
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert project.apply().exit_code == 0
    assert _sent(sandbox) == {gw(1): 1, gw(2): 1, gw(3): 1}
