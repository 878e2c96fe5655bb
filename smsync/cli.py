"""The click layer: parse options, call the library, render results. Never builds a URL."""

from __future__ import annotations

import click

from smsync import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smsync")
def cli() -> None:
    """Manage a web2sms SMS gateway account from YAML files kept in git."""


def main() -> None:
    cli()
