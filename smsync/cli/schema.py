"""`smsync schema NAME`: print a JSON Schema smsync ships (the reference `init` points to: a
user's project has no schemas/ directory, and an editor can be pointed at the printed file)."""

from __future__ import annotations

import click

#: The name a user types -> the schema file shipped in smsync.schemas.
SCHEMAS = {
    "project": "project.schema.json",  # smsync.yaml
    "spec": "spec.schema.json",  # Group and Broadcast documents
    "plan": "plan.schema.json",  # plan --out / --format json, show --format json
    "apply": "apply.schema.json",  # apply --format json
    "validate": "validate.schema.json",  # validate --format json
    "import": "import.schema.json",  # import --format json
    "status": "status.schema.json",  # status --format json
    "doctor": "doctor.schema.json",  # doctor --format json
    "balance": "balance.schema.json",  # account balance --format json
}


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)))
def schema_cmd(name: str) -> None:
    """Print the JSON Schema of smsync.yaml (project), of spec documents (spec), of a plan
    file (plan), or of what a command prints with --format json (apply, validate, import,
    status, doctor, balance: `account balance`).

    \b
    Example:
      smsync schema project > smsync.schema.json
    """
    from importlib.resources import files

    text = files("smsync.schemas").joinpath(SCHEMAS[name]).read_text(encoding="utf-8")
    click.echo(text, nl=not text.endswith("\n"))
