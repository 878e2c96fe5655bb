"""Planning broadcasts: who gets which message, what it costs, whether it is safe to send.

Everything that can fail before a message leaves fails here: every recipient's message is
rendered (undefined variables, template errors, sandbox refusals, messages over 5000 characters
raise BroadcastError naming the broadcast's file:line and the masked recipient), suppressed
numbers are taken out, segments are counted per rendered message, and the safety caps decide
whether the plan is ``unsafe``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from smsync.broadcast.audience import (
    CONTACT_FIELDS,
    CompleteRecords,
    FindMember,
    Member,
    RemoteMembers,
    Resolver,
)
from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import (
    FAILED_FOR_GOOD,
    GROUP_ROW_PREFIX,
    Ledger,
    LedgerRow,
    SendState,
)
from smsync.broadcast.model import (
    MAIN_ACCOUNT,
    AudienceKind,
    BroadcastPlan,
    Limits,
    Recipient,
    RecipientState,
    Share,
    make_trxid,
    masked,
)
from smsync.broadcast.render import (
    MAX_MESSAGE_CHARS,
    CompiledTemplate,
    TemplateProblem,
    compile_template,
    render,
)
from smsync.broadcast.routes import recorded_accounts, same_account
from smsync.broadcast.schedule import (
    OCCURRENCE_SEPARATOR,
    age_on,
    due_occurrences,
    next_opening,
    occurrence_key,
    within,
)
from smsync.gateway.encoding import SmsEncoding, count_segments
from smsync.gateway.limits import MAX_GROUP_MESSAGE_CHARS
from smsync.gateway.names import group_key
from smsync.operators import UNKNOWN, operator_of
from smsync.safety import Rule, group_send_findings
from smsync.spec.model import BroadcastSpec, DesiredState, Schedule
from smsync.spec.project import Account, Project

ENCODING_NAMES = {SmsEncoding.GSM7: "GSM-7", SmsEncoding.UCS2: "UCS-2"}
#: What one SendSMSGroup call (``via: group-call``) cannot guarantee, and what smsync does
#: instead: said by every plan that would make one, so that choosing it is an informed choice.
GROUP_CALL_LIMITS = (
    "via: group-call: the call carries no trxid, so the gateway cannot deduplicate it: only "
    "the state's record keeps it from going twice (a lost state sends it again; a call whose "
    "outcome is unknown is not repeated without --resend-unknown)",
    "via: group-call: the gateway does not honour the suppression list: smsync reads the "
    "group's rows again right before the call, and sends nothing if one is suppressed, "
    "unreadable, or not a row this plan counted",
    "via: group-call: no delivery status per member (one msgid for the whole group)",
)


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What every broadcast of one plan_broadcasts call is planned with (see there)."""

    project: Project
    ledger: Ledger
    now: datetime
    resolver: Resolver
    suppression: frozenset[str]
    resend_unknown: bool


def plan_broadcasts(
    desired: DesiredState,
    project: Project,
    *,
    ledger: Ledger,
    now: datetime | None = None,
    remote_members: RemoteMembers | None = None,
    find_member: FindMember | None = None,
    complete_records: CompleteRecords | None = None,
    suppression: frozenset[str] | None = None,
    live_groups: frozenset[str] = frozenset(),
    resend_unknown: bool = False,
    declared: Collection[str] | None = None,
) -> list[BroadcastPlan]:
    """One BroadcastPlan per broadcast of ``desired``, in spec order.

    Recipients come from ``desired`` (the phonebook as it will be after apply); only a group
    the spec does not declare is read through ``remote_members(group)``, and so is a group send
    to a group in ``live_groups`` (declared, but not applied by this run); ``find_member``
    looks again before a recipient missing from such a listing is taken to have left it (see
    Resolver.still_held); ``complete_records`` reads the complete records of short-form rows
    an audience's filter, template or birthday schedule needs. ``suppression`` (E.164
    numbers) defaults to the project's suppression file. ``resend_unknown``: messages whose
    earlier outcome is unknown or failed get a new trxid (the user checked they did not go
    out). ``declared``: every broadcast name of the spec, when ``desired`` holds only some
    (the state's sends of other names are then not taken for a renamed broadcast's). Raises
    BroadcastError (or SpecErrors for an unreadable suppression file) before anything could be
    sent.
    """
    if suppression is None:
        from smsync.spec.loader import load_suppression  # the spec layer reads that file

        suppression = load_suppression(project)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    resolver = Resolver(desired, project.region, remote_members, live_groups)
    resolver.find_member = find_member
    resolver.complete_records = complete_records
    run = _Run(project, ledger, now, resolver, suppression, resend_unknown)
    plans = []
    errors: list[BroadcastError] = list(_occurrence_names(desired, declared))
    for b in desired.broadcasts:
        before = len(resolver.warnings)
        try:
            made = _plan_recurring(b, run) if b.mode == "recurring" else [_plan_one(b, run)]
        except BroadcastError as exc:
            errors.append(exc)  # report every broken broadcast of the run, not just the first
            continue
        made[0].warnings.extend(resolver.warnings[before:])
        plans.extend(made)
    _name_new_broadcasts(plans, ledger, declared)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BroadcastError(
            "\n".join(str(e) for e in errors) + f"\n{len(errors)} broadcasts cannot be planned"
        )
    return plans


