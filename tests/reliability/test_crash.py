"""Guarantees 1-3 across crashes: the real CLI (`python -m smsync apply DIR --auto-approve`) in a
subprocess, SIGKILLed at random moments (after a random number of gateway requests, so kills
land in planning, in the re-read before writing, among the phonebook writes and among the
sends), then run again until it succeeds. The sandbox's own records must then show exactly the
spec, every recipient messaged exactly once, nothing undeclared or protected touched; a plan
after that shows no changes and another apply sends nothing.

Trials are seeded (reproducible); benchmarks/chaos.py runs many more of them."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from smsync.sandbox import SandboxServer
from tests.reliability.scenarios import cli_env, crash_trial, run_apply
from tests.support.sandbox import PASSWORD

TRIALS = 6


@pytest.mark.parametrize("broadcast", [False, True], ids=["phonebook", "broadcast"])
@pytest.mark.parametrize("trial_no", range(TRIALS))
def test_sigkilled_apply_then_rerun_converges_exactly_once(
    trial_no: int, broadcast: bool, make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    import subprocess
    import sys

    seed = 1000 * int(broadcast) + trial_no
    srv = make_sandbox(latency_ms=4, latency_jitter_ms=8, seed=seed)
    root = tmp_path / "project"
    trial = crash_trial(srv, root, random.Random(seed), broadcast=broadcast)
    assert trial.faults >= 1, "apply finished before it could be killed"
    assert trial.check.ok, f"seed {seed}: {trial.check}"
    messages = len(srv.store.snapshot()["messages"])

    # Guarantee 1: converged means no changes, and applying again does nothing.
    plan = subprocess.run(
        [sys.executable, "-m", "smsync", "plan", str(root), "--detailed-exitcode"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=60,
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert PASSWORD not in plan.stdout + plan.stderr
    code, out = run_apply(root, srv, kill_after_requests=None)
    assert code == 0, out
    assert len(srv.store.snapshot()["messages"]) == messages
    # Guarantee 7: the ledger and everything else apply left behind hold no password.
    for path in root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
