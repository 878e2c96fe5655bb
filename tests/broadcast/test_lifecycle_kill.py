"""`smsync apply` really killed (SIGKILL) while a broadcast goes out, then run again: a recurring
occurrence reaches each contact once, and a `once` broadcast's audience was fixed before its
first message, so a contact added in between never gets it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from smsync.sandbox import SandboxServer
from tests.support.kill import apply_killed_after
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import messages

N = 16
TODAY = "2027-03-15T10:00:00+07:00"


def _apply(project: Project, srv: SandboxServer, kill_after: int | None) -> None:
    apply_killed_after(project, srv, kill_after, env={"SMSYNC_NOW": TODAY})


def _write(project: Project, members: list[dict[str, Any]], **broadcast: Any) -> None:
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config()
    project.write_groups(group("Office", members))
    doc = {"kind": "Broadcast", "name": "b", "audience": {"contacts": {"groups": ["Office"]}}}
    project.write_documents("broadcasts/b.yaml", [{**doc, **broadcast}])


def test_killed_recurring_send_then_rerun_sends_each_occurrence_once(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    srv = make_sandbox(latency_ms=15)
    project = make_project(srv)
    members = [contact(i, birth="1990-03-15") for i in range(N)]
    _write(
        project,
        members,
        mode="recurring",
        schedule={"on": "birth"},
        template="Selamat ulang tahun, {{ name }}!",
    )
    _apply(project, srv, kill_after=N // 3)
    assert 0 < len(messages(srv)) < N
    _apply(project, srv, kill_after=None)
    _apply(project, srv, kill_after=None)
    assert Counter(m["mobile"] for m in messages(srv)) == {gw(i): 1 for i in range(N)}


def test_killed_first_send_of_a_once_broadcast_has_fixed_its_audience(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    srv = make_sandbox(latency_ms=15)
    project = make_project(srv)
    _write(project, [contact(i) for i in range(N)], template="Rapat 15 Des")
    _apply(project, srv, kill_after=N // 3)
    assert 0 < len(messages(srv)) < N
    _write(project, [contact(i) for i in range(N + 1)], template="Rapat 15 Des")
    _apply(project, srv, kill_after=None)
    assert Counter(m["mobile"] for m in messages(srv)) == {gw(i): 1 for i in range(N)}
