"""`smsync apply` in a process of its own, optionally SIGKILLed part-way through its sends: the
worst interruption a CI runner can give (no handler runs, nothing is flushed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.sandbox import PASSWORD, messages


def apply_killed_after(
    project: Project,
    srv: SandboxServer,
    kill_after: int | None,
    env: dict[str, str] | None = None,
) -> None:
    """``smsync apply`` in its own process; with ``kill_after``, SIGKILL it once the sandbox
    holds that many messages (None: let it finish, and it must succeed). ``env`` adds to the
    process's environment."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(Path.cwd()),
        "SMSYNC_PASSWORD": PASSWORD,
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsync", "apply", str(project.root), "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    try:
        if kill_after is None:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            return
        deadline = time.monotonic() + 30
        while len(messages(srv)) < kill_after and proc.poll() is None:
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
