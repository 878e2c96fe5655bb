"""`smsync plan` and `smsync apply`."""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smsync.cli.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNSAFE,
    UserError,
    refusal,
)
from smsync.cli.options import (
    FiniteFloatRange,
    format_option,
    gateway_options,
    manager,
    plan_options,
    project_argument,
    show_pii_default,
    use_color,
)
from smsync.cli.printers import apply_progress, apply_report, print_apply_outcome

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from smsync.apply.executor import ActionOutcome
    from smsync.broadcast import SendProgress
    from smsync.cli.options import PlanScope
    from smsync.manager import GatewayOptions, Manager
    from smsync.plan.model import Plan


def freeze_spec(m: Manager) -> None:
    """Load the spec, then tell the collector it lives until exit (``gc.freeze``).

    Listing 100k rows allocates 100k objects; with the spec's own 100k contacts on the heap the
    cyclic GC kept rescanning those, which cost more than the parsing. The command owns its
    process, so it decides this here: library code leaves the collector alone."""
    m.desired()
    gc.freeze()


@contextmanager
def spec_started(m: Manager) -> Iterator[None]:
    """Read the spec's documents; its contacts files are read while the plan reads the
    gateway (Manager.spec_load). The cyclic collector is off meanwhile.

    Both then fill the heap at once (100k contacts from the files, 100k rows from the pages,
    none of them in a reference cycle), and each full collection rescanned all of it: 15 % of
    the CPU of a 100k-contact plan. :func:`freeze_spec` cannot help here, the spec not being
    loaded yet. Reference counting still frees everything that is not a cycle, and the
    collector is back on after (for a command run in-process, as tests do), with what is on
    the heap then frozen as :func:`freeze_spec` does: otherwise the first collections after
    the plan rescanned the 200k objects it holds (0.2-0.4 s of a 100k-contact plan)."""
    m.spec_load()
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.freeze()
            gc.enable()