def _occurrence_names(
    desired: DesiredState, declared: Collection[str] | None
) -> Iterator[BroadcastError]:
    """A broadcast named like an occurrence of another one (``NAME@DATE``) would share its
    records in the state: whichever went first would make the other look sent for good."""
    # a recurring one; or one this run does not plan (its mode is not known here)
    recurring = {b.name for b in desired.broadcasts if b.mode == "recurring"}
    recurring |= set(declared or ()) - {b.name for b in desired.broadcasts}
    for b in desired.broadcasts:
        stem, sep, tail = b.name.rpartition(OCCURRENCE_SEPARATOR)
        if sep and stem in recurring and _is_date(tail):
            yield _fail(
                b,
                f"the name reads as an occurrence of recurring broadcast '{stem}' "
                f"({stem}{OCCURRENCE_SEPARATOR}DATE, under which the state records its sends): "
                "rename it",
            )


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _plan_recurring(b: BroadcastSpec, run: _Run) -> list[BroadcastPlan]:
    """One plan per occurrence due now, named ``NAME@DATE`` (the occurrence is the message's
    identity in the ledger and its trxid); one empty plan when none is due."""
    s = b.schedule
    assert s is not None
    if b.via == "group-call":
        raise _fail(b, "a recurring broadcast sends per member: leave out 'via: group-call'")
    # Only who may be due becomes a Member: a daily run over a whole phonebook's birthdays
    # renders the few born that day, and resolves no one on a day a monthly schedule is not
    # due (the audience is still resolved, so that its errors show every day).
    occurrences = None if s.on == "birth" else list(due_occurrences(s, run.now))
    if occurrences is None:
        days = _birthdays_due(s, run.now)
        members = run.resolver.resolve(
            b, birth=lambda d: d is not None and (d.month, d.day) in days
        )
    else:
        members = run.resolver.resolve(b, birth=None if occurrences else _nobody)
    due: dict[date, list[Member]] = {}
    for m in members:
        birth = date.fromisoformat(m.fields["birth"]) if m.fields.get("birth") else None
        for occ in occurrences if occurrences is not None else due_occurrences(s, run.now, birth):
            fields = {**m.fields, "occurrence": occ.isoformat()}
            if birth is not None:
                fields["age"] = str(age_on(birth, occ))
            due.setdefault(occ, []).append(Member(m.number, m.name, m.group, fields))
    if not due:
        plan = _plan_one(b, run, [])
        plan.spec_name = b.name
        return [plan]
    plans = []
    for occ, members in sorted(due.items()):
        one = dataclasses.replace(b, name=occurrence_key(b.name, occ))
        plan = _plan_one(one, run, members)
        plan.spec_name = b.name
        plans.append(plan)
    return plans


def _birthdays_due(s: Schedule, now: datetime) -> frozenset[tuple[int, int]]:
    """The (month, day) of every birth that may have an occurrence due now: the local days
    due_occurrences looks at (29 February with 28 February, where it falls in other years)."""
    today = now.astimezone(ZoneInfo(s.timezone)).date()
    days = {(d.month, d.day) for d in (today - timedelta(days=k) for k in range(s.grace.days + 2))}
    if (2, 28) in days:
        days.add((2, 29))
    return frozenset(days)


def _nobody(birth: date | None) -> bool:
    return False


