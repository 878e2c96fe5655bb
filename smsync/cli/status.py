"""`smsync status` and `smsync dlr serve`: what became of the broadcasts sent."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.dashboard import print_status, status_json
from smsync.cli.errors import UserError
from smsync.cli.options import (
    chosen_format,
    gateway_options,
    listen_options,
    manager,
    project_argument,
    report_format,
)

if TYPE_CHECKING:
    from smsync.broadcast import DlrServer
    from smsync.manager import GatewayOptions, Status


@click.command("status")
@project_argument
@click.argument("broadcast", required=False)
@gateway_options
@click.option(
    "--no-refresh",
    is_flag=True,
    help="Show the ledger's counts as they are, without asking the gateway.",
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Report.aspx requests in flight at once.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="Also write the delivery report: one self-contained HTML page (charts inline, "
    "nothing fetched) to open anywhere or keep as a CI artifact.",
)
@click.option(
    "--show-pii",
    is_flag=True,
    help="Show the numbers to retry in full in the report and the JSON (masked by default).",
)
@report_format("status.schema.json")
def status_cmd(
    project_dir: Path,
    broadcast: str | None,
    gateway: GatewayOptions,
    no_refresh: bool,
    concurrency: int,
    report_file: Path | None,
    show_pii: bool,
    fmt: str,
) -> None:
    """Delivery status of sent broadcasts: per broadcast its kind (once, ongoing, recurring:
    per occurrence), whether it is complete, the delivery funnel and a table by operator.

    Counts come from the ledger (project setting `ledger`); messages without a final state
    are first refreshed through the gateway's Report.aspx (only those). Funnel: planned
    (recorded, or in a `once` broadcast's fixed audience) = delivered + failed (refused by
    the gateway, UNDELIVRD, REJECTED, EXPIRED) + pending (no outcome yet); sent: accepted by
    the gateway. A group send counts once per member it reached.

    \b
    Examples:
      smsync status                        # every broadcast of the project here
      smsync status . promo-lebaran-2025   # one broadcast (a recurring one: every occurrence)
      smsync status --report delivery.html # and the report, to open in a browser
      smsync status --no-refresh --format json   # offline, machine-readable (or --json)
    """
    as_json = chosen_format(fmt) == "json"
    if report_file is not None:
        from smsync.cli.report_html import HEAD
        from smsync.outfile import check_writable

        check_writable(report_file, replaces=HEAD)  # before any question to the gateway
    m = manager(project_dir, gateway)
    if broadcast is None and not m.state().exists:
        if not no_refresh:
            # One request, as a status with something to refresh would make: gateway options
            # given in error are errors, ledger or not.
            with m.session() as session:
                session.client.credits()
        if m.project.config_file is None:
            raise UserError(
                f"{project_dir}: no smsync.yaml here (and no ledger at {m.state().where}): "
                "not an smsync project"
            )
        # Nothing sent is an answer, not a failure: a CI step asking for status must not fail.
        if report_file is not None:
            _write_report(report_file, project_dir, None, show_pii)
        if as_json:
            click.echo(json.dumps(status_json(None, show_pii=show_pii), indent=2))
        else:
            click.echo(f"No broadcasts sent yet (no ledger at {m.state().where}).")
        return
    status = m.status(broadcast, refresh=not no_refresh, concurrency=concurrency)
    print_status(status, as_json=as_json, show_pii=show_pii)
    if report_file is not None:
        _write_report(report_file, project_dir, status, show_pii)


def _write_report(path: Path, project_dir: Path, status: Status | None, show_pii: bool) -> None:
    from smsync.broadcast.schedule import clock
    from smsync.cli.report_html import render_report
    from smsync.outfile import write_atomically

    note = ""
    if status is not None and status.refreshed is None:
        note = "states as the ledger held them (not refreshed)"
    page = render_report(
        status.broadcasts if status is not None else [],
        title=project_dir.resolve().name,
        generated=clock(),
        show_pii=show_pii,
        note=note,
    )
    write_atomically(path, page)
    click.echo(f"Wrote the delivery report to {path}", err=True)


@click.group("dlr")
def dlr_group() -> None:
    """Receive the gateway's delivery reports into the broadcast ledger."""


