"""`plan --out FILE`: a path that cannot be written is refused before the remote is read (one
line naming the path, exit 1), and the file is replaced atomically, so a failure while writing
never leaves half a plan behind."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD

REPO = Path(__file__).resolve().parents[2]


def _cannot_create_in(folder: Path) -> bool:
    try:
        (folder / "probe").open("x").close()
    except OSError:
        return True
    (folder / "probe").unlink()
    return False


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Path:
    """A directory this process cannot create files in (root ignores modes: then /sys)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    for candidate in (folder, Path("/sys")):
        if candidate.is_dir() and _cannot_create_in(candidate):
            return candidate
    pytest.skip("no directory here refuses new files to this user")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """Apart from the project (which is tmp_path itself)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _unwritable_cases(out_dir: Path, unwritable_dir: Path) -> dict[str, Path]:
    a_file = out_dir / "a-file"
    a_file.write_text("x")
    return {
        "missing directory": out_dir / "no-such-dir" / "plan.json",
        "parent is a file": a_file / "plan.json",
        "path is a directory": out_dir,
        "unwritable directory": unwritable_dir / "plan.json",
    }


@pytest.mark.parametrize(
    "case", ["missing directory", "parent is a file", "path is a directory", "unwritable directory"]
)
def test_unwritable_out_path_is_refused_before_any_request(
    project: Project, sandbox: Any, out_dir: Path, unwritable_dir: Path, case: str
) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(5)]))
    out = _unwritable_cases(out_dir, unwritable_dir)[case]
    result = project.plan("--out", str(out))
    assert result.exit_code == 1, result.output
    assert sandbox.stats()["requests"] == 0  # refused before reading the remote
    assert result.stdout == ""  # no plan printed that was not saved
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert str(out) in lines[0]
    assert "Traceback" not in result.output


def test_existing_plan_file_is_replaced_whole(project: Project, out_dir: Path) -> None:
    project.write_groups(group("Office", [contact(1)]))
    out = out_dir / "plan.json"
    out.write_text('{\n  "version": 1, "old": "' + "longer than nothing " * 100 + '"}\n')
    out.chmod(0o640)
    assert project.plan("--out", str(out)).exit_code == 2
    assert json.loads(out.read_text())["actions"]
    assert out.stat().st_mode & 0o777 == 0o640  # the user's choice of mode is kept
    assert [p.name for p in out_dir.iterdir()] == ["plan.json"]  # no temporary file left


def _limit_file_size() -> None:
    # Writes past 300 bytes fail with EFBIG (instead of killing the process): a disk that
    # fills up half-way through the plan file.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))


def test_failed_write_leaves_the_previous_plan_intact(project: Project, out_dir: Path) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(20)]))
    out = out_dir / "plan.json"
    out.write_text('{\n  "version": 1, "old": "plan"}\n')
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SMSYNC_PASSWORD": PASSWORD,
        "CI": "1",
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "smsync", "plan", str(project.root), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        preexec_fn=_limit_file_size,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("Error: ") and str(out) in line, line
    assert out.read_text() == '{\n  "version": 1, "old": "plan"}\n'
    assert [p.name for p in out_dir.iterdir()] == ["plan.json"]
