"""Smoke run of benchmarks/run.py at tiny sizes: the script keeps working (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"

REQUIRED = (
    "plan_floor_ratio_100k",
    "diff_cpu_s_100k",
    "peak_rss_mb_100k",
    "plan_requests_100k",
    "plan_min_requests_100k",
    "apply_speedup",
    "broadcast_speedup",
    "duplicates",
    "failed_actions",
    "sandbox_rps",
    "broadcast_plan_cpu_s",
)


@pytest.mark.timeout(300)
def test_quick_benchmark_runs_and_reports_every_key() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", "--million"],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    missing = [k for k in REQUIRED if k not in result]
    assert not missing, missing
    for key in REQUIRED:
        assert isinstance(result[key], int | float), (key, result[key])
    # Correctness, not speed: every message exactly once, every action done, nothing re-sent,
    # the apply converged, and the plan read no more than its strategy's minimum.
    assert result["duplicates"] == 0
    assert result["failed_actions"] == 0
    assert result["broadcast_rerun_sent"] == 0
    assert result["apply_converged"] is True
    assert result["plan_requests_100k"] <= result["plan_min_requests_100k"]
    assert result["plan_requests_10k"] <= result["plan_min_requests_10k"]
    assert result["broadcast_sent"] == result["broadcast_messages"]
    # the broadcast-planning row planned every message it says it timed
    assert result["broadcast_plan"]["messages"] == 2000 == result["broadcast_plan"]["segments"]
    # Whole processes: each `smsync` command ran as a fresh process beside its floor process,
    # read what its strategy needs and no more, and the floor replayed those very pages.
    for size in ("10k", "100k", "1M"):
        r = result[f"process_{size}"]
        for key in ("plan_wall_s", "floor_wall_s", "ratio", "plan_rss_mb", "floor_rss_mb"):
            assert isinstance(r[key], int | float), (size, key, r[key])
        assert r["requests"] == r["reported_requests"] == r["floor_requests"]
        assert r["requests"] <= r["min_requests"]
        assert len(r["plan_walls_s"]) == len(r["floor_walls_s"]) == r["runs"]
    large = result["process_100k"]
    assert large["validate_wall_s"] > 0 and large["python_wall_s"] > 0
    assert large["import_requests"] > 0 and large["import_ratio"] > 0
    assert "contacts: 20 to change" in large["summary"]  # 1 % of 2,000 renamed
