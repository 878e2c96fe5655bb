"""Ctrl-C during apply: it says what was done and what was not, and how to continue; the next
apply finishes the job."""

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


def test_ctrl_c_during_apply_says_what_was_done_and_how_to_continue(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox = make_sandbox(latency_ms=150)
    project = make_project(sandbox)
    project.write_groups(group("Sales", [contact(i) for i in range(12)]))
    env = {**os.environ, "SMSYNC_PASSWORD": PASSWORD, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsync",
            "apply",
            str(project.root),
            "--auto-approve",
            "--concurrency",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not sandbox.store.snapshot()["contacts"]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0].decode()

    assert proc.returncode == 130, out
    assert "Interrupted" in out and "of 13 phonebook actions" in out
    assert "smsync apply" in out and "Traceback" not in out
    assert project.apply().exit_code == 0
    assert project.plan().exit_code == 0
