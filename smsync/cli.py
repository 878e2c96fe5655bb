"""The click layer: parse options, call the library, render results. Never builds a URL."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from smsync import __version__
from smsync.errors import SmsyncError
from smsync.textsafe import escape_controls

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes shared by plan --detailed-exitcode and apply (see `smsync plan --help`).
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_UNSAFE, EXIT_STALE = 0, 1, 2, 3, 4


class UserError(click.ClickException):
    """A mistake or refusal the user can act on: one line on stderr, no traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        # Messages quote gateway answers and remote names: no control characters to the
        # terminal. Line breaks stay: some messages list one problem per line.
        super().__init__(escape_controls(message, keep_newlines=True))


class UnsafeRefusal(UserError):
    exit_code = EXIT_UNSAFE


class StaleRefusal(UserError):
    exit_code = EXIT_STALE


class SmsyncGroup(click.Group):
    """Turns every SmsyncError raised by a command into a clean error message and exit 1, and
    makes usage errors exit 1 too.

    click exits 2 on a usage error (unknown option or command, bad value, missing argument),
    but 2 is EXIT_CHANGES: a typo in a CI script would read as "plan has changes". The root
    group's own arguments are parsed in make_context; every subcommand's (sub-groups included)
    are parsed inside invoke, so these two methods see every usage error of the tree.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _exits_1(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _exits_1(exc) from None
        except SmsyncError as exc:
            raise UserError(str(exc)) from None


def _exits_1(exc: click.UsageError) -> click.UsageError:
    # On the instance, not a subclass: each UsageError subclass shows itself its own way (the
    # help for NoArgsIsHelpError, "did you mean" for NoSuchOption), and that is kept.
    setattr(exc, "exit_code", EXIT_ERROR)  # noqa: B010 (click types it as a ClassVar)
    return exc


def gateway_options(fn: F) -> F:
    """--endpoint / --username / --password-file / --credentials-file for gateway commands."""
    fn = click.option(
        "--credentials-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="YAML or INI file mapping username to password (must be chmod 600). "
        "Default: $SMSYNC_CREDENTIALS_FILE or ~/.config/smsync/credentials.",
    )(fn)
    fn = click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read the password from this file. Otherwise $SMSYNC_PASSWORD or the credentials "
        "file. There is deliberately no --password option.",
    )(fn)
    fn = click.option(
        "--username",
        metavar="USER",
        help="Gateway username (default: $SMSYNC_USERNAME, smsync.yaml).",
    )(fn)
    fn = click.option(
        "--endpoint",
        metavar="URL",
        help="Gateway base URL, e.g. http://host:8080, or sandbox://PATH for the embedded "
        "sandbox (default: $SMSYNC_ENDPOINT, smsync.yaml).",
    )(fn)
    return fn


def project_argument(fn: F) -> F:
    return click.argument(
        "project_dir",
        required=False,
        default=".",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
    )(fn)


def show_pii_default(show_pii: bool) -> bool:
    """Names and numbers are shown only on an interactive terminal outside CI, or on request."""
    return show_pii or (sys.stdout.isatty() and not os.environ.get("CI"))


@click.group(
    cls=SmsyncGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="smsync")
def cli() -> None:
    """Manage a web2sms SMS gateway account from YAML files kept in git.

    \b
    Typical flow (Terraform-style):
      smsync init myphonebook      # a commented smsync.yaml and an example group
      smsync validate myphonebook  # check the YAML, no network
      smsync plan myphonebook      # what would change on the gateway (and who gets what)
      smsync apply myphonebook     # make the gateway match the YAML, send due broadcasts
      smsync status myphonebook    # delivery status of the broadcasts sent

    \b
    Starting from an existing account:  smsync import myphonebook
    Trying things safely:               smsync sandbox serve --account demo:demo-pass

    Every command that talks to the gateway takes --endpoint, --username and --password-file;
    `sandbox://PATH` runs a local sandbox gateway in-process, so you can try everything safely.
    """


# --- spec commands: init, validate, import (owner: spec layer) -------------------------------


@cli.command("init")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
def init_cmd(directory: Path) -> None:
    """Write a commented smsync.yaml and an example group, ready for the sandbox."""
    from smsync.errors import SmsyncError
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


@cli.command("import")
@project_argument
@gateway_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Where to write the spec files (default: PROJECT_DIR/groups).")
@click.option("--group", "groups", multiple=True, metavar="NAME",
              help="Import only this group (repeatable; default: every group).")
@click.option("--csv-threshold", type=click.IntRange(min=0), default=200, show_default=True,
              help="Groups with more contacts than this get a contacts_file CSV.")
@click.option("--no-details", is_flag=True,
              help="Do not fetch address/birth/desc when the gateway lists only short "
              "records (faster; those fields are then left unmanaged).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def import_cmd(
    project_dir: Path, endpoint: str | None, username: str | None, password_file: Path | None,
    credentials_file: Path | None, out_dir: Path | None, groups: tuple[str, ...],
    csv_threshold: int, no_details: bool, force: bool,
) -> None:
    """Write spec files (one per group) from the remote phonebook.

    Right after an import, `smsync plan` shows no changes (except remote duplicates, which a
    spec cannot declare; they are reported here). Large groups go to a CSV file.
    """
    from smsync.endpoint import open_client
    from smsync.importer import ImportOptions, import_phonebook, rich_progress
    from smsync.spec.project import load_project, resolve_credentials

    project = load_project(project_dir)
    creds = resolve_credentials(project, endpoint=endpoint, username=username,
                                password_file=password_file, credentials_file=credentials_file)
    options = ImportOptions(out_dir=out_dir or project.root / "groups", groups=list(groups),
                            csv_threshold=csv_threshold, force=force, details=not no_details)
    with open_client(creds, base_dir=project.root) as client, \
            rich_progress(sys.stderr.isatty()) as progress:
        result = import_phonebook(client, project, options, progress)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"imported {result.groups} group{'s' * (result.groups != 1)}, "
               f"{result.contacts} contact{'s' * (result.contacts != 1)} into "
               f"{len(result.files)} file{'s' * (len(result.files) != 1)} under {options.out_dir}")


# --- plan and apply (owner: plan/apply) -------------------------------------------------------


def _plan_options(fn: F) -> F:
    fn = click.option(
        "--no-broadcasts", is_flag=True, help="Leave broadcasts out (phonebook changes only).",
    )(fn)
    fn = click.option(
        "--broadcast", "broadcast_names", multiple=True, metavar="NAME",
        help="Plan only this broadcast (repeatable; default: every broadcast in the spec).",
    )(fn)
    fn = click.option(
        "--concurrency", default=4, show_default=True, type=click.IntRange(1, 64),
        help="Requests in flight at once.",
    )(fn)
    fn = click.option(
        "--exclude", "excludes", multiple=True, metavar="GROUP",
        help="Leave groups matching this glob out of the plan (repeatable).",
    )(fn)
    fn = click.option(
        "--target", "targets", multiple=True, metavar="GROUP",
        help="Plan only groups matching this glob, e.g. 'Sales*' (repeatable).",
    )(fn)
    fn = click.option(
        "--show-pii", is_flag=True,
        help="Show names and numbers in full (masked by default when output is not a terminal, "
        "when CI is set, and in Markdown).",
    )(fn)
    return fn


def _manager(project_dir: Path, **gateway: Any) -> Any:
    from smsync.manager import GatewayOptions, Manager

    return Manager(project_dir, GatewayOptions(**gateway))


@cli.command("plan")
@project_argument
@gateway_options
@_plan_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
    show_default=True, help="json: the documented schema schemas/plan.schema.json; markdown: "
    "for a pull-request comment.",
)
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), metavar="FILE",
    help="Also write the plan to FILE, for `smsync apply FILE` (no secrets in it).",
)
@click.option(
    "--detailed-exitcode", is_flag=True,
    help="Exit 0: no changes, 2: changes, 3: unsafe (apply would refuse it), 1: any error.",
)
def plan_cmd(
    project_dir: Path, endpoint: str | None, username: str | None, password_file: Path | None,
    credentials_file: Path | None, targets: tuple[str, ...], excludes: tuple[str, ...],
    concurrency: int, show_pii: bool, broadcast_names: tuple[str, ...], no_broadcasts: bool,
    fmt: str, out_file: Path | None, detailed_exitcode: bool,
) -> None:
    """Show what apply would change on the gateway to make it match the spec.

    Reads only the managed groups (those the spec declares), with as few requests as it can,
    and prints changes Terraform-style: + add, ~ change (old → new per field), > move,
    - delete, grouped by group. Nothing is written to the gateway.

    \b
    Examples:
      smsync plan                                # the project in the current directory
      smsync plan phonebook --target 'Sales*'    # only some groups
      smsync plan --format markdown > plan.md    # a pull-request comment (PII masked)
      smsync plan --out plan.json && smsync apply plan.json

    \b
    Exit codes with --detailed-exitcode: 0 no changes, 2 changes, 3 unsafe,
    1 error (a mistyped option or argument too). Without it: 0 unless there is an error.
    """
    from smsync.outfile import check_writable, write_atomically
    from smsync.plan.planner import PlanOptions
    from smsync.plan.render import RENDERERS, Style

    if out_file is not None:
        check_writable(out_file)  # before reading the whole remote, not after
    manager = _manager(
        project_dir, endpoint=endpoint, username=username, password_file=password_file,
        credentials_file=credentials_file,
    )
    options = PlanOptions(targets=list(targets), excludes=list(excludes), concurrency=concurrency)
    with manager.session(pool_size=max(concurrency, 4)) as session:
        selection = _broadcast_selection(broadcast_names, no_broadcasts)
        plan = session.plan(options, broadcasts=selection)
    style = Style(
        show_pii=show_pii if fmt == "markdown" else show_pii_default(show_pii),
        color=fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
    )
    click.echo(RENDERERS[fmt](plan, style))
    if out_file is not None:
        write_atomically(out_file, json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n")
        click.echo(f"Plan written to {out_file}; apply it with: smsync apply {out_file}", err=True)
    if detailed_exitcode:
        if plan.unsafe:
            sys.exit(EXIT_UNSAFE)
        sys.exit(EXIT_CHANGES if plan.has_changes else EXIT_OK)


@cli.command("apply")
@click.argument("path", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--project", "project_opt", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Project directory when PATH is a plan file (default: the current directory).",
)
@gateway_options
@_plan_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force", is_flag=True,
    help="Apply a plan over a safety threshold (delete/update shares, broadcast caps). "
    "Never overrides `protect: true` or the suppression list.",
)
@click.option(
    "--resend-unknown", is_flag=True,
    help="Send again group broadcasts whose earlier send has an unknown outcome (the run was "
    "killed while the gateway was answering). Without it they are reported, not re-sent.",
)
@click.option(
    "--rate", type=click.FloatRange(min=0.1), default=None, metavar="N",
    help="At most N write requests per second.",
)
def apply_cmd(
    path: Path, project_opt: Path | None, endpoint: str | None, username: str | None,
    password_file: Path | None, credentials_file: Path | None, targets: tuple[str, ...],
    excludes: tuple[str, ...], concurrency: int, show_pii: bool, broadcast_names: tuple[str, ...],
    no_broadcasts: bool, auto_approve: bool, force: bool, resend_unknown: bool,
    rate: float | None,
) -> None:
    """Make the gateway match the spec (PATH: a project directory or a `plan --out` file).

    With a directory, apply plans first, shows the plan and asks; with a plan file, it applies
    exactly that plan, and refuses it if the remote changed since it was made. Either way the
    remote is read again just before writing, so a plan read from a listing that changed while
    it was read is never applied.

    \b
    Exit codes: 0 done, 1 error (some actions failed), 3 refused as unsafe, 4 refused as stale.

    \b
    Examples:
      smsync apply                      # plan, confirm, apply
      smsync apply --auto-approve       # in CI
      smsync apply plan.json            # exactly the plan that was reviewed
    """
    from smsync.apply import ApplyLocked, Refused
    from smsync.plan.model import Plan
    from smsync.plan.planner import PlanOptions
    from smsync.plan.render import Style, render_text

    plan_file = path if path.is_file() else None
    project_dir = (project_opt or Path(".")) if plan_file else path
    if plan_file and (targets or excludes or broadcast_names or no_broadcasts):
        raise UserError(
            "--target/--exclude/--broadcast/--no-broadcasts cannot change a saved plan; "
            "plan again instead"
        )
    manager = _manager(
        project_dir, endpoint=endpoint, username=username, password_file=password_file,
        credentials_file=credentials_file,
    )
    style = Style(show_pii=show_pii_default(show_pii), color=sys.stdout.isatty())
    with manager.session(pool_size=max(concurrency, 4)) as session:
        if plan_file is not None:
            plan = _load_plan_file(plan_file, Plan)
        else:
            options = PlanOptions(
                targets=list(targets), excludes=list(excludes), concurrency=concurrency
            )
            plan = session.plan(
                options, broadcasts=_broadcast_selection(broadcast_names, no_broadcasts),
                resend_unknown=resend_unknown,
            )
        click.echo(render_text(plan, style))
        if not plan.has_changes:
            return
        try:
            session.check_applicable(plan, force=force)  # refuse before asking, not after
        except Refused as exc:
            refusal = StaleRefusal if exc.kind == "stale" else UnsafeRefusal
            raise refusal(str(exc)) from None
        if not auto_approve:
            if not sys.stdin.isatty():
                raise UserError(
                    "no terminal to confirm on: re-run with --auto-approve to apply without asking"
                )
            if not click.confirm("Apply these changes?", default=False):
                raise UserError("Apply cancelled; nothing was written.")
        try:
            with _progress(len(plan.actions) + plan.sends) as advance:
                outcome = session.apply(
                    plan, force=force, concurrency=concurrency, rate=rate,
                    resend_unknown=resend_unknown, saved=plan_file is not None,
                    on_done=lambda _: advance(), on_sent=lambda _: advance(),
                )
        except Refused as exc:
            refusal = StaleRefusal if exc.kind == "stale" else UnsafeRefusal
            raise refusal(str(exc)) from None
        except ApplyLocked as exc:
            raise UserError(str(exc)) from None
    result = outcome.phonebook
    for done in result.outcomes:
        if done.status == "failed":
            from smsync.plan.render import action_line

            head, _ = action_line(done.action, style)
            click.echo(escape_controls(f"failed: {head}: {done.detail}"), err=True)
    if result.outcomes:
        _print_apply_summary(result)
    if outcome.broadcasts is not None:
        _print_send_report(outcome.broadcasts)
    if outcome.broadcasts_skipped:
        click.echo(outcome.broadcasts_skipped, err=True)
    if result.fatal:
        raise UserError(f"apply stopped early: {result.fatal}")
    if outcome.broadcasts is not None and outcome.broadcasts.stopped_reason:
        raise UserError(f"broadcasts stopped early: {outcome.broadcasts.stopped_reason}")
    if not outcome.ok:
        # Guarantee 4: transient failures converge on re-runs; say so, rather than leave the
        # user wondering whether the gateway is now half-changed.
        click.echo(
            "Some actions did not complete. Run `smsync apply` again to finish: it re-reads the "
            "gateway, redoes only what is missing and sends nothing twice.",
            err=True,
        )
        sys.exit(EXIT_ERROR)


def _broadcast_selection(names: tuple[str, ...], none: bool) -> list[str] | None:
    if none:
        return []
    return list(names) or None


def _print_send_report(report: Any) -> None:
    for r in report.results:
        line = (
            f"Broadcast {r.name}: {r.sent} sent"
            + (f" ({r.fallback} by SMS fallback)" if r.fallback else "")
            + f", {r.already_sent} already sent, {r.suppressed} suppressed, "
            f"{len(r.failed)} failed"
        )
        if r.unknown:
            line += f", {r.unknown} outcome unknown"
        if r.skipped_reason:
            line += f" ({r.skipped_reason})"
        click.echo(escape_controls(line))
        for f in r.failed:
            click.echo(escape_controls(f"  failed: {f.to}: {f.message}"), err=True)


def _load_plan_file(path: Path, plan_cls: Any) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return plan_cls.from_json(data)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a plan written by `smsync plan --out` ({exc})") from None


def _print_apply_summary(result: Any) -> None:
    done, failed, skipped = result.count("done"), result.count("failed"), result.count("skipped")
    click.echo(f"Apply finished: {done} done, {failed} failed, {skipped} skipped.")
    for op, per in result.summary().items():
        click.echo(escape_controls(
            f"  {op}: {per['done']} done, {per['failed']} failed, {per['skipped']} skipped"
        ))


class _NoProgress:
    def __enter__(self) -> Callable[[], None]:
        return lambda: None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(total: int) -> Any:
    """A progress bar on stderr when it is a terminal (stdout stays clean for JSON)."""
    if not sys.stderr.isatty():
        return _NoProgress()
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    @contextmanager
    def bar() -> Any:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        ) as progress:
            task = progress.add_task("applying", total=total)
            yield lambda: progress.advance(task)

    return bar()


# --- sandbox gateway (owner: sandbox) --------------------------------------------------------


@cli.group("sandbox")
def sandbox_group() -> None:
    """Run or inspect a local web2sms gateway (same protocol, SQLite state, chaos knobs).

    \b
    Examples:
      smsync sandbox serve --db sandbox.db --account demo:demo-pass:1000
      smsync sandbox show --db sandbox.db
      smsync sandbox show --db sandbox.db --json | jq '.messages | length'
    """


def _sandbox_account(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    from smsync.sandbox.run import parse_account

    try:
        return [parse_account(v) for v in values]
    except ValueError as exc:
        # Never echo the value: it contains a password.
        raise click.BadParameter(str(exc)) from None


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port; the URL printed says which).")
@click.option("--db", "db_path", default=":memory:", show_default=True, metavar="PATH",
              help="SQLite file; state persists across restarts.")
@click.option("--account", "accounts", multiple=True, callback=_sandbox_account,
              metavar="USER:PASSWORD[:CREDIT]",
              help="Create or update a test account at start (repeatable; new accounts get "
              "1000 credits unless CREDIT is given).")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0),
              help="Delay every response by N ms.")
@click.option("--latency-jitter-ms", default=0, show_default=True, type=click.IntRange(0),
              help="Plus a random 0..N ms.")
@click.option("--fault-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of API requests that fail (see --fault-kind).")
@click.option("--fault-kind", "fault_kinds", multiple=True,
              type=click.Choice(["1703", "drop", "drop-after", "403"]),
              help="1703: answer 1703, apply nothing; drop: close the connection, apply "
              "nothing; drop-after: apply, then close without answering; 403: answer HTTP 403 "
              "Forbidden, apply nothing. Default: 1703, drop and drop-after.")
@click.option("--fault-path", "fault_paths", multiple=True, metavar="ENDPOINT",
              help="Inject faults only into this endpoint, e.g. sendsmsgroup (repeatable; "
              "default: all).")
@click.option("--seed", type=int, default=None, help="RNG seed for reproducible faults/jitter.")
@click.option("--max-page-size", default=100, show_default=True, type=click.IntRange(1),
              help="Larger `size` values are clamped to this.")
@click.option("--dlr-url", default=None, metavar="URL",
              help="Delivery-report URL for accounts created now, with %id and %s, e.g. "
              "'http://127.0.0.1:9000/dlr?msgid=%id&status=%s'.")
@click.option("--dlr-delay-ms", default=50, show_default=True, type=click.IntRange(0),
              help="Time until a SENT message reaches its final state.")
@click.option("--no-wa", "no_wa", multiple=True, metavar="PREFIX",
              help="Numbers starting with PREFIX (628... form) have no WhatsApp: 1751.")
@click.option("--undeliverable", multiple=True, metavar="PREFIX",
              help="Messages to numbers starting with PREFIX (628... form) end UNDELIVRD.")
@click.option("--list-form", type=click.Choice(["full", "short"]), default="full",
              show_default=True, help="Contact records in lists: 7 fields or id,name,mobile,group.")
@click.option("--separator", type=click.Choice(["unicode", "cp1252", "bytes"]),
              default="unicode", show_default=True,
              help="Field/record separators: U+0080/U+0081, U+20AC/U+0081, raw bytes.")
@click.option("--send-success", type=click.Choice(["comma", "concat", "colon", "pipe", "bare"]),
              default="comma", show_default=True,
              help="Send success body: 1701,ID / 1701ID / 1701:ID / 1701|ID / 1701.")
@click.option("--add-success", type=click.Choice(["comma", "bare"]), default="comma",
              show_default=True, help="phbkAdd/groupAdd success body: 1701,ID or 1701.")
@click.option("--birth-form", type=click.Choice(["yyyymmdd", "dmy", "iso", "slash"]),
              default="yyyymmdd", show_default=True,
              help="Birth date in records: 19450817 / 17 Aug 1945 / 1945-08-17 / 17/08/1945.")
@click.option("--raw-fields", is_flag=True,
              help="List stored values raw: a separator inside a value is printed as it is.")
@click.option("--trxid-remembers-failures", is_flag=True,
              help="A failed send (e.g. 1708) binds its trxid: repeats get the failure again.")
def sandbox_serve_cmd(
    host: str, port: int, db_path: str, accounts: list[Any], latency_ms: int,
    latency_jitter_ms: int, fault_rate: float, fault_kinds: tuple[str, ...],
    fault_paths: tuple[str, ...], seed: int | None, max_page_size: int, dlr_url: str | None,
    dlr_delay_ms: int, no_wa: tuple[str, ...], undeliverable: tuple[str, ...], list_form: str,
    separator: str, send_success: str, add_success: str, birth_form: str, raw_fields: bool,
    trxid_remembers_failures: bool,
) -> None:
    """Serve the web2sms protocol locally until Ctrl-C.

    Prints the base URL; point smsync at it with --endpoint URL (or use sandbox://PATH to
    run one in-process instead). Passwords given here are sandbox test passwords.

    \b
    Examples:
      smsync sandbox serve --account demo:demo-pass
      smsync sandbox serve --db sb.db --port 0 --account demo:demo-pass:50
      smsync sandbox serve --fault-rate 0.1 --fault-kind drop-after --seed 1 \\
          --latency-ms 20 --latency-jitter-ms 200      # chaos
      smsync sandbox serve --list-form short --separator bytes --send-success bare
      smsync sandbox serve --fault-rate 1 --fault-kind 403 --fault-path sendsmsgroup
    """
    from smsync.sandbox import ConfigError, SandboxConfig, StoreError
    from smsync.sandbox.config import DEFAULT_FAULT_KINDS
    from smsync.sandbox.run import serve_until_interrupted

    try:
        config = SandboxConfig(
            db_path=db_path, host=host, port=port, latency_ms=latency_ms,
            latency_jitter_ms=latency_jitter_ms, fault_rate=fault_rate,
            fault_kinds=fault_kinds or DEFAULT_FAULT_KINDS, fault_paths=fault_paths, seed=seed,
            max_page_size=max_page_size, dlr_url=dlr_url, dlr_delay_ms=dlr_delay_ms,
            no_wa_prefixes=no_wa, undeliverable_prefixes=undeliverable, list_form=list_form,
            separator=separator, send_success=send_success, add_success=add_success,
            birth_form=birth_form, raw_fields=raw_fields,
            trxid_remembers_failures=trxid_remembers_failures,
        )
        serve_until_interrupted(config, accounts, click.echo)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


@sandbox_group.command("show")
@click.option("--db", "db_path", required=True, metavar="PATH",
              help="The sandbox SQLite file (opened read-only; fine while a server runs).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the stable JSON object documented in smsync.sandbox (no passwords).")
def sandbox_show_cmd(db_path: str, as_json: bool) -> None:
    """Show what a sandbox gateway holds: accounts and credit, groups, contacts, messages.

    \b
    Examples:
      smsync sandbox show --db sandbox.db
      smsync sandbox show --db sandbox.db --json | jq '.messages[] | select(.status != "DELIVRD")'
    """
    from smsync.sandbox import StoreError
    from smsync.sandbox.show import load_snapshot, print_snapshot

    try:
        snap = load_snapshot(db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(snap, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    # Piped or narrow: rich would cut every column to fit 80 characters; print wide instead
    # (and see --json for machines).
    console = Console()
    if not console.is_terminal or console.width < 140:
        console = Console(width=200)
    print_snapshot(snap, console)


# --- broadcasts: status, dlr serve (owner: broadcast) -----------------------------------------


@cli.command("status")
@project_argument
@click.argument("broadcast", required=False)
@gateway_options
@click.option("--no-refresh", is_flag=True,
              help="Show the ledger's counts as they are, without asking the gateway.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Report.aspx requests in flight at once.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def status_cmd(
    project_dir: Path, broadcast: str | None, endpoint: str | None, username: str | None,
    password_file: Path | None, credentials_file: Path | None, no_refresh: bool,
    concurrency: int, as_json: bool,
) -> None:
    """Delivery status of sent broadcasts, by state.

    Counts come from the ledger (project setting `ledger`); messages without a final state
    are first refreshed through the gateway's Report.aspx (only those). States: pending
    (outcome unknown), failed (refused by the gateway), SENT (accepted, no report yet),
    DELIVRD, UNDELIVRD, REJECTED, EXPIRED. A group send counts once per member it reached.

    \b
    Examples:
      smsync status                        # every broadcast of the project here
      smsync status . promo-lebaran-2025   # one broadcast
      smsync status --no-refresh --json    # offline, machine-readable
    """
    from smsync.broadcast import STATE_ORDER, Ledger, RefreshStats, ledger_status, refresh_status
    from smsync.spec.project import load_project, resolve_credentials

    project = load_project(project_dir)
    if not project.ledger_path.is_file():
        raise UserError(f"no ledger at {project.ledger_path}: no broadcast has been sent yet")
    stats = RefreshStats()
    with Ledger(project.ledger_path) as ledger:
        names = [broadcast] if broadcast else None
        if broadcast and broadcast not in ledger.broadcasts():
            raise UserError(f"broadcast '{broadcast}' is not in the ledger {project.ledger_path}")
        if no_refresh:
            counts = ledger_status(ledger, names)
        else:
            from smsync.endpoint import open_client

            creds = resolve_credentials(project, endpoint=endpoint, username=username,
                                        password_file=password_file,
                                        credentials_file=credentials_file)
            from smsync.manager import gateway_identity

            ledger.bind_gateway(gateway_identity(creds), claim=False)
            with open_client(creds, base_dir=project.root, pool_size=concurrency) as client:
                counts = refresh_status(client, ledger, names, concurrency=concurrency,
                                        stats=stats)
    if as_json:
        click.echo(json.dumps({name: dict(c) for name, c in counts.items()}, indent=2))
        return
    if not counts:
        click.echo("No broadcasts in the ledger.")
        return
    states = [s for s in STATE_ORDER if any(c.get(s) for c in counts.values())] or ["SENT"]
    width = max(len("broadcast"), *(len(n) for n in counts))
    click.echo(f"{'broadcast':<{width}}  " + "  ".join(f"{s:>9}" for s in states)
               + f"  {'total':>7}")
    for name, c in counts.items():
        click.echo(f"{name:<{width}}  " + "  ".join(f"{c.get(s, 0):>9}" for s in states)
                   + f"  {sum(c.values()):>7}")
    if not no_refresh:
        note = f" ({stats.errors} could not be read)" if stats.errors else ""
        click.echo(f"Refreshed {stats.queried} message(s) through Report.aspx{note}.", err=True)


@cli.group("dlr")
def dlr_group() -> None:
    """Receive the gateway's delivery reports into the broadcast ledger."""


