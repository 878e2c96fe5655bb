"""What the commands print: reports and tables on stdout, failures and progress on stderr.

Everything quoted from the gateway or the spec (names, messages, details) goes through
escape_controls: a remote name must not be able to drive the terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smsync.textsafe import escape_controls

if TYPE_CHECKING:
    from smsync.apply.executor import ApplyResult
    from smsync.broadcast import SendReport
    from smsync.importer import ImportResult
    from smsync.manager import ApplyOutcome
    from smsync.plan.render import Style


def print_import_result(result: ImportResult, out_dir: Path, *, as_json: bool = False) -> None:
    for w in result.warnings:
        click.echo(escape_controls(f"warning: {w}"), err=True)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    for p in result.pruned:
        click.echo(f"removed {p}")
    click.echo(
        f"imported {result.groups} group{'s' * (result.groups != 1)}, "
        f"{result.contacts} contact{'s' * (result.contacts != 1)} into "
        f"{len(result.files)} file{'s' * (len(result.files) != 1)} under {out_dir}"
    )


def print_apply_outcome(outcome: ApplyOutcome, style: Style) -> None:
    """Failed actions, the per-operation summary, the broadcasts' report."""
    result = outcome.phonebook
    for done in result.outcomes:
        if done.status == "failed":
            from smsync.plan.render import action_line

            head, _ = action_line(done.action, style)
            click.echo(escape_controls(f"failed: {head}: {done.detail}"), err=True)
    if result.outcomes:
        print_apply_summary(result)
    if outcome.broadcasts is not None:
        print_send_report(outcome.broadcasts)
    if outcome.charge is not None:
        click.echo(outcome.charge.line())
    if outcome.broadcasts_skipped:
        click.echo(outcome.broadcasts_skipped, err=True)


def apply_report(outcome: ApplyOutcome) -> dict[str, Any]:
    """`smsync apply --format json` (schemas/apply.schema.json): what each action and each
    broadcast came to. Data, not display: names and numbers are not masked."""
    result = outcome.phonebook
    sends = outcome.broadcasts
    return {
        "version": 1,
        "ok": outcome.ok,
        "phonebook": {
            "done": result.count("done"),
            "failed": result.count("failed"),
            "skipped": result.count("skipped"),
            "by_op": result.summary(),
            "stopped": result.fatal or None,
            "outcomes": [
                {**o.action.to_json(), "status": str(o.status), "detail": o.detail, "code": o.code}
                for o in result.outcomes
                if o.status != "done"
            ],
        },
        "broadcasts": None
        if sends is None
        else {
            "stopped": sends.stopped_reason,
            "results": [
                {
                    "name": r.name,
                    "sent": r.sent,
                    "fallback": r.fallback,
                    "already_sent": r.already_sent,
                    "suppressed": r.suppressed,
                    "failed": [{"to": f.to, "message": f.message} for f in r.failed],
                    "unknown": r.unknown,
                    "not_attempted": r.not_attempted,
                    "skipped": r.skipped_reason,
                    "stopped": r.stopped_reason,
                }
                for r in sends.results
            ],
        },
        "broadcasts_skipped": outcome.broadcasts_skipped or None,
        "balance": outcome.charge.to_json() if outcome.charge is not None else None,
    }


def print_apply_summary(result: ApplyResult) -> None:
    done, failed, skipped = result.count("done"), result.count("failed"), result.count("skipped")
    click.echo(f"Apply finished: {done} done, {failed} failed, {skipped} skipped.")
    for op, per in result.summary().items():
        click.echo(
            escape_controls(
                f"  {op}: {per['done']} done, {per['failed']} failed, {per['skipped']} skipped"
            )
        )


def print_send_report(report: SendReport) -> None:
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


def apply_progress(total: int) -> AbstractContextManager[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal (stdout stays clean for JSON); entering
    it gives the function to call once per action done or message sent."""
    if not sys.stderr.isatty():
        return nullcontext(lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    @contextmanager
    def bar() -> Iterator[Callable[[], None]]:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("applying", total=total)
            yield lambda: progress.advance(task)

    return bar()
