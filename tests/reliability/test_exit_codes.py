"""A usage error (unknown option, bad value, missing directory, unknown command, missing or
extra argument) exits 1, never 2: 2 is what `plan --detailed-exitcode` means by "changes", so a
typo in a CI script must not read as a plan with changes.

Checked both ways a user meets the CLI: the installed `smsync` script in a real process, and
click's CliRunner (what the rest of the suite and embedding code use).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import EXIT_CHANGES, EXIT_ERROR, cli

MISSING = "/nonexistent/smsync-project"

USAGE_ERRORS = {
    "unknown option, top level": ["--bogus"],
    "unknown option, plan": ["plan", "--bogus"],
    "unknown option, apply": ["apply", "--auto-aprove"],
    "unknown option, import": ["import", "--bogus"],
    "unknown option, status": ["status", "--bogus"],
    "unknown option, validate": ["validate", "--bogus"],
    "unknown option, init": ["init", "--bogus"],
    "unknown option, sandbox serve": ["sandbox", "serve", "--bogus"],
    "unknown option, sandbox show": ["sandbox", "show", "--bogus"],
    "unknown option, dlr serve": ["dlr", "serve", "--bogus"],
    "bad value, plan --concurrency": ["plan", "--concurrency", "x"],
    "bad value, plan --format": ["plan", "--format", "yaml"],
    "bad value, apply --rate": ["apply", "--rate", "0"],
    "bad value, sandbox serve --port": ["sandbox", "serve", "--port", "x"],
    "bad value, sandbox serve --account": ["sandbox", "serve", "--account", "nocolon"],
    "bad value, dlr serve --port": ["dlr", "serve", "--port", "70000"],
    "missing directory, plan": ["plan", MISSING],
    "missing directory, apply": ["apply", MISSING],
    "missing directory, import": ["import", MISSING],
    "missing directory, status": ["status", MISSING],
    "missing directory, dlr serve": ["dlr", "serve", MISSING],
    "unknown command, top level": ["plna"],
    "unknown command, sandbox": ["sandbox", "srve"],
    "unknown command, dlr": ["dlr", "srve"],
    "missing option value, plan --out": ["plan", "--out"],
    "missing required option, sandbox show": ["sandbox", "show"],
    "extra argument, status": ["status", ".", "promo", "extra"],
    "extra argument, validate": ["validate", ".", "extra"],
}


def _installed_smsync() -> list[str]:
    exe = shutil.which("smsync", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "smsync"]


def run_process(args: list[str], cwd: Path) -> tuple[int, str]:
    r = subprocess.run(
        [*_installed_smsync(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )
    assert r.stdout == "", r.stdout  # the error goes to stderr, stdout stays clean
    return r.returncode, r.stderr


def run_clirunner(args: list[str], cwd: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, prog_name="smsync")
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stderr


@pytest.mark.parametrize("runner", [run_process, run_clirunner], ids=["process", "clirunner"])
@pytest.mark.parametrize("args", list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_usage_error_exits_1_not_the_changes_code(
    args: list[str], runner: object, tmp_path: Path
) -> None:
    assert callable(runner)
    code, err = runner(args, tmp_path)
    assert code == EXIT_ERROR != EXIT_CHANGES, err
    # click's usual message, unchanged: the usage line and hint (when click has the
    # command's context to print them from), then the error
    assert err.startswith(("Usage: smsync", "Error: ")), err
    assert "Error: " in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("runner", [run_process, run_clirunner], ids=["process", "clirunner"])
@pytest.mark.parametrize("args", [[], ["sandbox"], ["dlr"]], ids=["smsync", "sandbox", "dlr"])
def test_group_without_command_shows_help_and_exits_1(
    args: list[str], runner: object, tmp_path: Path
) -> None:
    assert callable(runner)
    code, err = runner(args, tmp_path)
    assert code == EXIT_ERROR, err
    assert err.startswith("Usage: smsync") and "Commands:" in err, err


@pytest.mark.parametrize(
    "args", [["--help"], ["plan", "--help"], ["sandbox", "serve", "--help"], ["--version"]]
)
def test_help_and_version_still_exit_0(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def test_plan_help_documents_exit_code_1_for_usage_errors() -> None:
    out = CliRunner().invoke(cli, ["plan", "--help"]).output
    assert "1 error (a mistyped option or argument too)" in out, out
