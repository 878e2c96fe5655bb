"""Smoke run of benchmarks/lifecycle.py at a tiny size: the script keeps working and its
correctness columns hold (no timing checks: a loaded CI machine measures nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "lifecycle.py"


@pytest.mark.timeout(300)
def test_lifecycle_benchmark_runs_and_complete_broadcasts_add_no_request() -> None:
    size = ["--contacts", "600", "--groups", "20", "--runs", "1"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *size, "--json"],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # 1: over the CPU budget
    res = json.loads(proc.stdout)
    assert res["complete_added_requests"] == 0
    # the phonebook plan is the same in every variant: no change, so broadcasts are all that
    # differ
    assert res["actions_none"] == res["actions_complete"] == res["actions_all"] == 0
    assert res["complete_complete"] == 10 and res["broadcast_plans_complete"] == 10
    assert res["messages_to_send_complete"] == 0 and res["messages_to_send_all"] > 0
    for key in ("cpu_s_none", "cpu_s_all", "broadcasts_added_cpu_s"):
        assert isinstance(res[key], float), key
