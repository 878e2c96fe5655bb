"""Helpers for spec-layer tests: write a project tree and run the real CLI on it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smsync.cli import cli

WriteFn = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFn:
    """write("groups/a.yaml", text) -> path; text is dedented."""

    def _write(rel: str, text: str) -> Path:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return p

    return _write


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
