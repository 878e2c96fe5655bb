"""Shell completion, as `smsync --help` documents it (click's _SMSYNC_COMPLETE protocol)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import run_cli

SMSYNC = str(Path(sys.executable).parent / "smsync")


def complete(words: str, env_value: str = "bash_complete") -> str:
    env = {**os.environ, "_SMSYNC_COMPLETE": env_value, "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - 1)
    return subprocess.run(
        [SMSYNC], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout


def test_help_documents_shell_completion() -> None:
    assert "_SMSYNC_COMPLETE=bash_source smsync" in run_cli("--help").stdout


def test_commands_and_their_options_complete() -> None:
    assert "plan" in complete("smsync pl").split(",")[-1]
    assert "--lock-timeout" in complete("smsync apply --lo")
    assert "_smsync_completion" in complete("smsync", "bash_source")
