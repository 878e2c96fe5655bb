"""The broadcast examples of examples/lifecycle/ load and plan against the sandbox, as a user who
copies them into the example project's broadcasts/ would run them."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxServer
from smsync.spec import load_desired_state, load_project
from tests.support.sandbox import PASSWORD

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_lifecycle_examples_plan_each_kind(tmp_path: Path, sandbox: SandboxServer) -> None:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".smsync", "*.sh", "ci"))
    for example in (EXAMPLES / "lifecycle").glob("*.yaml"):
        shutil.copy(example, root / "broadcasts" / example.name)
    modes = {b.name: b.mode for b in load_desired_state(load_project(root)).broadcasts}
    assert modes == {
        "promo-lebaran-2025": "once",
        "rapat-2026-12-15": "once",
        "selamat-datang-pelanggan": "ongoing",
        "ulang-tahun-keluarga": "recurring",
        "pengingat-gajian": "recurring",
    }
    # Budi Santoso (Keluarga) was born on 14 March 1968; 25 March is payday
    env = {"SMSYNC_PASSWORD": PASSWORD, "SMSYNC_NOW": "2027-03-14T08:00:00+07:00", "CI": ""}
    args = ["plan", str(root), "--endpoint", sandbox.url, "--show-pii"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Broadcast ulang-tahun-keluarga@2027-03-14 (sms, per contact): 1 recipient" in out
    assert "Selamat ulang tahun ke-59, Budi Santoso!" in out
    assert "Broadcast pengingat-gajian (sms, per contact): recurring: no occurrence due now" in out
    assert "closed since 2026-12-15T10:00:00+07:00" in out
    validated = CliRunner().invoke(cli, ["validate", str(root)])
    assert validated.exit_code == 0, validated.output  # occurrence and age are known