def _name_new_broadcasts(
    plans: list[BroadcastPlan], ledger: Ledger, declared: Collection[str] | None
) -> None:
    """A broadcast renamed in the spec is a new broadcast: say so where it could surprise."""
    new = [
        p
        for p in plans
        if p.mode != "recurring" and p.totals.to_send and not ledger.has_rows(p.name)
    ]
    if not new:
        return  # the common case costs one indexed lookup per broadcast with sends
    recorded = ledger.rows_by_broadcast()
    names = set(declared) if declared is not None else {p.spec_name or p.name for p in plans}
    gone = {
        name: n
        for name, n in recorded.items()
        if name not in names and name.rpartition(OCCURRENCE_SEPARATOR)[0] not in names
    }
    if not gone:
        return
    shown = ", ".join(f"'{name}' ({n})" for name, n in sorted(gone.items())[:3])
    more = f" and {len(gone) - 3} more" if len(gone) > 3 else ""
    for plan in new:
        plan.warnings.append(
            f"new broadcast: nothing is recorded under this name; the state holds sends of "
            f"broadcasts the spec no longer declares ({shown}{more}): a renamed broadcast "
            "is a new one, and their sends are not counted"
        )


def _fail(b: BroadcastSpec, message: str, recipient: str | None = None) -> BroadcastError:
    who = f": recipient {masked(recipient)}" if recipient else ""
    return BroadcastError(f"{b.where}: broadcast '{b.name}'{who}: {message}", broadcast=b.name)


def _plan_one(b: BroadcastSpec, run: _Run, members: list[Member] | None = None) -> BroadcastPlan:
    clash = sorted(set(b.vars) & set(CONTACT_FIELDS))
    if clash:
        raise _fail(
            b,
            f"vars {', '.join(clash)}: these names are contact fields "
            f"({', '.join(CONTACT_FIELDS)}); rename the variables",
        )
    try:
        template = compile_template(b.template)
    except TemplateProblem as e:
        raise _fail(b, f"template: {e}") from None
    s = run.project.safety
    limits = Limits(
        max_recipients=b.max_recipients or s.max_recipients,
        max_segments_per_message=b.max_segments_per_message or s.max_segments_per_message,
        max_total_segments=b.max_total_segments or s.max_total_segments,
    )
    # a group audience goes per member unless the spec asks for the one SendSMSGroup call
    group_call = b.via == "group-call" and b.audience.group is not None
    kind: AudienceKind = "group" if group_call else "contacts"
    plan = BroadcastPlan(
        name=b.name,
        where=str(b.where),
        channel=b.channel,
        fallback=b.fallback,
        kind=kind,
        group=b.audience.group,
        not_before=b.not_before,
        due=b.not_before is None or run.now >= b.not_before,
        limits=limits,
    )
    plan.mode, plan.not_after = b.mode, b.not_after
    hours = b.sending_hours or run.project.sending_hours
    if hours is not None and plan.due and not within(hours, run.now):
        # due, but outside the sending hours: planned now, sent when they open
        plan.due, plan.not_before = False, next_opening(hours, run.now)
        plan.warnings.append(f"outside the sending hours {hours}")
    if kind == "group" and b.mode == "ongoing":
        raise _fail(
            b,
            "mode ongoing sends to each newcomer, which one group call cannot do: "
            "leave out 'via: group-call'",
        )
    if _settled(plan, b, run):
        return plan
    if kind == "group":
        assert b.audience.group is not None
        members, plan.unreadable = run.resolver.group_rows(b, b.audience.group)
        # a per-member send of unknown outcome may have reached its recipient too
        contacted = sum(
            1
            for r in run.ledger.rows(b.name)
            if r.kind == "contact" and (r.accepted or r.state == SendState.PENDING)
        )
        _plan_group(
            plan,
            b,
            template,
            members,
            run.ledger.group_row(b.name, b.audience.group),
            contacted,
            run.suppression,
        )
    else:
        rows = {r.number: r for r in run.ledger.rows(b.name)}
        if members is None:
            members = run.resolver.resolve(b)
        fixed = run.ledger.audience(b.name) if b.mode == "once" else None
        if fixed is not None:
            # mode once: who joined after the first send never gets it
            here = {m.number for m in members}
            plan.totals.late_joiners = len(here - fixed)
            members = [m for m in members if m.number in fixed]
            held = functools.partial(run.resolver.still_held, b)
            if _complete_without_leavers(plan, fixed, here, rows, run.suppression, still_held=held):
                return plan
        _plan_contacts(
            plan,
            b,
            template,
            members,
            rows,
            run.suppression,
            run.resend_unknown,
            gsm7_as_type0=run.project.gsm7_as_type0,
        )
    _route(plan, b, run.project.accounts, run.ledger)
    _totals_and_safety(plan)
    return plan


