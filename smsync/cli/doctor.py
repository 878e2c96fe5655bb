"""`smsync doctor`: read-only first-contact checks of a live gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.options import (
    chosen_format,
    gateway_options,
    manager,
    project_argument,
    report_format,
)

if TYPE_CHECKING:
    from smsync.manager import GatewayOptions


@click.command("doctor")
@project_argument
@gateway_options
@report_format("doctor.schema.json")
@click.option(
    "--write-probe",
    is_flag=True,
    help="Also check writes: create a scratch group smsync-doctor-<random> with one "
    "contact, and remove both. Changes the phonebook for a moment; sends nothing.",
)
@click.option(
    "--record",
    "record",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a redacted transcript of every request and answer (no password, no "
    "auth, numbers masked) to attach to a bug report.",
)
@click.option(
    "--sms-to",
    metavar="NUMBER",
    help="Also send ONE SMS to this number (yours; shown and confirmed first) to see "
    "what a repeated trxid answers. Costs one credit.",
)
@click.option("--yes", is_flag=True, help="Do not ask before sending the --sms-to message.")
def doctor_cmd(
    project_dir: Path,
    gateway: GatewayOptions,
    fmt: str,
    write_probe: bool,
    record: Path | None,
    sms_to: str | None,
    yes: bool,
) -> None:
    """Check how a gateway speaks the protocol, before the first plan. Read-only.

    Asks the questions the provider's reference leaves open (the balance path, path and
    parameter spellings, the page-size cap, the record form, separators, birth dates, search
    limits) and prints what it found, the `gateway:` settings for smsync.yaml, and the
    `smsync sandbox serve` flags that make the sandbox answer the same way.

    \b
    Examples:
      smsync doctor --endpoint http://send.example.co.id:8080 --username me
      smsync doctor myphonebook --format json
      smsync doctor --write-probe      # consent to a scratch group, created and removed
    """
    from smsync.doctor import diagnose, render_text, to_json
    from smsync.gateway.dialect import PROBE_SMS

    if sms_to is not None and not yes:
        click.confirm(
            f"Send one SMS to {sms_to} saying {PROBE_SMS!r}? It costs one credit.",
            abort=True,
            err=True,
        )
    m = manager(project_dir, gateway)
    diagnosis = diagnose(
        m.credentials(),
        base_dir=m.project.root,
        write_probe=write_probe,
        record=record,
        sms_to=sms_to,
    )
    if chosen_format(fmt) == "json":
        click.echo(json.dumps(to_json(diagnosis), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(diagnosis), nl=False)
