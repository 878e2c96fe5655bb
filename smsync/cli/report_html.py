"""`smsync status --report FILE.html`: the delivery report, one self-contained HTML page.

One file a CI job can upload and anyone can open offline: no external asset, no script, no
request (its Content-Security-Policy forbids them, so a browser would say so if one crept in);
charts are inline SVG (:mod:`smsync.cli.svg`). Each broadcast gets a section: the delivery
funnel, deliveries over time, the breakdown by operator and by outcome (final state or error
code), its occurrences when it recurs, and the numbers to retry (masked unless ``--show-pii``).

Everything that comes from the spec or the gateway (names, outcome labels) is HTML-escaped.
The tables carry ``data-`` attributes naming what each number is, for scripts and tests.
"""

from __future__ import annotations

from datetime import datetime

from smsync.broadcast.deliveries import BroadcastStatus, Deliveries, Funnel, Retry, Stage
from smsync.cli.dashboard import kind_line, masked_number
from smsync.cli.svg import COLORS, Segment, Series, bars, cumulative, esc

#: How every report starts: `--report` overwrites only a file that starts so (or an empty one).
HEAD = "<!DOCTYPE html>\n<!-- smsync delivery report -->"
#: At most this many numbers to retry are listed per section (the count says how many in all).
MAX_RETRY_ROWS = 2000

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#222;margin:0;background:#f6f7f9}
header{background:#1f2d3d;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d3de;font-size:13px}
main{padding:8px 24px 24px}
section.broadcast{background:#fff;border:1px solid #dde1e6;border-radius:8px;margin:16px 0;
padding:8px 18px 14px}
h2{font-size:18px;margin:8px 0}h2 .kind{font-weight:normal;color:#667;font-size:14px;
margin-left:8px}
h3{font-size:14px;margin:6px 0;color:#333}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:10px 24px}
figure{margin:0;min-width:0;overflow-x:auto}figcaption{font-size:12px;color:#667;margin-top:2px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{padding:2px 10px 2px 0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
thead th{border-bottom:1px solid #ccc;white-space:nowrap}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.note{color:#667;font-size:12px}.empty{color:#667;font-style:italic}
nav a{color:#c9d3de;margin-right:12px}
"""


def render_report(
    broadcasts: list[BroadcastStatus],
    *,
    title: str,
    generated: datetime,
    show_pii: bool,
    note: str = "",
) -> str:
    """The whole page for ``broadcasts`` (``title``: the project's name)."""
    nav = " ".join(f'<a href="#b{i}">{esc(b.name)}</a>' for i, b in enumerate(broadcasts))
    sections = "\n".join(_section(i, b, show_pii) for i, b in enumerate(broadcasts))
    if not broadcasts:
        sections = '<p class="empty">No broadcasts sent yet.</p>'
    return (
        f"{HEAD}\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Delivery report: {esc(title)}</title>\n<style>{_CSS}</style></head>\n"
        "<body><header>"
        f"<h1>Delivery report: {esc(title)}</h1>"
        f"<p>Made by smsync status at {esc(generated.strftime('%Y-%m-%d %H:%M:%S %Z'))}"
        f"{(' · ' + esc(note)) if note else ''}</p>"
        f"<nav>{nav}</nav></header>\n<main>\n{sections}\n</main></body></html>\n"
    )


def _section(i: int, b: BroadcastStatus, show_pii: bool) -> str:
    d = b.total
    parts = [
        f'<section class="broadcast" id="b{i}" data-broadcast="{esc(b.name)}" '
        f'data-kind="{esc(b.kind or "")}" data-lifecycle="{esc(b.lifecycle or "")}">',
        f'<h2>{esc(b.name)}<span class="kind">{esc(kind_line(b))}</span></h2>',
        '<div class="grid">',
        _figure("Delivery funnel", _funnel_chart(d.funnel) + _funnel_table(d.funnel)),
        _figure(
            "Deliveries over time (UTC)",
            _timeline(d),
            "Sent: when the gateway accepted a message. Delivered and failed: when smsync "
            "learned the final state (a delivery report, or the Report.aspx refresh that asked).",
        ),
        _figure("By operator", _operator_chart(d.operators) + _operator_table(d.operators)),
        _figure("By outcome (final state or error code)", _outcome_chart(d) + _outcome_table(d)),
        "</div>",
    ]
    if d.group_members:
        parts.append(
            f'<p class="note">{d.group_members} recipient(s) were reached by a group send: '
            "their delivery is seen only at the gateway (shown as pending).</p>"
        )
    if b.kind == "recurring" or any(o.occurrence for o in b.occurrences):
        parts.append(_occurrences(b.occurrences))
    parts.append(_retry(d.retry, show_pii))
    parts.append("</section>")
    return "\n".join(parts)


def _figure(caption: str, body: str, note: str = "") -> str:
    extra = f"<figcaption>{esc(note)}</figcaption>" if note else ""
    return f"<figure><h3>{esc(caption)}</h3>{body}{extra}</figure>"


def _funnel_chart(f: Funnel) -> str:
    return bars([(s.value, [Segment(f[s], COLORS[s.value], s.value)]) for s in Stage])


def _funnel_table(f: Funnel) -> str:
    rows = "".join(
        f'<tr data-stage="{s.value}"><th><span class="swatch" '
        f'style="background:{COLORS[s.value]}"></span>{s.value}</th>'
        f'<td class="n">{f[s]}</td><td class="n">{_percent(f[s], f.planned)}</td></tr>'
        for s in Stage
    )
    return f'<table class="funnel">{rows}</table>'


def _timeline(d: Deliveries) -> str:
    return cumulative(
        [
            Series("sent", COLORS["sent"], d.sent_times),
            Series("delivered", COLORS["delivered"], d.delivered_times),
            Series("failed", COLORS["failed"], d.failed_times),
        ],
        top=d.funnel.planned,
    )


_OUTCOME_STAGES = (Stage.DELIVERED, Stage.FAILED, Stage.PENDING)


def _operator_chart(operators: dict[str, Funnel]) -> str:
    if not operators:
        return '<p class="empty">No per-recipient sends.</p>'
    return bars(
        [
            (op, [Segment(f[s], COLORS[s.value], s.value) for s in _OUTCOME_STAGES])
            for op, f in operators.items()
        ]
    )


def _operator_table(operators: dict[str, Funnel]) -> str:
    if not operators:
        return ""
    head = "".join(f'<th class="n">{s.value}</th>' for s in Stage)
    rows = "".join(
        f'<tr data-operator="{esc(op)}"><th>{esc(op)}</th>'
        + "".join(f'<td class="n" data-stage="{s.value}">{f[s]}</td>' for s in Stage)
        + f'<td class="n">{_percent(f.delivered, f.planned)}</td></tr>'
        for op, f in operators.items()
    )
    return (
        f'<table class="operators"><thead><tr><th>operator</th>{head}'
        f'<th class="n">deliv. %</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _outcome_color(label: str) -> str:
    if label == "DELIVRD":
        return COLORS["delivered"]
    if label in ("SENT", "pending") or label.startswith("not tried"):
        return COLORS["pending"]
    return COLORS["failed"]


def _outcome_chart(d: Deliveries) -> str:
    return bars(
        [(label, [Segment(n, _outcome_color(label), label)]) for label, n in d.outcomes.items()]
    )


def _outcome_table(d: Deliveries) -> str:
    rows = "".join(
        f'<tr data-outcome="{esc(label)}"><th>{esc(label)}</th><td class="n">{n}</td></tr>'
        for label, n in d.outcomes.items()
    )
    return f'<table class="outcomes">{rows}</table>'


def _occurrences(occurrences: list[Deliveries]) -> str:
    head = "".join(f'<th class="n">{s.value}</th>' for s in Stage)
    rows = "".join(
        f'<tr data-occurrence="{esc(o.occurrence or "")}"><th>{esc(o.occurrence or "-")}</th>'
        + "".join(f'<td class="n" data-stage="{s.value}">{o.funnel[s]}</td>' for s in Stage)
        + f'<td class="n">{_percent(o.funnel.delivered, o.funnel.planned)}</td></tr>'
        for o in occurrences
    )
    return (
        f"<h3>Occurrences ({len(occurrences)})</h3>"
        f'<table class="occurrences"><thead><tr><th>occurrence</th>{head}'
        f'<th class="n">delivered %</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _retry(retry: list[Retry], show_pii: bool) -> str:
    title = f"<h3>Numbers to retry ({len(retry)})</h3>"
    if not retry:
        return title + '<p class="empty">None: no message failed for a reason that may pass.</p>'
    with_occurrence = any(r.occurrence for r in retry)
    rows = "".join(
        f'<tr class="retry"><td>{esc(masked_number(r.number, show_pii))}</td>'
        f"<td>{esc(r.operator)}</td><td>{esc(r.outcome)}</td>"
        + (f"<td>{esc(r.occurrence or '')}</td>" if with_occurrence else "")
        + "</tr>"
        for r in retry[:MAX_RETRY_ROWS]
    )
    more = (
        f'<p class="note">… and {len(retry) - MAX_RETRY_ROWS} more (smsync status '
        "--format json lists them all).</p>"
        if len(retry) > MAX_RETRY_ROWS
        else ""
    )
    occ = "<th>occurrence</th>" if with_occurrence else ""
    masked_note = "" if show_pii else '<p class="note">Numbers masked (--show-pii shows them).</p>'
    return (
        f'{title}{masked_note}<table class="retry"><thead><tr><th>number</th><th>operator</th>'
        f"<th>outcome</th>{occ}</tr></thead><tbody>{rows}</tbody></table>{more}"
    )


def _percent(n: int, of: int) -> str:
    return f"{100 * n / of:.0f}%" if of else "-"