def _settled(plan: BroadcastPlan, b: BroadcastSpec, run: _Run) -> bool:
    """Mark ``plan`` complete or closed from the ledger alone (True: nothing more to plan).

    A complete broadcast is neither resolved nor rendered: it costs no request and no time,
    however many broadcasts a repository keeps."""
    if plan.kind == "group":
        assert b.audience.group is not None
        progress = run.ledger.progress(b.name)
        group_row = run.ledger.group_row(b.name, b.audience.group)
        complete = group_row is not None and group_row.accepted
        if group_row is None:
            # sent per member before 'via: group-call' was chosen: complete as it was
            progress = run.ledger.completed(b.name) or progress
            complete = progress.unsent is not None and progress.unsent <= run.suppression
        sent_to = group_row.number.removeprefix(GROUP_ROW_PREFIX) if group_row else ""
        if complete and group_row and group_key(sent_to) != group_key(b.audience.group):
            plan.warnings.append(
                f"this broadcast already went out as a group send to '{sent_to}'; its audience "
                "is now another group, and nobody is messaged again (give the broadcast a new "
                "name to send it to that group)"
            )
    else:
        # recorded by an earlier apply: one row read, whatever the audience's size
        marked = run.ledger.completed(b.name) if b.mode == "once" else None
        progress = marked or run.ledger.progress(b.name)
        unsent = progress.unsent if b.mode == "once" else None
        complete = progress.group_sent or (unsent is not None and unsent <= run.suppression)
    if complete:
        plan.status = "complete"
        plan.totals.already_sent = progress.sent
        plan.totals.failed_for_good = progress.failed_for_good
        if progress.failed_for_good:
            plan.warnings.append(
                f"{progress.failed_for_good} recipient(s) can never get it (the gateway "
                "refused their number); not retried"
            )
        return True
    if b.not_after is None or run.now < b.not_after:
        return False
    plan.status = "closed"
    accepted = {r.number for r in run.ledger.rows(b.name) if r.accepted and r.kind == "contact"}
    if plan.kind == "group" and b.audience.group is not None:
        audience = {m.number for m in run.resolver.group_rows(b, b.audience.group)[0]}
    else:
        fixed = run.ledger.audience(b.name) if b.mode == "once" else None
        audience = set(fixed) if fixed is not None else {m.number for m in run.resolver.resolve(b)}
    plan.totals.already_sent = len(audience & accepted)
    plan.totals.never_sent = len(audience - accepted - run.suppression)
    return True


def _finished(row: LedgerRow | None) -> bool:
    """Nothing more will be sent to this row's recipient: accepted, or refused for good."""
    return row is not None and (
        row.accepted or (row.state == SendState.FAILED and (row.error or "") in FAILED_FOR_GOOD)
    )


def _complete_without_leavers(
    plan: BroadcastPlan,
    fixed: frozenset[str],
    here: set[str],
    rows: dict[str, LedgerRow],
    suppression: frozenset[str],
    *,
    still_held: Callable[[frozenset[str]], frozenset[str]],
) -> bool:
    """Mode once: a recipient of the fixed audience who is no longer in the audience (deleted
    from the phonebook, out of the group, no longer matching its filter) before being sent has
    left: never sent, and not waited for, so the broadcast does not stay open for good. True:
    everyone else is finished, so the broadcast is complete (the plan says how many left).

    ``still_held``: those of the missing recipients the gateway may still hold in the group
    (Resolver.still_held): leaving skips someone for good, so they have not left; they wait
    (not sent now, not given up)."""
    unfinished = {n for n in fixed - suppression if not _finished(rows.get(n))}
    left = unfinished - here
    held = still_held(frozenset(left)) if left else frozenset()
    if held:
        left -= held
        plan.warnings.append(
            f"{len(held)} recipient(s) of the fixed audience are missing from it now, but may "
            "still be in it (a row the gateway's listing could not read or its number search "
            "still finds, or a phonebook change this run does not apply): not sent now, and "
            "the broadcast waits for them"
        )
    plan.totals.left = len(left)
    if not left:
        return False
    plan.warnings.append(
        f"{len(left)} recipient(s) left the audience (no longer in the phonebook or no "
        "longer selected) before being sent: they are not sent, and the broadcast does not "
        "wait for them"
    )
    if unfinished - left:
        return False
    plan.status = "complete"
    t = plan.totals
    t.already_sent = sum(1 for n in fixed if (row := rows.get(n)) is not None and row.accepted)
    t.failed_for_good = sum(1 for n in fixed if _finished(rows.get(n))) - t.already_sent
    return True


