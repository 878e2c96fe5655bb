"""Guarantee 4, as the user sees it: when transient faults make some actions fail, `smsync
apply` exits 1 and says to run it again; re-running it converges (plan then shows no changes)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxServer
from tests.reliability.scenarios import build_world, check_world
from tests.support.sandbox import PASSWORD

RERUN = "Run `smsync apply` again to finish"


def test_failed_actions_tell_the_user_to_rerun_and_reruns_converge(
    make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    srv = make_sandbox(fault_rate=0.25, seed=5, fault_kinds=["1703"])
    world = build_world(tmp_path / "p", srv, random.Random(5))
    env = {"SMSYNC_PASSWORD": PASSWORD, "CI": "1"}
    told, runs = False, 0
    for _ in range(10):
        runs += 1
        result = CliRunner().invoke(cli, ["apply", str(world.root), "--auto-approve"], env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert PASSWORD not in result.output
        if result.exit_code == 0:
            break
        assert result.exit_code == 1, result.output
        told = told or RERUN in result.output
    else:
        raise AssertionError("apply did not converge in 10 runs")
    assert told and runs > 1  # some run failed, and said what to do
    object.__setattr__(srv.config, "fault_rate", 0.0)
    plan = CliRunner().invoke(cli, ["plan", str(world.root), "--detailed-exitcode"], env=env)
    assert plan.exit_code == 0, plan.output
    assert check_world(world).ok