@dlr_group.command("serve")
@project_argument
@listen_options(
    8090,
    "Address to listen on (loopback by default; put a TLS proxy in front for the internet).",
    "Port to listen on (0: any free port).",
)
@click.option(
    "--token",
    envvar="SMSYNC_DLR_TOKEN",
    metavar="TOKEN",
    help="Shared secret, the first path segment of the URL (default: "
    "$SMSYNC_DLR_TOKEN). Prefer --token-file or the variable: options show in `ps`.",
)
@click.option(
    "--token-file", type=click.Path(path_type=Path), help="Read the token from this file."
)
@click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="CIDR",
    help="Answer only requests from this address or block (repeatable): the provider's "
    "addresses. Required with --no-token.",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="For providers that fix the path (/dlr.php?msgid=%id&status=%s): serve without a "
    "secret, accepting only msgids smsync sent that have no final state yet, from --allow "
    "addresses only.",
)
@click.option("--quiet", is_flag=True, help="Do not log each request.")
def dlr_serve_cmd(
    project_dir: Path,
    host: str,
    port: int,
    token: str | None,
    token_file: Path | None,
    quiet: bool,
    allow: tuple[str, ...] = (),
    no_token: bool = False,
) -> None:
    """Serve the delivery-report URL and record reports in the project's state until Ctrl-C.

    Configure the account's delivery-report URL at the gateway as
    http://HOST:PORT/TOKEN/dlr?msgid=%id&status=%s, or with the token as a parameter:
    http://HOST:PORT/dlr.php?msgid=%id&status=%s&token=TOKEN . A provider that lets you set
    only host and port calls /dlr.php?msgid=%id&status=%s: serve it with --no-token and
    --allow (weaker: see the README). Answers: 200 recorded, 400 bad report, 403 wrong or
    missing token or address not allowed, 404 unknown msgid, 413/414 oversized request.

    \b
    Example:
      SMSYNC_DLR_TOKEN=$(cat ~/.config/smsync/dlr-token) smsync dlr serve . --port 8090
    """
    from smsync.broadcast import check_token, serve_dlr
    from smsync.manager import Manager
    from smsync.spec.localfile import LocalFileError, read_text_file
    from smsync.spec.project import MAX_SECRET_FILE_BYTES

    if token_file is not None:
        try:
            token = read_text_file(
                token_file, max_bytes=MAX_SECRET_FILE_BYTES, encoding="utf-8"
            ).strip()
        except LocalFileError as e:
            raise UserError(f"token file {e}") from None
    from smsync.broadcast.dlr import parse_allow

    networks = [parse_allow(cidr) for cidr in allow]
    if no_token:
        if token:
            raise UserError(
                "--no-token and a token (--token, --token-file or $SMSYNC_DLR_TOKEN) exclude "
                "each other"
            )
        if not networks:
            raise UserError(
                "--no-token needs --allow CIDR (the provider's addresses): without a secret, "
                "the source address is what keeps forged reports out"
            )
        token = None
    elif not token:
        raise UserError(
            "a token is required: --token-file FILE, $SMSYNC_DLR_TOKEN or --token "
            "(or --no-token with --allow, for providers that fix the path)"
        )
    else:
        check_token(token)
    # Where apply records the sends (`state:`, SMSYNC_STATE, `ledger:`): a report is matched
    # to its send by msgid, so it must land in the same rows.
    state = Manager(project_dir).state()

    def ready(server: DlrServer) -> None:
        click.echo(f"Receiving delivery reports on {server.url_template}")
        if token is None:
            click.echo(
                f"(no token: only msgids awaiting a report, from {', '.join(allow)}; Ctrl-C stops)"
            )
        else:
            click.echo("(<token> stands for your token; Ctrl-C stops)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: listening on {host}, not only on loopback", err=True)
        sys.stdout.flush()

    log = None if quiet else (lambda line: click.echo(line, err=True))
    received = serve_dlr(state, token, host, port, on_ready=ready, log=log, allow=networks)
    click.echo(f"Stopped; {received} delivery report(s) recorded.")
