"""Guarantee 6 for command-line values and environment: every bad value gets a one-line error
(exit 1), never a traceback, and never echoes the password (guarantee 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli
from tests.support.sandbox import PASSWORD

BAD_ENDPOINTS = [
    "garbage",
    "http://",
    "https://",
    "ftp://host",
    "http://[::1",
    "http://host:99999",
    "http://host:-1",
    f"http://demo:{PASSWORD}@host",
    f"http://host/?password={PASSWORD}",
    "http://host#frag",
    "sandbox://",
    "http:// spaced",
    "\x00",
    "h" * 5000,
]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, list(args), env={"SMSYNC_PASSWORD": PASSWORD, "CI": "1", **(env or {})}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    assert PASSWORD not in result.output
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    assert run("init", str(root))[0] == 0
    return root


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
@pytest.mark.parametrize("command", ["plan", "apply", "import", "status"])
def test_bad_endpoint_is_a_clear_error(project: Path, command: str, endpoint: str) -> None:
    code, out = run(command, str(project), "--endpoint", endpoint)
    assert code == 1, out
    assert "Traceback" not in out
    assert out.strip().startswith("Error") or "Usage" in out, out


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "{root}", "--concurrency", "0"],
        ["plan", "{root}", "--concurrency", "x"],
        ["plan", "{root}", "--format", "yaml"],
        ["apply", "{root}", "--rate", "0"],
        ["apply", "{root}", "--rate", "nan"],
        ["apply", "{root}/nope.json"],
        ["apply", "{root}/smsync.yaml", "--auto-approve"],
        ["plan", "{root}", "--password-file", "{root}/missing"],
        ["plan", "{root}", "--credentials-file", "{root}/missing", "--endpoint", "http://h:1"],
        ["plan", "{root}", "--username", "", "--endpoint", "http://h:1"],
        ["plan", "{root}", "--broadcast", "no-such-broadcast"],
        ["status", "{root}", "no-such-broadcast", "--no-refresh"],
        ["dlr", "serve", "{root}", "--token", "short"],
        ["dlr", "serve", "{root}", "--port", "70000"],
        ["sandbox", "serve", "--account", "nocolon"],
        ["sandbox", "serve", "--fault-rate", "2"],
        ["sandbox", "show", "--db", "{root}/smsync.yaml"],
        ["validate", "{root}/missing"],
        ["init", "{root}/smsync.yaml"],
    ],
)
def test_bad_option_values_are_clear_errors(project: Path, args: list[str]) -> None:
    code, out = run(*[a.format(root=project) for a in args])
    assert code == 1, out
    assert "Traceback" not in out
