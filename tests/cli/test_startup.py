"""What `smsync` loads to start: commands are imported when they run, and `--help` needs no
HTTP client, template engine or terminal library."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from smsync.cli import COMMANDS, cli
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD

HEAVY = (
    "requests",
    "urllib3",
    "jinja2",
    "rich",
    "yaml",
    "jsonschema",
    "deepdiff",
    "phonenumbers",
    "smsync.gateway",
    "smsync.manager",
)


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(out.split())


def test_importing_the_cli_loads_none_of_the_commands() -> None:
    loaded = loaded_after("import smsync.cli")

    modules = {target.partition(":")[0] for target in COMMANDS.values()}
    assert not modules & loaded


def test_help_loads_no_http_client_template_engine_or_terminal_library() -> None:
    loaded = loaded_after(
        "import sys\nfrom smsync.cli import main\nsys.argv = ['smsync', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )

    assert "smsync.cli.plan" in loaded  # --help did list the commands
    assert not {m for m in loaded if m.startswith(HEAVY)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_shows_its_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {name} ")


@pytest.mark.skipif(
    not hasattr(click.exceptions, "NoSuchCommand"),
    reason="click before 8.4 suggests no command names",
)
def test_mistyped_command_suggests_the_close_one_and_exits_1() -> None:
    result = CliRunner().invoke(cli, ["sttaus"])

    assert result.exit_code == 1
    assert "No such command 'sttaus'. Did you mean 'status'?" in result.output


# What only apply, import, status or broadcasts need: a plan of the phonebook alone never uses it.
NOT_FOR_A_PHONEBOOK_PLAN = (
    "smsync.apply.executor",
    "smsync.importer",
    "smsync.broadcast.send",
    "smsync.broadcast.plan",
    "jinja2",
    "filelock",
    "requests",
    "urllib3",
)


def test_a_phonebook_plan_loads_no_executor_sender_template_engine_or_lock_library(
    project: Project,
) -> None:
    project.write_groups(group("Kantor", [contact(1)]))
    probe = (
        "import sys\nfrom smsync.cli import main\n"
        f"sys.argv = ['smsync', 'plan', {str(project.root)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "SMSYNC_PASSWORD": PASSWORD, "CI": ""},
    )
    loaded = set(done.stderr.split())

    assert "1 to add" in done.stdout  # the plan was made
    assert "smsync.plan.diff" in loaded
    assert not {m for m in loaded if m.startswith(NOT_FOR_A_PHONEBOOK_PLAN)}
