"""examples/demo.sh leaves no temporary directory behind, unless asked to keep it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sh"


def run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "TMPDIR": str(tmp_path), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("CI", None)
    return subprocess.run(
        ["sh", str(DEMO), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_demo_removes_its_temporary_copy(tmp_path: Path) -> None:
    result = run_demo(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Removed" in result.stdout
    assert list(tmp_path.glob("smsync-demo.*")) == []


def test_demo_keep_leaves_the_copy_to_inspect(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--keep")

    assert result.returncode == 0, result.stdout + result.stderr
    [kept] = tmp_path.glob("smsync-demo.*")
    assert (kept / ".smsync" / "sandbox.sqlite").is_file()
    assert "<svg" in (kept / "delivery-report.html").read_text(encoding="utf-8")
