"""What `smsync status` prints: per broadcast its kind and lifecycle, the delivery funnel with
bars and the table by operator (a terminal), or the same data as JSON
(``schemas/status.schema.json``).

Names come from the spec and the gateway: they go through escape_controls and are given to rich
as plain Text, never as markup, so a broadcast named ``[red]x`` prints as written.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from smsync.textsafe import escape_controls

if TYPE_CHECKING:
    from rich.console import RenderableType

    from smsync.broadcast.deliveries import BroadcastStatus, Deliveries, Funnel, Retry
    from smsync.manager import Status

#: Version of the JSON document (1 was the unversioned name -> state -> count mapping).
JSON_VERSION = 2
#: Each stage's colour in a terminal, and in the HTML report.
STAGE_COLORS = {
    "planned": "blue",
    "sent": "cyan",
    "delivered": "green",
    "failed": "red",
    "pending": "yellow",
}
BAR_WIDTH = 30


def masked_number(number: str, show_pii: bool) -> str:
    from smsync.broadcast.model import masked

    return number if show_pii else masked(number)


def kind_line(b: BroadcastStatus) -> str:
    """``once, complete`` / ``recurring, 3 occurrences`` / ``not in the spec``."""
    if b.kind is None:
        return "not in the spec"
    if b.kind == "recurring":
        n = len(b.occurrences)
        return f"recurring, {n} occurrence{'s' * (n != 1)}"
    return f"{b.kind}, {b.lifecycle}" if b.lifecycle else b.kind


# ---- JSON ---------------------------------------------------------------------------------


def status_json(status: Status | None, *, show_pii: bool) -> dict[str, Any]:
    """`smsync status --format json`; ``None``: nothing sent yet."""
    if status is None:
        return {"version": JSON_VERSION, "broadcasts": [], "refreshed": None, "spec_problem": None}
    refreshed = status.refreshed
    return {
        "version": JSON_VERSION,
        "broadcasts": [_broadcast_json(b, status, show_pii) for b in status.broadcasts],
        "refreshed": None
        if refreshed is None
        else {
            "queried": refreshed.queried,
            "updated": refreshed.updated,
            "errors": refreshed.errors,
        },
        "spec_problem": status.spec_problem,
    }


def _broadcast_json(b: BroadcastStatus, status: Status, show_pii: bool) -> dict[str, Any]:
    states: dict[str, int] = {}
    for d in b.occurrences:
        for state, n in status.counts.get(d.key, {}).items():
            states[state] = states.get(state, 0) + n
    return {
        "name": b.name,
        "kind": b.kind,
        "lifecycle": b.lifecycle,
        "states": states,
        **_deliveries_json(b.total, show_pii),
        "occurrences": [
            {
                "occurrence": d.occurrence,
                "states": dict(status.counts.get(d.key, {})),
                **_deliveries_json(d, show_pii),
            }
            for d in b.occurrences
            if b.kind == "recurring" or d.occurrence is not None
        ],
    }


def _deliveries_json(d: Deliveries, show_pii: bool) -> dict[str, Any]:
    return {
        "funnel": d.funnel.to_json(),
        "outcomes": d.outcomes,
        "operators": {op: f.to_json() for op, f in d.operators.items()},
        "group_members": d.group_members,
        "retry": [_retry_json(r, show_pii) for r in d.retry],
    }


def _retry_json(r: Retry, show_pii: bool) -> dict[str, Any]:
    return {
        "number": masked_number(r.number, show_pii),
        "operator": r.operator,
        "outcome": r.outcome,
        "occurrence": r.occurrence,
    }


# ---- a terminal ---------------------------------------------------------------------------


def print_status(status: Status, *, as_json: bool, show_pii: bool) -> None:
    """The dashboard (or JSON) on stdout; what Report.aspx was asked, on stderr."""
    if status.spec_problem:
        click.echo(
            escape_controls(
                f"warning: kinds unknown, the spec did not load: {status.spec_problem}"
            ),
            err=True,
        )
    if as_json:
        click.echo(json.dumps(status_json(status, show_pii=show_pii), indent=2))
    elif not status.broadcasts:
        click.echo("No broadcasts in the ledger.")
    else:
        from rich.console import Console

        from smsync.cli.options import use_color

        console = Console(
            file=sys.stdout,  # as it is now: click's test runner swaps it
            no_color=not use_color(),
            highlight=False,
            emoji=False,
            markup=False,
        )
        for i, b in enumerate(status.broadcasts):
            if i:
                console.print()
            for part in _broadcast_parts(b):
                console.print(part)
    refreshed = status.refreshed
    if refreshed is not None:
        note = f" ({refreshed.errors} could not be read)" if refreshed.errors else ""
        click.echo(f"Refreshed {refreshed.queried} message(s) through Report.aspx{note}.", err=True)


def _broadcast_parts(b: BroadcastStatus) -> list[RenderableType]:
    from rich.text import Text

    total = b.total
    head = Text(escape_controls(b.name), style="bold")
    head.append(f"  {kind_line(b)}", style="dim")
    parts: list[RenderableType] = [head, _funnel_table(total.funnel)]
    if b.kind == "recurring" or any(d.occurrence for d in b.occurrences):
        parts.append(
            _funnel_rows("occurrence", {d.occurrence or "": d.funnel for d in b.occurrences})
        )
    if total.operators:
        parts.append(_funnel_rows("operator", total.operators, bars=True))
    outcomes = ", ".join(f"{label} {n}" for label, n in total.outcomes.items())
    parts.append(Text(escape_controls(f"  outcomes: {outcomes}")))
    if total.group_members:
        parts.append(
            Text(
                f"  {total.group_members} reached by group send: their delivery is seen only "
                "at the gateway",
                style="dim",
            )
        )
    if total.retry:
        parts.append(
            Text(
                f"  to retry: {len(total.retry)} (smsync status --report FILE.html lists them)",
                style="yellow",
            )
        )
    return parts


def _funnel_table(funnel: Funnel) -> RenderableType:
    from rich.bar import Bar
    from rich.table import Table

    from smsync.broadcast.deliveries import Stage

    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(justify="right")
    table.add_column(width=BAR_WIDTH, no_wrap=True)
    table.add_column(justify="right")
    top = max(funnel.planned, 1)
    for stage in Stage:
        n = funnel[stage]
        color = STAGE_COLORS[stage.value]
        bar = Bar(top, 0, n, width=BAR_WIDTH, color=color)
        table.add_row(f"  {stage.value}", str(n), bar, f"{_percent(n, funnel.planned)}")
    return table


def _funnel_rows(what: str, rows: dict[str, Funnel], *, bars: bool = False) -> RenderableType:
    """One row per operator (or occurrence): the funnel's counts, then (``bars``) a bar of its
    delivered, failed and pending shares, told apart by shade as well as colour."""
    from rich.table import Table

    from smsync.broadcast.deliveries import Stage

    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
    table.add_column(f"  {what}", no_wrap=True, overflow="ellipsis", max_width=24)
    for stage in Stage:
        table.add_column(stage.value, justify="right", min_width=len(stage.value))
    if bars:
        table.add_column("", width=SHARE_WIDTH, no_wrap=True)
    for label, f in rows.items():
        cells: list[RenderableType] = [f"  {escape_controls(label)}"]
        cells += [str(f[s]) for s in Stage]
        if bars:
            cells.append(_shares(f))
        table.add_row(*cells)
    return table


SHARE_WIDTH = 10
#: How each outcome's share of a bar is drawn (without colour, the shade tells them apart).
_SHADES = (("delivered", "█"), ("failed", "▒"), ("pending", "░"))


def _shares(f: Funnel) -> RenderableType:
    from rich.text import Text

    text = Text()
    if not f.planned:
        return text
    used = 0
    for i, (stage, shade) in enumerate(_SHADES):
        n = getattr(f, stage)
        cells = SHARE_WIDTH - used if i == len(_SHADES) - 1 else round(SHARE_WIDTH * n / f.planned)
        cells = min(cells, SHARE_WIDTH - used) if n else 0
        text.append(shade * cells, style=STAGE_COLORS[stage])
        used += cells
    return text


def _percent(n: int, of: int) -> str:
    return f"{100 * n / of:.0f}%" if of else "-"