def _render_for(
    b: BroadcastSpec, template: CompiledTemplate, context: dict[str, Any], recipient: str | None
) -> str:
    try:
        text = render(template, context)
    except TemplateProblem as e:
        hint = ""
        if (
            recipient is None
            and e.reason.startswith("undefined variable")
            and any(f"'{f}'" in e.reason for f in CONTACT_FIELDS)
        ):
            hint = (
                " (a group call is one message for every member: it can use the "
                "broadcast's vars, not contact fields; leave out 'via: group-call' to "
                "send per member)"
            )
        raise _fail(b, f"template: {e}{hint}", recipient) from None
    if not text.strip():
        raise _fail(b, "the message renders empty", recipient)
    if len(text) > MAX_MESSAGE_CHARS:  # render() stops early; this is the exact check
        raise _fail(
            b,
            f"the message is {len(text)} characters, over the gateway's {MAX_MESSAGE_CHARS}",
            recipient,
        )
    return text


def _recipient(
    b: BroadcastSpec,
    m: Member,
    message: str,
    state: RecipientState,
    trxid: str | None,
    resume: bool = False,
    attempt: int = 0,
    *,
    gsm7_as_type0: bool,
) -> Recipient:
    """``gsm7_as_type0``: the rule the message is sent by (see ``Client``), so that it is
    counted as the gateway bills it: non-ASCII text sent as Unicode costs Unicode segments."""
    if state == "suppressed" or not message:  # never rendered: nothing to count
        return Recipient(m.number, m.mobile, m.name, m.group, "", "", 0, 0, trxid, state)
    info = count_segments(message, gsm7_as_type0=gsm7_as_type0)
    segments = 1 if b.channel == "whatsapp" else info.segments
    return Recipient(
        m.number,
        m.mobile,
        m.name,
        m.group,
        message,
        ENCODING_NAMES[info.encoding],
        segments,
        info.segments,
        trxid,
        state,
        resume,
        attempt,
    )


def _plan_contacts(
    plan: BroadcastPlan,
    b: BroadcastSpec,
    template: CompiledTemplate,
    members: list[Member],
    rows: dict[str, LedgerRow],
    suppression: frozenset[str],
    resend_unknown: bool,
    *,
    gsm7_as_type0: bool,
) -> None:
    group_row = next((r for r in rows.values() if r.kind == "group"), None)
    if group_row is not None and group_row.accepted:
        plan.warnings.append(
            f"this broadcast was already sent as a group call ({group_row.number}); "
            "nobody is messaged again"
        )
    elif group_row is not None and group_row.state != SendState.FAILED:
        plan.warnings.append(
            f"this broadcast went out as a group call ({group_row.number}) whose outcome is "
            "unknown: nobody is messaged per member (that could send it twice); if it did not "
            "go out, give it 'via: group-call' again and apply with --resend-unknown"
        )
    for m in members:
        if m.number in suppression:
            plan.recipients.append(
                _recipient(b, m, "", "suppressed", None, gsm7_as_type0=gsm7_as_type0)
            )
            continue
        row = rows.get(m.number)
        grouped = group_row is not None and group_row.state != SendState.FAILED
        if not grouped and row is not None and row.accepted:
            # Messaged already: not rendered again. A template changed since cannot fail the
            # plan over someone it will not message, and a welcome message kept for years
            # costs no render per member it reached.
            plan.recipients.append(
                _recipient(b, m, "", "sent", row.trxid, gsm7_as_type0=gsm7_as_type0)
            )
            continue
        message = _render_for(b, template, {**b.vars, **m.fields}, m.number)
        if group_row is not None and group_row.state != SendState.FAILED:
            state: RecipientState = "sent" if group_row.accepted else "pending_unknown"
            plan.recipients.append(
                _recipient(b, m, message, state, None, gsm7_as_type0=gsm7_as_type0)
            )
        elif row is not None and row.accepted:
            plan.recipients.append(
                _recipient(b, m, message, "sent", row.trxid, gsm7_as_type0=gsm7_as_type0)
            )
        elif row is not None and row.state == SendState.PENDING and not resend_unknown:
            # Outcome unknown: sent again with the SAME trxid (the gateway deduplicates).
            plan.recipients.append(
                _recipient(
                    b,
                    m,
                    message,
                    "to_send",
                    row.trxid,
                    resume=True,
                    attempt=row.attempt,
                    gsm7_as_type0=gsm7_as_type0,
                )
            )
        else:
            # Never sent, refused, or (explicitly) to be resent: the trxid is derived, not
            # remembered, so a lost ledger cannot turn a retry into a second message.
            attempt = row.attempt if row is not None else 0
            if row is not None and resend_unknown:
                attempt += 1
            trxid = make_trxid(b.name, m.number, message, attempt=attempt)
            send = _recipient(
                b, m, message, "to_send", trxid, attempt=attempt, gsm7_as_type0=gsm7_as_type0
            )
            plan.recipients.append(send)


