"""The real command line, run in-process."""

from __future__ import annotations

from click.testing import CliRunner, Result

from smsync.cli import cli


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """``smsync ARGS`` through click's runner; an exception the CLI did not turn into an exit
    code propagates, so a traceback fails the test instead of hiding in ``result``."""
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