@click.command("plan")
@project_argument
@gateway_options
@plan_options
@format_option(
    "json: the documented schema schemas/plan.schema.json; markdown: for a pull-request comment.",
    markdown=True,
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also write the plan to FILE, for `smsync apply FILE` (no secrets in it).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0: no changes, 2: changes, 3: unsafe (apply would refuse it), 1: any error.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Text: every action of every group (a group with more than 100 actions otherwise "
    "shows 20 of them and counts the rest; JSON always has every one).",
)
def plan_cmd(
    project_dir: Path,
    gateway: GatewayOptions,
    scope: PlanScope,
    fmt: str,
    out_file: Path | None,
    detailed_exitcode: bool,
    full: bool,
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
      smsync plan --broadcasts-only              # what a scheduled run would send now

    \b
    Exit codes with --detailed-exitcode: 0 no changes, 2 changes, 3 unsafe,
    1 error (a mistyped option or argument too). Without it: 0 unless there is an error.
    """
    from smsync.outfile import check_writable, write_atomically
    from smsync.plan.render import LARGE_GROUP, RENDERERS, Style

    scope.check()
    if out_file is not None:
        # before reading the whole remote, not after; and only over an earlier plan file
        check_writable(out_file, replaces='{\n  "version"')
    m = manager(project_dir, gateway)
    with spec_started(m), m.session(pool_size=max(scope.concurrency, 4)) as session:
        plan = session.plan(
            scope.plan_options(),
            broadcasts=scope.broadcasts,
            broadcasts_only=scope.broadcasts_only,
        )
    style = Style(
        show_pii=scope.show_pii if fmt == "markdown" else show_pii_default(scope.show_pii),
        color=fmt == "text" and use_color(),
        summarise_over=None if full else LARGE_GROUP,
    )
    click.echo(RENDERERS[fmt](plan, style))
    if out_file is not None:
        write_atomically(out_file, json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n")
        click.echo(f"Plan written to {out_file}; apply it with: smsync apply {out_file}", err=True)
    if detailed_exitcode:
        if plan.unsafe:
            sys.exit(EXIT_UNSAFE)
        sys.exit(EXIT_CHANGES if plan.has_changes else EXIT_OK)


@click.command("apply")
@click.argument("path", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--project",
    "project_opt",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Project directory when PATH is a plan file (default: the current directory).",
)
@gateway_options
@plan_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force",
    is_flag=True,
    help="Apply a plan over a safety threshold (delete/update shares, broadcast caps). "
    "Never overrides `protect: true` or the suppression list.",
)
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Send again what has an unknown outcome, once you have checked it did not go out: "
    "group calls whose run was killed while the gateway answered, and per-contact messages "
    "(with a new trxid) whose trxid a gateway answered with an error. Without it they are "
    "reported, not re-sent.",
)
@click.option(
    "--rate",
    type=FiniteFloatRange(min=0.1),
    default=None,
    metavar="N",
    help="At most N write requests per second.",
)
@click.option(
    "--lock-timeout",
    type=FiniteFloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait up to SECONDS for another apply of the same gateway account to finish "
    "(default: refuse at once, naming the holder).",
)
@format_option(
    "json: the results on stdout as schemas/apply.schema.json describes them (the plan and "
    "messages go to stderr)."
)
def apply_cmd(
    path: Path,
    project_opt: Path | None,
    gateway: GatewayOptions,
    scope: PlanScope,
    auto_approve: bool,
    force: bool,
    resend_unknown: bool,
    rate: float | None,
    lock_timeout: float,
    fmt: str,
) -> None:
    """Make the gateway match the spec (PATH: a project directory or a `plan --out` file).

    With a directory, apply plans first, shows the plan and asks (no terminal to ask on: it
    refuses before planning, unless --auto-approve); with a plan file, it applies exactly that
    plan without asking again (reviewing it was the approval; `smsync show FILE` prints it),
    and refuses it if the remote changed since it was made. Either way the
    remote is read again just before writing, so a plan read from a listing that changed while
    it was read is never applied.

    \b
    Exit codes: 0 done, 1 error (some actions failed), 3 refused as unsafe, 4 refused as stale,
    130 interrupted by Ctrl-C (it says what was done; run apply again to finish).

    \b
    Examples:
      smsync apply                      # plan, confirm, apply
      smsync apply --auto-approve       # in CI
      smsync apply plan.json            # exactly the plan that was reviewed
      smsync apply --broadcasts-only --auto-approve   # a scheduled job: send what is due
    """
    from smsync.apply import ApplyLocked, Refused, apply_lock
    from smsync.apply.executor import ApplyResult
    from smsync.manager import ApplyOutcome, gateway_identity
    from smsync.plan.render import Style, action_line, render_text
    from smsync.safety import check_in_project

    plan_file = path if path.is_file() else None
    project_dir = (project_opt or Path(".")) if plan_file else path
    if plan_file and scope.narrowed:
        raise UserError(
            "--target/--exclude/--broadcast/--no-broadcasts/--broadcasts-only cannot change a "
            "saved plan; plan again instead"
        )
    scope.check()
    m = manager(project_dir, gateway)
    # A saved plan was approved when it was reviewed (Terraform's rule): no second question.
    ask = not auto_approve and plan_file is None
    if ask and not sys.stdin.isatty():
        # before reading the whole remote and printing the plan, not after
        raise UserError(
            "no terminal to confirm on: re-run with --auto-approve to apply without asking, "
            "or apply a reviewed plan file (smsync plan --out FILE; smsync apply FILE)"
        )
    if plan_file is not None:
        check_in_project(m.project)  # before the lock's look below creates any state
    # Another apply of this account holding the lock: refuse now, not after a whole plan.
    # Only a look; apply takes the lock for real when it writes.
    try:
        with (
            m.state() as state,
            apply_lock(
                state, gateway_identity(m.credentials(), m.project.root), timeout=lock_timeout
            ),
        ):
            pass
    except ApplyLocked as exc:
        raise UserError(str(exc)) from None
    style = Style(show_pii=show_pii_default(scope.show_pii), color=use_color())
    if plan_file is None:  # (a plan file is first checked to belong to this project)
        freeze_spec(m)
    with m.session(pool_size=max(scope.concurrency, 4)) as session:
        if plan_file is not None:
            plan = _load_plan_file(plan_file)
        else:
            plan = session.plan(
                scope.plan_options(),
                broadcasts=scope.broadcasts,
                resend_unknown=resend_unknown,
                broadcasts_only=scope.broadcasts_only,
            )
        as_json = fmt == "json"
        click.echo(render_text(plan, style), err=as_json)  # stdout holds only the JSON
        if not plan.has_changes:
            # nothing to write, but a `protect: true` dropped is now applied: remembered
            session.settle(plan, lock_timeout=lock_timeout)
            if as_json:
                click.echo(json.dumps(apply_report(ApplyOutcome(ApplyResult())), indent=2))
            return
        try:
            session.check_applicable(plan, force=force)  # refuse before asking, not after
        except Refused as exc:
            raise refusal(exc) from None
        if ask and not _confirmed(plan):
            raise UserError("Apply cancelled; nothing was written.")
        seen = Counter[str]()

        def done(outcome: ActionOutcome) -> None:
            seen[str(outcome.status)] += 1
            # -v: each action as it completes (masked as the plan was)
            log.info("%s: %s", outcome.status, action_line(outcome.action, style)[0])
            advance()

        def sent(progress: SendProgress) -> None:
            if progress.outcome in ("sent", "fallback"):
                seen["messages"] += 1
            log.info("broadcast %s: %s to %s", progress.broadcast, progress.outcome, progress.to)
            advance()

        try:
            with apply_progress(len(plan.actions) + plan.sends) as advance:
                outcome = session.apply(
                    plan,
                    force=force,
                    concurrency=scope.concurrency,
                    rate=rate,
                    resend_unknown=resend_unknown,
                    saved=plan_file is not None,
                    lock_timeout=lock_timeout,
                    on_done=done,
                    on_sent=sent,
                )
        except Refused as exc:
            raise refusal(exc) from None
        except ApplyLocked as exc:
            raise UserError(str(exc)) from None
        except KeyboardInterrupt:
            _report_interrupted(plan, seen)
            sys.exit(EXIT_INTERRUPTED)
    if as_json:
        click.echo(json.dumps(apply_report(outcome), indent=2, ensure_ascii=False))
    else:
        print_apply_outcome(outcome, style)
    if outcome.phonebook.fatal:
        raise UserError(f"apply stopped early: {outcome.phonebook.fatal}")
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


@click.command("show")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option(
    "As for `smsync plan`: json is the plan file's own schema (schemas/plan.schema.json).",
    markdown=True,
)
@click.option(
    "--show-pii",
    is_flag=True,
    help="Show names and numbers in full (masked by default when output is not a terminal, "
    "when CI is set, and in Markdown).",
)
def show_cmd(plan_file: Path, fmt: str, show_pii: bool) -> None:
    """Print a plan saved by `smsync plan --out`, as plan printed it (no gateway, no project).

    \b
    Examples:
      smsync show plan.json                     # review a plan before `smsync apply plan.json`
      smsync show plan.json --format markdown   # a pull-request comment
    """
    from smsync.plan.render import RENDERERS, Style

    plan = _load_plan_file(plan_file)
    style = Style(
        show_pii=show_pii if fmt == "markdown" else show_pii_default(show_pii),
        color=fmt == "text" and use_color(),
    )
    click.echo(RENDERERS[fmt](plan, style))


def _report_interrupted(plan: Plan, seen: Counter[str]) -> None:
    """What an apply stopped by Ctrl-C had done, as far as it heard back, and how to go on.
    A write already sent may have completed unheard: the next apply reads the gateway again,
    so it redoes only what is missing, and the ledger keeps it from sending anything twice."""
    actions, reported = len(plan.actions), seen["done"] + seen["failed"] + seen["skipped"]
    click.echo(
        f"Interrupted: {seen['done']} of {actions} phonebook actions done"
        + (f", {seen['failed']} failed" if seen["failed"] else "")
        + f", {actions - reported} not confirmed; {seen['messages']} of {plan.sends} "
        "messages sent. Writes in flight when you pressed Ctrl-C may still have completed.\n"
        "To finish: run `smsync apply` again. It re-reads the gateway, does only what is "
        "missing and sends nothing twice (a message whose outcome is unknown is reported, "
        "not re-sent, until you pass --resend-unknown).",
        err=True,
    )


def _confirmed(plan: Plan) -> bool:
    """Ask on the terminal. Messages cost money and cannot be taken back: a paid send needs
    more than a reflex "y" (Terraform's `yes`), after the cost is restated."""
    if not plan.sends:
        return click.confirm("Apply these changes?", default=False)
    n, credit = plan.sends, plan.credit
    balance = credit.balance if credit.balance is not None else f"unknown ({credit.unknown})"
    click.echo(
        f"This apply sends {n} message{'s' * (n != 1)} "
        f"({credit.needed} segment{'s' * (credit.needed != 1)}); balance: {balance}."
    )
    answer = click.prompt(
        f"Type 'yes' or {n} to send them", default="", show_default=False, prompt_suffix=": "
    )
    return answer.strip() in ("yes", str(n))


def _load_plan_file(path: Path) -> Plan:
    from smsync.plan.model import Plan

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Plan.from_json(data)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a plan written by `smsync plan --out` ({exc})") from None