def _plan_group(
    plan: BroadcastPlan,
    b: BroadcastSpec,
    template: CompiledTemplate,
    members: list[Member],
    row: LedgerRow | None,
    contacted: int,
    suppression: frozenset[str],
) -> None:
    """One recipient per member ROW: the gateway messages each row of the group, so a number
    listed twice is messaged twice and counted twice."""
    message = _render_for(b, template, dict(b.vars), None)
    if len(message) > MAX_GROUP_MESSAGE_CHARS:
        raise _fail(
            b,
            f"a group send (SendSMSGroup) takes at most {MAX_GROUP_MESSAGE_CHARS} "
            f"characters; the message has {len(message)} (leave out 'via: group-call' "
            "for longer messages)",
        )
    if count_segments(message).encoding != SmsEncoding.GSM7:
        plan.warnings.append(
            "the message is not GSM-7 text; SendSMSGroup has no unicode type in the gateway "
            "reference, so phones may show it garbled (sent per member, it goes as unicode)"
        )
    sent_to = row.number.removeprefix(GROUP_ROW_PREFIX) if row is not None else ""
    if row is not None and group_key(sent_to) != group_key(b.audience.group or ""):
        plan.warnings.append(
            f"this broadcast already went out as a group send to '{sent_to}'; its audience is "
            "now another group, and nobody is messaged again (give the broadcast a new name to "
            "send it to that group)"
        )
    if row is not None and row.accepted:
        state: RecipientState = "sent"
    elif row is not None and row.state == SendState.PENDING:
        state = "pending_unknown"
        plan.warnings.append(
            "a previous group send's outcome is unknown (the run stopped before the gateway "
            "answered); it is NOT sent again automatically: check the recipients' phones or "
            "the gateway, then resend explicitly (resend_unknown) if it did not go out"
        )
    else:
        state = "to_send"
    # A group send carries no type: the text goes as it is, billed as a type-0 text.
    for m in members:
        state_of = "suppressed" if m.number in suppression else state
        plan.recipients.append(_recipient(b, m, message, state_of, None, gsm7_as_type0=True))
    if state != "to_send":
        return
    plan.warnings.extend(GROUP_CALL_LIMITS)
    plan.findings.extend(group_send_findings(plan, plan.unreadable))
    if contacted:
        plan.finding(
            Rule.ALREADY_CONTACTED,
            f"{contacted} recipient(s) already got this broadcast (or may have) by per-member "
            "sends, and a group call would message them again: leave out 'via: group-call' to "
            "finish it per member",
        )


