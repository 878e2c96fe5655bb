"""An apply really killed (SIGKILL) mid-broadcast, then run again, with the state in each
backend: every message reaches its recipient exactly once (the sandbox's own record)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from smsync.state.git import KEY_ENV
from tests.support.project import Project, group
from tests.support.sandbox import PASSWORD, messages
from tests.support.state import STATE_KEY, fresh_checkout

N = 12


#: `smsync` in a process of its own, one that a test can kill.
SMSYNC = [sys.executable, "-c", "from smsync.cli import main; main()"]


def smsync_env(**extra: str) -> dict[str, str]:
    return {**os.environ, KEY_ENV: STATE_KEY, "PYTHONPATH": str(Path.cwd()), **extra}


def smsync(project: Project, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SMSYNC, *args, str(project.root), "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=smsync_env(SMSYNC_PASSWORD=PASSWORD),
    )


def write_a_broadcast_to_n_members(project: Project, state: str) -> None:
    """Group Office of N members, a broadcast to all of them, and the state at ``state``."""
    members = [{"name": f"P{i}", "mobile": f"08123{i:07d}"} for i in range(N)]
    project.write_groups(group("Office", members))
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10, {{ name }}.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], state=state)


def test_apply_killed_mid_broadcast_then_rerun_sends_each_message_once(
    make_sandbox: Any, make_project: Any, state: str
) -> None:
    srv = make_sandbox(latency_ms=40)
    project: Project = make_project(srv)
    write_a_broadcast_to_n_members(project, state)

    first = smsync(project, "apply")
    deadline = time.monotonic() + 60
    while len(messages(srv)) < N // 3 and first.poll() is None:
        assert time.monotonic() < deadline, "apply made no progress"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert len(messages(srv)) < N

    again = smsync(project, "apply")
    out, _ = again.communicate(timeout=120)
    if again.returncode != 0 and "smsync state unlock" in out:
        # git: the dead run's lock entry stays until it expires or is broken, as documented
        lock_id = re.search(r"smsync state unlock (\w+)", out)
        assert lock_id is not None, out
        subprocess.run(
            [*SMSYNC, "state", "unlock", lock_id.group(1), "--project", str(project.root)],
            check=True,
            env=smsync_env(),
            capture_output=True,
        )
        again = smsync(project, "apply")
        out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out

    per_number = Counter(m["mobile"] for m in messages(srv))
    assert len(per_number) == N, per_number
    assert set(per_number.values()) == {1}, per_number


def test_two_applies_at_once_from_two_checkouts_send_each_message_once(
    make_sandbox: Any, project: Project, tmp_path: Path, state: str
) -> None:
    srv = make_sandbox(latency_ms=20)
    project.endpoint = srv.url
    project.config["gateway"]["endpoint"] = srv.url
    write_a_broadcast_to_n_members(project, state)
    other = fresh_checkout(project, tmp_path, "runner2")

    runs = [smsync(p, "apply", "--lock-timeout", "90") for p in (project, other)]
    outs = [r.communicate(timeout=150)[0] for r in runs]

    # the second waits for the lock, plans again, and finds its plan overtaken: it refuses
    # as stale (exit 4) having written nothing, or finds nothing left to do (exit 0)
    assert sorted(r.returncode for r in runs) in ([0, 0], [0, 4]), outs
    assert all(
        "nothing was written" in out for r, out in zip(runs, outs, strict=True) if r.returncode == 4
    )
    per_number = Counter(m["mobile"] for m in messages(srv))
    assert len(per_number) == N and set(per_number.values()) == {1}, per_number
