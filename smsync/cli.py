"""The click layer: parse options, call the library, render results. Never builds a URL."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smsync import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smsync")
def cli() -> None:
    """Manage a web2sms SMS gateway account from YAML files kept in git."""


# --- spec commands: init, validate, import (owner: spec layer) -------------------------------


@cli.command("init")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
def init_cmd(directory: Path) -> None:
    """Write a commented smsync.yaml and an example group, ready for the sandbox."""
    from smsync.gateway.errors import SmsyncError
    from smsync.spec.scaffold import init_project

    try:
        written = init_project(directory)
    except (SmsyncError, OSError) as e:
        raise click.ClickException(str(e)) from None
    for p in written:
        click.echo(f"wrote {p}")
    click.echo(f"next: smsync validate {directory}")


@cli.command("validate")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
def validate_cmd(path: Path) -> None:
    """Check the project (or one spec file) without touching the network.

    Prints every problem as file:line:column: field: message, or a one-line summary.
    """
    from smsync.spec.check import check

    if not path.exists():
        raise click.ClickException(f"{path} does not exist")
    result = check(path)
    if not result.ok:
        for p in result.problems:
            click.echo(str(p))
        n = len(result.problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found", err=True)
        sys.exit(1)
    click.echo(result.summary())


def main() -> None:
    cli()