def _totals_and_safety(plan: BroadcastPlan) -> None:
    t = plan.totals
    states = Counter(r.state for r in plan.recipients)
    t.recipients = len(plan.recipients)
    t.already_sent = states["sent"]
    t.suppressed = states["suppressed"]
    t.to_send = states["to_send"]
    t.pending_unknown = states["pending_unknown"]
    sending = [r for r in plan.recipients if r.state == "to_send"]
    t.segments = sum(r.segments for r in sending)
    if plan.channel == "whatsapp" and plan.fallback == "sms":
        t.fallback_segments_max = sum(r.sms_segments for r in sending)
    plan.encoding = dict(Counter(r.encoding for r in sending))
    plan.operators = operator_shares(sending)
    lim = plan.limits
    reached = t.recipients - t.suppressed
    if reached > lim.max_recipients:
        plan.finding(
            Rule.MAX_RECIPIENTS, f"{reached} recipients, over max_recipients {lim.max_recipients}"
        )
    if plan.channel == "sms" or plan.fallback == "sms":
        worst = max(sending, key=lambda r: r.sms_segments, default=None)
        if worst is not None and worst.sms_segments > lim.max_segments_per_message:
            over = sum(1 for r in sending if r.sms_segments > lim.max_segments_per_message)
            what = "SMS fallback of the message" if plan.channel == "whatsapp" else "message"
            plan.finding(
                Rule.MAX_SEGMENTS_PER_MESSAGE,
                f"the {what} to {masked(worst.number)} is {worst.sms_segments} SMS segments, "
                f"over max_segments_per_message {lim.max_segments_per_message} "
                f"({over} message(s) over)",
                (worst.number,),
            )
    if t.segments > lim.max_total_segments:
        plan.finding(
            Rule.MAX_TOTAL_SEGMENTS,
            f"{t.segments} segments in total, over max_total_segments {lim.max_total_segments}",
        )


def operator_shares(sending: list[Recipient]) -> dict[str, Share]:
    """The messages of ``sending`` by operator of their number, the biggest share first and
    ``unknown`` last. Cheap (a 100k audience adds a few hundredths of a second): operator_of
    is a dict lookup once a prefix was seen, and the tally is one C-level Counter pass."""
    shares = _shares(sending, lambda r: operator_of(r.number))
    return dict(sorted(shares.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1].messages, kv[0])))


def _shares(sending: list[Recipient], key: Callable[[Recipient], str]) -> dict[str, Share]:
    unicode = ENCODING_NAMES[SmsEncoding.UCS2]
    tally = Counter((key(r), r.segments, r.encoding) for r in sending)
    shares: dict[str, Share] = {}
    for (name, segments, encoding), n in tally.items():
        share = shares.setdefault(name, Share())
        share.messages += n
        share.segments += segments * n
        share.unicode += n if encoding == unicode else 0
    return shares


def _route(plan: BroadcastPlan, b: BroadcastSpec, accounts: list[Account], ledger: Ledger) -> None:
    """The account each message to send goes through: the first of ``accounts``
    (gateway.accounts) whose rule matches its number, else the main one; a message of unknown
    outcome goes through the account it went to (smsync.broadcast.routes)."""
    recorded = recorded_accounts(ledger, plan.name) if plan.kind == "contacts" else {}
    if not accounts and not recorded:
        return
    sending = [r for r in plan.recipients if r.state == "to_send"]
    gone: Counter[str] = Counter()
    for r in sending:
        if r.resume:
            route = recorded.get(r.number)
            same = same_account(route, accounts) if route is not None else None
            r.account = same.name if same else route.name if route else ""
            if route is not None and same is None:
                gone[route.shown] += 1
        else:
            op = operator_of(r.number)
            r.account = next((a.name for a in accounts if a.matches(r.number, op)), "")
    shares = _shares(sending, lambda r: r.account or MAIN_ACCOUNT)
    if plan.kind == "group":
        routed = {k: s.messages for k, s in shares.items() if k != MAIN_ACCOUNT}
        if routed:
            who = ", ".join(f"{n} for '{k}'" for k, n in routed.items())
            raise _fail(
                b,
                f"via: group-call is one SendSMSGroup call through the main account; {who} "
                "by gateway.accounts cannot be split off from it: leave out 'via: group-call' "
                "to send per member, each through its account",
            )
        return
    plan.accounts = shares
    for shown, n in sorted(gone.items()):
        plan.warnings.append(
            f"{n} message(s) of unknown outcome went through account {shown}, which "
            "gateway.accounts no longer declares: they are not repeated through another account "
            "(that could send them twice); declare it again to finish them"
        )