@dlr_group.command("serve")
@project_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; put a TLS proxy in front for "
              "the internet).")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--token", envvar="SMSYNC_DLR_TOKEN", metavar="TOKEN",
              help="Shared secret, the first path segment of the URL (default: "
              "$SMSYNC_DLR_TOKEN). Prefer --token-file or the variable: options show in `ps`.")
@click.option("--token-file", type=click.Path(path_type=Path),
              help="Read the token from this file.")
@click.option("--quiet", is_flag=True, help="Do not log each request.")
def dlr_serve_cmd(project_dir: Path, host: str, port: int, token: str | None,
                  token_file: Path | None, quiet: bool) -> None:
    """Serve the delivery-report URL and record reports in the ledger until Ctrl-C.

    Configure the account's delivery-report URL at the gateway as
    http://HOST:PORT/TOKEN/dlr?msgid=%id&status=%s . Answers: 200 recorded, 400 bad report,
    403 wrong or missing token, 404 unknown msgid, 413/414 oversized request.

    \b
    Example:
      SMSYNC_DLR_TOKEN=$(cat ~/.config/smsync/dlr-token) smsync dlr serve . --port 8090
    """
    from smsync.broadcast import check_token, serve_dlr
    from smsync.spec.localfile import LocalFileError, read_text_file
    from smsync.spec.project import MAX_SECRET_FILE_BYTES, load_project

    if token_file is not None:
        try:
            token = read_text_file(token_file, max_bytes=MAX_SECRET_FILE_BYTES,
                                   encoding="utf-8").strip()
        except LocalFileError as e:
            raise UserError(f"token file {e}") from None
    if not token:
        raise UserError("a token is required: --token-file FILE, $SMSYNC_DLR_TOKEN or --token")
    check_token(token)
    project = load_project(project_dir)

    def ready(server: Any) -> None:
        click.echo(f"Receiving delivery reports on {server.url_template}")
        click.echo("(<token> stands for your token; Ctrl-C stops)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: listening on {host}, not only on loopback", err=True)
        sys.stdout.flush()

    log = None if quiet else (lambda line: click.echo(line, err=True))
    received = serve_dlr(project.ledger_path, token, host, port, on_ready=ready, log=log)
    click.echo(f"Stopped; {received} delivery report(s) recorded.")


def main() -> None:
    cli()
