"""A paid send is confirmed by typing `yes` (or the number of messages), after a prompt that
restates messages, segments and balance. Run on a real terminal (a pty): apply asks only there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD


def apply_on_a_terminal(project: Project, answer: str) -> tuple[int, str]:
    leader, follower = os.openpty()
    env = {**os.environ, "SMSYNC_PASSWORD": PASSWORD, "PYTHONPATH": str(Path.cwd()), "CI": ""}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "smsync", "apply", str(project.root)],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        os.write(leader, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    return proc.returncode, out.decode()


def write_broadcast_project(project: Project) -> None:
    project.write_groups(group("Sales", [contact(1), contact(2)]))
    project.write_documents(
        "groups/zz-promo.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "promo",
                "audience": {"contacts": {"groups": ["Sales"]}},
                "template": "Halo {{ name }}",
            }
        ],
    )


def test_paid_send_is_not_confirmed_by_a_plain_y(project: Project, sandbox: SandboxServer) -> None:
    write_broadcast_project(project)

    code, out = apply_on_a_terminal(project, "y")

    assert code == 1, out
    assert "2 messages" in out and "2 segments" in out and "balance" in out
    assert "nothing was written" in out
    assert sandbox.store.snapshot()["messages"] == []


def test_paid_send_is_confirmed_by_the_number_of_messages(
    project: Project, sandbox: SandboxServer
) -> None:
    write_broadcast_project(project)

    code, out = apply_on_a_terminal(project, "2")

    assert code == 0, out
    assert len(sandbox.store.snapshot()["messages"]) == 2
