"""Ctrl-C stops apply promptly: no new write starts after it, the writes in flight finish,
and the CLI reports what was done (exit 130)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD


def test_ctrl_c_starts_no_new_phonebook_write(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox = make_sandbox(latency_ms=100)
    project = make_project(sandbox)
    project.write_groups(group("Sales", [contact(i) for i in range(40)]))
    code, out, took = _interrupt_apply(sandbox, project, "contacts")

    assert code == 130, out
    # Two writes may be in flight when Ctrl-C lands (each a check and an add); the 38 queued
    # behind them (about 4 s of gateway time) are never started.
    assert took < 2.0, out
    assert len(sandbox.store.snapshot()["contacts"]) <= 6, out
    assert "Interrupted" in out and "of 41 phonebook actions" in out


def test_ctrl_c_starts_no_new_send_and_the_next_apply_sends_the_rest_once(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox = make_sandbox(latency_ms=100)
    project = make_project(sandbox)
    project.write_groups(group("Office", [contact(i) for i in range(40)]))
    assert project.apply().exit_code == 0
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config()
    doc = {"kind": "Broadcast", "name": "promo", "template": "Halo {{ name }}"}
    audience = {"contacts": {"groups": ["Office"]}}
    project.write_documents("broadcasts/promo.yaml", [{**doc, "audience": audience}])
    code, out, took = _interrupt_apply(sandbox, project, "messages")

    assert code == 130, out
    assert took < 2.0, out
    assert len(sandbox.store.snapshot()["messages"]) <= 4, out
    assert "Interrupted" in out, out
    # The ledger stayed right: the next apply sends each of the others once, nobody twice.
    assert project.apply().exit_code == 0
    sent = [m["mobile"] for m in sandbox.store.snapshot()["messages"]]
    assert len(sent) == len(set(sent)) == 40


def _interrupt_apply(sandbox: SandboxServer, project: Project, rows: str) -> tuple[int, str, float]:
    """Run `smsync apply` as a process, press Ctrl-C once the sandbox holds its first ``rows``
    (contacts or messages): (exit code, output, seconds from Ctrl-C to exit)."""
    env = {**os.environ, "SMSYNC_PASSWORD": PASSWORD, "PYTHONPATH": str(Path.cwd())}
    args = ["apply", str(project.root), "--auto-approve", "--concurrency", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not sandbox.store.snapshot()[rows]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    out = proc.communicate(timeout=60)[0].decode()
    return proc.returncode, out, time.monotonic() - interrupted
