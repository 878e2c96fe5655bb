"""`smsync init`, `smsync validate`, `smsync import`: the project's spec files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.errors import UserError
from smsync.cli.options import (
    chosen_format,
    format_option,
    gateway_options,
    manager,
    report_format,
)
from smsync.cli.printers import print_import_result

if TYPE_CHECKING:
    from smsync.manager import GatewayOptions


@click.command("init")
@click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--endpoint",
    metavar="URL",
    default="sandbox://.smsync/sandbox.sqlite",
    show_default=True,
    help="Gateway base URL to write into smsync.yaml (no password: that is never written).",
)
@click.option("--username", metavar="USER", default="demo", show_default=True)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing smsync.yaml (an existing groups/teman.yaml is kept).",
)
def init_cmd(directory: Path, endpoint: str, username: str, force: bool) -> None:
    """Write a commented smsync.yaml and an example group, ready for the sandbox.

    \b
    Examples:
      smsync init myphonebook                      # try it against the embedded sandbox
      smsync init . --endpoint http://gw:8080 --username toko
    """
    from smsync.errors import SmsyncError
    from smsync.spec.scaffold import init_project

    try:
        written = init_project(directory, endpoint=endpoint, username=username, force=force)
    except (SmsyncError, OSError) as e:
        raise click.ClickException(str(e)) from None
    for p in written:
        click.echo(f"wrote {p}")
    click.echo(f"next: smsync validate {directory}")


@click.command("validate")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@report_format("validate.schema.json")
def validate_cmd(path: Path, fmt: str) -> None:
    """Check the project (or one spec file) without touching the network.

    Prints every problem as file:line:column: field: message, or a one-line summary. Exit 1
    when there is a problem (--format json: the problems as data, same exit code).
    """
    from smsync.spec.check import check, find_project_root
    from smsync.spec.project import PROJECT_FILE

    if not path.exists():
        raise click.ClickException(f"{path} does not exist")
    shown_root = ""
    if path.is_dir() and not (path / PROJECT_FILE).is_file():
        # Without smsync.yaml, every YAML below would be read as a spec: in a repository of
        # other YAML (or a home directory) that is slow and says "ok" about files that are not
        # smsync's. A folder inside a project (validate groups/) validates that project.
        root = find_project_root(path)
        if not (root / PROJECT_FILE).is_file():
            raise UserError(
                f"{path}: no {PROJECT_FILE} here or in a parent directory, so this is not an "
                f"smsync project; create one with `smsync init {path}`, or validate one spec "
                "file with `smsync validate FILE`"
            )
        path, shown_root = root, f" (project {root})"
    result = check(path)
    if chosen_format(fmt) == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        sys.exit(0 if result.ok else 1)
    if not result.ok:
        for p in result.problems:
            click.echo(str(p))
        n = len(result.problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found", err=True)
        sys.exit(1)
    click.echo(result.summary() + shown_root)


@click.command("import")
@click.argument(
    "project_dir",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@gateway_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Where to write the spec files (default: PROJECT_DIR/groups).",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="NAME",
    help="Import only this group (repeatable; default: every group).",
)
@click.option(
    "--csv-threshold",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Groups with more contacts than this get a contacts_file CSV.",
)
@click.option(
    "--no-details",
    is_flag=True,
    help="Do not fetch address/birth/desc when the gateway lists only short "
    "records (faster; those fields are then left unmanaged).",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option(
    "--prune",
    is_flag=True,
    help="Remove files an earlier import wrote whose groups are no longer on the gateway "
    "(without it they are kept and listed; the next plan would add those groups back).",
)
@format_option("json: the report as schemas/import.schema.json describes it.")
def import_cmd(
    project_dir: Path,
    gateway: GatewayOptions,
    out_dir: Path | None,
    groups: tuple[str, ...],
    csv_threshold: int,
    no_details: bool,
    force: bool,
    prune: bool,
    fmt: str,
) -> None:
    """Write spec files (one per group) from the remote phonebook.

    Right after an import, `smsync plan` shows no changes (except remote duplicates, which a
    spec cannot declare; they are reported here). Large groups go to a CSV file. A directory
    without smsync.yaml (a new one too) becomes a project: smsync.yaml is written with the
    endpoint and username used (never the password).

    \b
    Examples:
      smsync import myphonebook --endpoint http://gw:8080 --username toko   # a new project
      smsync import . --force --prune        # refresh; drop files of groups deleted remotely
    """
    from smsync.importer import ImportOptions, rich_progress
    from smsync.spec.project import PROJECT_FILE
    from smsync.spec.scaffold import project_text

    if project_dir.exists() and not project_dir.is_dir():
        raise UserError(f"{project_dir} is not a directory")
    m = manager(project_dir, gateway)
    options = ImportOptions(
        out_dir=out_dir or m.project.root / "groups",
        groups=list(groups),
        csv_threshold=csv_threshold,
        force=force,
        details=not no_details,
        prune=prune,
    )
    config = m.project.root / PROJECT_FILE
    new_config = None
    if m.project.config_file is None:
        # checked before the import reads the whole phonebook
        creds = m.credentials()
        new_config = project_text(_project_endpoint(creds.endpoint, m.project.root), creds.username)
        if config.exists():
            raise UserError(f"{config} exists but is not a file")
    with rich_progress(sys.stderr.isatty()) as progress:
        result = m.import_phonebook(options, progress)
    if new_config is not None:
        with config.open("x", encoding="utf-8") as f:
            f.write(new_config)
    print_import_result(result, options.out_dir, as_json=fmt == "json")
    if new_config is not None:
        click.echo(f"wrote {config}", err=fmt == "json")


def _project_endpoint(endpoint: str, root: Path) -> str:
    """The endpoint as smsync.yaml holds it: an embedded sandbox relative to the project."""
    import os

    from smsync.endpoint import is_sandbox, sandbox_db_path

    if not is_sandbox(endpoint):
        return endpoint
    return "sandbox://" + os.path.relpath(sandbox_db_path(endpoint), root)
