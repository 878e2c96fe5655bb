"""Show a Plan to people: Terraform-style text, Markdown for pull-request comments, or JSON.

Personal data (names, numbers) is masked unless the caller asks for it: the CLI masks whenever
output is not a terminal or ``CI`` is set, and always in Markdown (pull-request comments are
widely readable). JSON is data and keeps everything.

Text and Markdown escape control characters of every line (smsync.textsafe): names and values
come from the gateway and must not drive the terminal. Markdown also keeps values literal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import click

from smsync import numbers
from smsync.broadcast.model import BroadcastPlan, Share
from smsync.plan.model import Action, Op, Plan, Record
from smsync.textsafe import escape_controls

_OP_WORDS = {
    Op.ADD_GROUP: "add group",
    Op.RENAME_GROUP: "rename group",
    Op.DELETE_GROUP: "delete group",
    Op.ADD_CONTACT: "add",
    Op.EDIT_CONTACT: "change",
    Op.MOVE_CONTACT: "move",
    Op.DELETE_CONTACT: "delete",
}
_COLOURS = {"+": "green", "~": "yellow", ">": "cyan", "-": "red"}
PII_FIELDS = {"name", "address", "birth", "desc", "mobile"}


def quoted(value: str) -> str:
    """``"value"`` as JSON would quote it, but with control characters escaped the one way all
    human output shows them (``\\x1b``, not JSON's ``\\u001b``)."""
    return '"' + escape_controls(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def mask_name(name: str) -> str:
    """``Budi Santoso`` -> ``B*** S***``: enough to recognise a row, not to identify a person."""
    return " ".join(word[:1] + "***" for word in name.split()) or "***"


#: ``smsync plan`` (text) summarises a group with more actions than this (--full: never)...
LARGE_GROUP = 100
#: ... showing this many of them, then a count of the others.
GROUP_SAMPLE = 20


@dataclass
class Style:
    show_pii: bool = False
    color: bool = False
    #: text: a group with more actions than this shows GROUP_SAMPLE of them and counts the
    #: rest (None: every action; JSON always has every one)
    summarise_over: int | None = None

    def name(self, value: str) -> str:
        return value if self.show_pii else mask_name(value)

    def number(self, value: str) -> str:
        return value if self.show_pii else mask_number(value)

    def value(self, field: str, value: str | None) -> str:
        if value is None or value == "":
            return "(empty)"
        if self.show_pii or field not in PII_FIELDS:
            return quoted(value)
        if field == "name":
            return mask_name(value)
        return "(hidden)"

    def change(self, field: str, old: str | None, new: str | None) -> str:
        """One field's change. A hidden field says only what happened to it: ``(hidden) →
        (hidden)`` would not even tell a reviewer that the value differs."""
        if self.show_pii or field not in PII_FIELDS or field == "name":
            return f"{field}: {self.value(field, old)} → {self.value(field, new)}"
        happened = "set" if not old else "cleared" if not new else "changed"
        return f"{field}: {happened}"


#: Said once per masked plan, where each line used to repeat it.
MASKED_NOTE = (
    "Personal data is masked: names shortened, numbers and address/birth/desc values hidden "
    "(--show-pii shows them)."
)


def mask_number(value: str) -> str:
    """Every masked number in one form, the national one people read (``0812****001``),
    whether it came as the gateway holds it (``62812…``), in E.164 or as written."""
    digits = value.strip()
    if digits.isdigit() and digits.startswith("62"):
        digits = "+" + digits  # the gateway's form is E.164 without its plus
    return numbers.mask(numbers.to_national(digits))


def masked(plan: Plan, style: Style) -> bool:
    """Whether the plan shows anything masked (for the once-per-plan note)."""
    return not style.show_pii and (
        bool(plan.actions) or bool(plan.duplicates) or any(b.samples for b in plan.broadcasts)
    )


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.has_changes:
        if plan.broadcasts:
            return "No changes. The remote phonebook matches the spec; nothing to send now."
        return "No changes. The remote phonebook matches the spec."
    parts = []
    groups = [
        (counts["add_group"], "to add"),
        (counts["rename_group"], "to rename"),
        (counts["delete_group"], "to delete"),
    ]
    contacts = [
        (counts["add_contact"], "to add"),
        (counts["edit_contact"], "to change"),
        (counts["move_contact"], "to move"),
        (counts["delete_contact"], "to delete"),
    ]
    g = ", ".join(f"{n} {w}" for n, w in groups if n)
    c = ", ".join(f"{n} {w}" for n, w in contacts if n)
    if g:
        parts.append(f"groups: {g}")
    if c:
        parts.append(f"contacts: {c}")
    if plan.sends:
        parts.append(f"broadcasts: {_n(plan.sends, 'message')} to send")
    return "Plan: " + "; ".join(parts) + "."


def broadcast_headline(b: BroadcastPlan) -> str:
    t = b.totals
    if b.kind == "group":
        how = f"group call to {b.group}"
    else:
        # an audience group is sent per member (a message with its trxid each)
        how = f"per member of {b.group}" if b.group else "per contact"
    channel = b.channel + (f", fallback {b.fallback}" if b.fallback else "")
    if b.status == "complete":  # one quiet line: nothing was resolved, nothing is sent
        return f"Broadcast {b.name} ({channel}, {how}): complete ({t.already_sent} sent)"
    if b.status == "closed":
        when = b.not_after.isoformat() if b.not_after else "?"
        return (
            f"Broadcast {b.name} ({channel}, {how}): closed since {when}: "
            f"{t.never_sent} never sent, {t.already_sent} sent"
        )
    if b.mode == "recurring" and not b.recipients:
        return f"Broadcast {b.name} ({channel}, {how}): recurring: no occurrence due now"
    parts = [f"{t.to_send} to send", f"{t.already_sent} already sent"]
    if b.mode == "ongoing" and t.already_sent:
        parts[0] = f"{_n(t.to_send, 'newcomer')} to send"
    if t.late_joiners:
        parts.append(f"{t.late_joiners} joined after it was sent (mode once: not sent to them)")
    if t.suppressed:
        parts.append(f"{t.suppressed} suppressed")
    if t.pending_unknown:
        parts.append(f"{t.pending_unknown} outcome unknown (not re-sent without --resend-unknown)")
    enc = ", ".join(f"{n} {e}" for e, n in sorted(b.encoding.items()) if n)
    text = (
        f"Broadcast {b.name} ({channel}, {how}): {_n(t.recipients, 'recipient')}: "
        f"{', '.join(parts)}; {_n(t.segments, 'segment')}"
    )
    if enc:
        text += f" ({enc})"
    if not b.due and b.not_before is not None:
        text += f"; not before {b.not_before.isoformat()}: planned, not sent yet"
    return text


def quiet(b: BroadcastPlan) -> str | None:
    """How to say in a few words that ``b`` has nothing to send now and nothing to tell
    (``complete (2 sent)``), or None when it needs its own paragraph."""
    t = b.totals
    if b.warnings or b.findings or t.to_send or t.pending_unknown or t.late_joiners:
        return None
    if b.status == "complete":
        return f"complete ({t.already_sent} sent)"
    if b.mode == "recurring" and not b.recipients:
        return "no occurrence due"
    if b.status != "closed" and t.already_sent and not t.suppressed:
        return f"all {t.already_sent} sent"
    return None


def split_quiet(broadcasts: list[BroadcastPlan]) -> tuple[list[BroadcastPlan], str | None]:
    """The broadcasts that need their own paragraph, and one line for the others (None when
    fewer than two: one keeps its usual headline)."""
    said = [(b, quiet(b)) for b in broadcasts]
    calm = [(b, q) for b, q in said if q is not None]
    if len(calm) < 2:
        return broadcasts, None
    shown = "; ".join(f"{b.name} {q}" for b, q in calm[:_QUIET_NAMED])
    if len(calm) > _QUIET_NAMED:
        shown += f"; and {len(calm) - _QUIET_NAMED} more (--format json lists them)"
    line = f"Nothing to send now for {len(calm)} broadcasts: {shown}"
    return [b for b, q in said if q is None], line


# names listed in the quiet line before "and N more": a repository of years of broadcasts
# must not make the line a page
_QUIET_NAMED = 10


def broadcast_shares(b: BroadcastPlan) -> list[str]:
    """How the messages to send split by operator (``operators: Telkomsel 1,812 (1,812
    segments) · XL 950 (1,900 segments)``) and, with gateway.accounts, by the account they go
    through (``accounts: main 1,812 (…) · xl-masking 950 (…)``)."""
    if not b.totals.to_send:
        return []
    return [
        f"{what}: {_shares(shares)}"
        for what, shares in (("operators", b.operators), ("accounts", b.accounts))
        if shares
    ]


def _shares(shares: dict[str, Share]) -> str:
    return " · ".join(
        f"{name} {s.messages:,} ({s.segments:,} segment{'' if s.segments == 1 else 's'})"
        for name, s in shares.items()
    )


def broadcast_samples(b: BroadcastPlan, style: Style) -> list[str]:
    """A few rendered messages, when there is something to send."""
    lines: list[str] = []
    if not b.totals.to_send:
        return lines
    samples = b.samples[:1] if b.kind == "group" else b.samples  # one message for a group
    for r in samples:
        message = r.message
        if not style.show_pii:
            # samples are rendered with the recipient's own fields: mask them in the text too
            for value in (r.name, r.mobile, numbers.to_national(r.number)):
                if value:
                    message = message.replace(value, mask_name(value))
        to = r.group if b.kind == "group" else style.number(numbers.to_national(r.number))
        lines.append(f"→ {to}: {quoted(message)} ({r.encoding}, {_n(r.segments, 'segment')})")
    return lines


def _who(record: Record | None, style: Style) -> str:
    if record is None:
        return ""
    return f"{style.name(record.name)} {style.number(record.mobile)}"


def action_line(action: Action, style: Style) -> tuple[str, list[str]]:
    """The headline of an action and its detail lines (field changes)."""
    symbol = action.op.symbol
    word = _OP_WORDS[action.op]
    if action.op in (Op.ADD_GROUP, Op.DELETE_GROUP):
        head = f"{symbol} {word} {action.group}"
    elif action.op is Op.RENAME_GROUP:
        ch = action.changes[0]
        head = f"{symbol} {word} #{action.id} {ch.old} → {ch.new}"
    elif action.op is Op.ADD_CONTACT:
        head = f"{symbol} {word} {_who(action.after, style)}"
    else:
        head = f"{symbol} {word} #{action.id} {_who(action.before, style)}"
    if action.reason and action.op in (Op.DELETE_CONTACT, Op.DELETE_GROUP):
        head += f" ({action.reason})"
    if action.protected:
        head += " [PROTECTED: refused]"
    details: list[str] = []
    if action.op in (Op.EDIT_CONTACT, Op.MOVE_CONTACT):
        details.extend(style.change(ch.field, ch.old, ch.new) for ch in action.changes)
    elif action.op is Op.ADD_CONTACT and action.after is not None:
        a = action.after
        present = [f for f in ("address", "birth", "desc") if getattr(a, f)]
        if style.show_pii:
            details.extend(f"{f}: {style.value(f, getattr(a, f))}" for f in present)
        elif present:
            details.append(f"with {', '.join(present)}")
    return head, details


def more_line(hidden: list[Action]) -> str:
    """The count that stands for a large group's other actions in summarised text."""
    counts: dict[Op, int] = {}
    for a in hidden:
        counts[a.op] = counts.get(a.op, 0) + 1
    what = ", ".join(f"{n} to {_OP_WORDS[op]}" for op, n in counts.items())
    return (
        f"... and {_n(len(hidden), 'more action')} in this group ({what}); "
        "--full or --format json shows every one"
    )


def _grouped(plan: Plan) -> list[tuple[str, list[Action]]]:
    order: dict[str, list[Action]] = {}
    for action in plan.actions:
        order.setdefault(action.group, []).append(action)
    return list(order.items())


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def read_line(plan: Plan) -> str:
    r = plan.read
    text = (
        f"Read {_n(r.groups_read, 'group')} and {_n(r.contacts_read, 'contact')} of managed "
        f"groups in {_n(r.requests, 'request')} (strategy {r.strategy}: {r.reason}; "
        f"minimum {r.min_requests}"
        + (
            f", plus {_n(r.probes, 'page-size probe')}: set gateway.page_size to the gateway's "
            "maximum to skip probes)"
            if r.probes
            else ")"
        )
    )
    if r.details_fetched:
        text += f"; {r.details_fetched} complete records fetched"
    if r.elsewhere:
        how = "phbkFindPhNumber lookups" if r.elsewhere == "lookup" else "listing them"
        text += (
            f"; declared groups outside this plan searched for moved contacts by {how} "
            f"({_n(r.elsewhere_requests, 'request')})"
        )
    if r.rereads:
        text += f"; {r.rereads} listings read again because they changed while being read"
    return text + "."


def bad_rows_lines(plan: Plan) -> list[str]:
    """The records the gateway listed that could not be read: a headline, then one per row."""
    rows = plan.read.bad_rows
    if not rows:
        return []
    were = "row the gateway listed" if len(rows) == 1 else "rows the gateway listed"
    return [f"{len(rows)} {were} could not be read; left alone this run:", *rows]


def unmanaged_line(plan: Plan) -> str:
    """One line naming the gateway's groups the spec does not declare (a forgotten or
    misspelt group shows up here), with member counts when the read already had them."""
    groups = plan.unmanaged
    if not groups:
        return ""
    counted = all(g.contacts is not None for g in groups)
    names = ", ".join(f"{g.name} ({g.contacts})" if counted else g.name for g in groups)
    are = "group on the gateway is" if len(groups) == 1 else "groups on the gateway are"
    text = f"{len(groups)} {are} not managed: {names}"
    return text + ("." if counted else " (contact counts unknown: they were not listed).")


def render_text(plan: Plan, style: Style) -> str:
    rows: list[tuple[str, str]] = []  # (line, the op symbol that colours it, or "")

    def add(line: str, symbol: str = "") -> None:
        rows.append((line, symbol))

    add(read_line(plan))
    add("")
    if bad := bad_rows_lines(plan):
        add(f"warning: {bad[0]}")
        for row in bad[1:]:
            add(f"  {row}")
        add("")
    for group, actions in _grouped(plan):
        add(f"Group {group}")
        limit = style.summarise_over
        shown = actions if limit is None or len(actions) <= limit else actions[:GROUP_SAMPLE]
        for action in shown:
            head, details = action_line(action, style)
            add("  " + head, action.op.symbol)
            for d in details:
                add(f"      {d}")
        if len(shown) < len(actions):
            add("  " + more_line(actions[len(shown) :]))
        add("")
    for dup in plan.duplicates:
        add(
            f"Duplicates in {dup.group}: {style.number(dup.number)} kept #{dup.kept_id}, "
            f"deleting {', '.join('#' + str(i) for i in dup.deleted_ids)}"
        )
    if plan.duplicates:
        add("")
    loud, quiet_line = split_quiet(plan.broadcasts)
    if quiet_line:
        add(quiet_line)
        add("")
    for b in loud:
        add(broadcast_headline(b), "+" if b.totals.to_send and b.due else "")
        for line in broadcast_shares(b):
            add(f"  {line}")
        for s in broadcast_samples(b, style):
            add(f"  {s}")
        for w in b.warnings:
            add(f"  warning: {w}")
        add("")
    for note in plan.notes:
        add(f"note: {note}")
    if unmanaged := unmanaged_line(plan):
        add(unmanaged)
    if masked(plan, style):
        add(MASKED_NOTE)
    add(summary_line(plan))
    for line in [*credit_lines(plan), *_safety_lines(plan, "! ", style)]:
        add(line)
    # Every line is escaped here, at the edge, so no value can be missed; colour comes after,
    # being the one control sequence that is ours.
    return "\n".join(_paint(escape_controls(line), symbol, style) for line, symbol in rows)


def _paint(text: str, symbol: str, style: Style) -> str:
    colour = _COLOURS.get(symbol)
    return click.style(text, fg=colour) if style.color and colour else text


def credit_lines(plan: Plan) -> list[str]:
    """The account's balance next to what the due sends cost (when there are sends)."""
    c = plan.credit
    if not c.needed:
        return []
    if c.balance is None:
        return [f"Credit: balance unknown ({c.unknown}); the sends need {c.needed} segments."]
    short = " (not enough)" if c.findings else ""
    return [f"Credit: balance {c.balance}{short}; the sends need {c.needed} segments."]


def _safety_lines(plan: Plan, bullet: str, style: Style) -> list[str]:
    pii = style.show_pii
    out = [f"{bullet}UNSAFE: {f.shown(pii)}" for f in plan.safety.findings]
    for b in plan.broadcasts:
        out.extend(f"{bullet}UNSAFE: broadcast {b.name}: {f.shown(pii)}" for f in b.findings)
    out.extend(f"{bullet}UNSAFE: {f.shown(pii)}" for f in plan.credit.findings)
    return out


_MD_INLINE = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~&$"})


def md_inline(text: str) -> str:
    """``text`` as literal Markdown inline content: no code span, emphasis, link, HTML tag,
    entity, table cell or maths can start inside it (CommonMark backslash escapes, which render
    as the character itself)."""
    return text.translate(_MD_INLINE)


def render_markdown(plan: Plan, style: Style) -> str:
    # Values outside the ```diff block go through md_inline; inside it nothing is Markdown,
    # and no value can close it: a fence must start its line, and values never do.
    lines = ["### smsync plan", "", summary_line(plan), *credit_lines(plan), ""]
    unsafe = _safety_lines(plan, "", style)
    lines.extend(f"> **Unsafe:** {md_inline(line.removeprefix('UNSAFE: '))}" for line in unsafe)
    if unsafe:
        lines.append("")
    if bad := bad_rows_lines(plan):
        lines.append(f"> **Warning:** {md_inline(bad[0])}")
        lines.extend(f"> - {md_inline(row)}" for row in bad[1:])
        lines.append("")
    if plan.actions:
        lines.append("<details><summary>Changes</summary>")
        lines.append("")
        for group, actions in _grouped(plan):
            lines.append(f"**{md_inline(group)}**")
            lines.append("")
            lines.append("```diff")
            for action in actions:
                head, details = action_line(action, style)
                # diff syntax colours lines starting with + and - (and ! for changes)
                prefix = {"~": "!", ">": "!"}.get(action.op.symbol, action.op.symbol)
                lines.append(f"{prefix} {head[2:]}")
                lines.extend(f"      {d}" for d in details)
            lines.append("```")
            lines.append("")
        lines.append("</details>")
        lines.append("")
    loud, quiet_line = split_quiet(plan.broadcasts)
    if quiet_line:
        lines.extend([md_inline(quiet_line), ""])
    for b in loud:
        lines.append(f"**{md_inline(broadcast_headline(b))}**")
        lines.append("")
        lines.extend(f"- {md_inline(s)}" for s in broadcast_shares(b))
        lines.extend(f"- {md_inline(s)}" for s in broadcast_samples(b, style))
        lines.extend(f"- ⚠ {md_inline(w)}" for w in b.warnings)
        lines.append("")
    for note in plan.notes:  # one quote each: consecutive lines would merge into one
        lines.extend([f"> **Note:** {md_inline(note)}", ""])
    if unmanaged := unmanaged_line(plan):
        lines.extend([md_inline(unmanaged), ""])
    if masked(plan, style):
        lines.extend([md_inline(MASKED_NOTE), ""])
    lines.append(f"<sub>{md_inline(read_line(plan))}</sub>")
    return "\n".join(escape_controls(line) for line in lines)


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False)


RENDERERS: dict[str, Callable[[Plan, Style], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": lambda plan, style: render_json(plan),
}
