"""Planning broadcasts: who gets which message, what it costs, whether it is safe to send.

Everything that can fail before a message leaves fails here: every recipient's message is
rendered (undefined variables, template errors, sandbox refusals, messages over 5000 characters
raise BroadcastError naming the broadcast's file:line and the masked recipient), suppressed
numbers are taken out, segments are counted per rendered message, and the safety caps decide
whether the plan is ``unsafe``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from smsync.broadcast.audience import CONTACT_FIELDS, Member, RemoteMembers, Resolver
from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import FAILED, PENDING, Ledger, LedgerRow
from smsync.broadcast.render import (
    MAX_MESSAGE_CHARS,
    CompiledTemplate,
    TemplateProblem,
    compile_template,
    render,
)
from smsync.gateway.encoding import SmsEncoding, count_segments
from smsync.gateway.limits import MAX_GROUP_MESSAGE_CHARS, MAX_TRXID
from smsync.numbers import mask, to_national
from smsync.safety import Finding, Rule, group_send_findings
from smsync.spec.model import BroadcastSpec, DesiredState
from smsync.spec.project import Project

RecipientState = Literal["to_send", "sent", "suppressed", "pending_unknown"]
Kind = Literal["group", "contacts"]

SAMPLE_COUNT = 3
ENCODING_NAMES = {SmsEncoding.GSM7: "GSM-7", SmsEncoding.UCS2: "UCS-2"}


def make_trxid(broadcast: str, number: str, message: str, *, channel: str = "sms",
               attempt: int = 0) -> str:
    """The deterministic client trxid of one per-contact send: ``sm`` + 48 hex digits.

    Derived from (broadcast name, E.164 number, rendered message) only, so the same message to
    the same recipient gets the same trxid on every attempt and on every machine, with or
    without a ledger: a retry after a refusal (1708) and a run whose ledger was lost are both
    deduplicated by the gateway. The SMS fallback of a WhatsApp send is another message and gets
    its own id. ``attempt`` > 0 only when the user explicitly asks to resend (``resend_unknown``)
    because a gateway answers a repeated trxid with its first error.
    """
    parts = [broadcast, number, message]
    if channel != "sms":
        parts.append(f"channel={channel}")
    if attempt:
        parts.append(f"attempt={attempt}")
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return ("sm" + digest)[:MAX_TRXID]


def masked(number: str) -> str:
    """How a recipient is named in messages and samples (``0812****890``)."""
    return mask(to_national(number))


@dataclass
class Recipient:
    number: str  # E.164
    mobile: str  # the gateway form (628…)
    name: str
    group: str
    message: str  # rendered ("" for suppressed recipients: never rendered, never sent)
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int  # on the broadcast's channel (WhatsApp: 1 per message)
    sms_segments: int  # as an SMS: what the message (or its SMS fallback) costs
    trxid: str | None  # None for group sends (SendSMSGroup has no trxid)
    state: RecipientState
    resume: bool = False  # a pending row of an interrupted run: re-sent with its own trxid
    attempt: int = 0  # > 0: an explicit resend with a new trxid (resend_unknown)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipient:
        return cls(**data)


@dataclass
class Totals:
    recipients: int = 0  # everyone the audience selects (suppressed included)
    already_sent: int = 0
    suppressed: int = 0
    to_send: int = 0
    pending_unknown: int = 0
    segments: int = 0  # of the messages to send, on the broadcast's channel
    fallback_segments_max: int = 0  # WhatsApp with fallback: SMS segments if every one fell back


@dataclass
class Limits:
    max_recipients: int
    max_segments_per_message: int
    max_total_segments: int


@dataclass
class BroadcastPlan:
    name: str
    where: str  # file:line of the broadcast in the spec
    channel: str  # "sms" | "whatsapp"
    fallback: str | None  # "sms" | None
    kind: Kind
    group: str | None  # the audience group of a group send
    not_before: datetime | None
    due: bool
    limits: Limits
    recipients: list[Recipient] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    encoding: dict[str, int] = field(default_factory=dict)  # recipients to send by encoding
    findings: list[Finding] = field(default_factory=list)  # safety rules it breaks
    warnings: list[str] = field(default_factory=list)  # worth showing, not blocking
    #: group sends: member rows whose number cannot be read (never checked against suppression)
    unreadable: int = 0

    @property
    def unsafe(self) -> bool:
        return bool(self.findings)

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.findings]

    def finding(self, rule: Rule, message: str) -> None:
        self.findings.append(Finding(rule, message, self.name))

    @property
    def samples(self) -> list[Recipient]:
        chosen = [r for r in self.recipients if r.state == "to_send"] or [
            r for r in self.recipients if r.state != "suppressed"]
        return chosen[:SAMPLE_COUNT]

    @property
    def group_message(self) -> str | None:
        if self.kind != "group":
            return None
        return next((r.message for r in self.recipients if r.message), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "channel": self.channel,
            "fallback": self.fallback,
            "kind": self.kind,
            "group": self.group,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "due": self.due,
            "unsafe": self.unsafe,
            "reasons": list(self.reasons),
            "findings": [f.to_json() for f in self.findings],
            "warnings": list(self.warnings),
            "unreadable": self.unreadable,
            "limits": asdict(self.limits),
            "totals": asdict(self.totals),
            "encoding": dict(self.encoding),
            "samples": [
                {"to": masked(r.number), "name": r.name, "message": r.message,
                 "encoding": r.encoding, "segments": r.segments}
                for r in self.samples
            ],
            "recipients": [r.to_json() for r in self.recipients],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BroadcastPlan:
        nb = data.get("not_before")
        return cls(
            name=data["name"], where=data["where"], channel=data["channel"],
            fallback=data.get("fallback"), kind=data["kind"], group=data.get("group"),
            not_before=datetime.fromisoformat(nb) if nb else None, due=bool(data["due"]),
            limits=Limits(**data["limits"]),
            recipients=[Recipient.from_json(r) for r in data.get("recipients", [])],
            totals=Totals(**data["totals"]), encoding=dict(data.get("encoding", {})),
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
            warnings=list(data.get("warnings", [])), unreadable=int(data.get("unreadable", 0)),
        )


# --- planning ---------------------------------------------------------------------------------


def plan_broadcasts(
    desired: DesiredState,
    project: Project,
    *,
    ledger: Ledger,
    now: datetime | None = None,
    remote_members: RemoteMembers | None = None,
    suppression: frozenset[str] | None = None,
    live_groups: frozenset[str] = frozenset(),
    resend_unknown: bool = False,
) -> list[BroadcastPlan]:
    """One BroadcastPlan per broadcast of ``desired``, in spec order.

    Recipients come from ``desired`` (the phonebook as it will be after apply); only a group
    the spec does not declare is read through ``remote_members(group)``, and so is a group send
    to a group in ``live_groups`` (declared, but not applied by this run). ``suppression`` (E.164
    numbers) defaults to the project's suppression file. ``resend_unknown``: messages whose
    earlier outcome is unknown or failed get a new trxid (the user checked they did not go
    out). Raises BroadcastError (or SpecErrors for an unreadable suppression file) before
    anything could be sent.
    """
    if suppression is None:
        from smsync.spec.loader import load_suppression  # the spec layer reads that file

        suppression = load_suppression(project)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    resolver = Resolver(desired, project.region, remote_members, live_groups)
    plans = []
    errors: list[BroadcastError] = []
    for b in desired.broadcasts:
        before = len(resolver.warnings)
        try:
            plan = _plan_one(b, project, ledger, now, resolver, suppression, resend_unknown)
        except BroadcastError as exc:
            errors.append(exc)  # report every broken broadcast of the run, not just the first
            continue
        plan.warnings.extend(resolver.warnings[before:])
        plans.append(plan)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BroadcastError(
            "\n".join(str(e) for e in errors) + f"\n{len(errors)} broadcasts cannot be planned"
        )
    return plans


def _fail(b: BroadcastSpec, message: str, recipient: str | None = None) -> BroadcastError:
    who = f": recipient {masked(recipient)}" if recipient else ""
    return BroadcastError(f"{b.where}: broadcast '{b.name}'{who}: {message}", broadcast=b.name)


def _plan_one(b: BroadcastSpec, project: Project, ledger: Ledger, now: datetime,
              resolver: Resolver, suppression: frozenset[str],
              resend_unknown: bool) -> BroadcastPlan:
    clash = sorted(set(b.vars) & set(CONTACT_FIELDS))
    if clash:
        raise _fail(b, f"vars {', '.join(clash)}: these names are contact fields "
                       f"({', '.join(CONTACT_FIELDS)}); rename the variables")
    try:
        template = compile_template(b.template)
    except TemplateProblem as e:
        raise _fail(b, f"template: {e}") from None
    s = project.safety
    limits = Limits(
        max_recipients=b.max_recipients or s.max_recipients,
        max_segments_per_message=b.max_segments_per_message or s.max_segments_per_message,
        max_total_segments=b.max_total_segments or s.max_total_segments,
    )
    kind: Kind = "group" if b.audience.group is not None else "contacts"
    plan = BroadcastPlan(
        name=b.name, where=str(b.where), channel=b.channel, fallback=b.fallback, kind=kind,
        group=b.audience.group, not_before=b.not_before,
        due=b.not_before is None or now >= b.not_before, limits=limits,
    )
    if kind == "group":
        assert b.audience.group is not None
        members, plan.unreadable = resolver.group_rows(b, b.audience.group)
        contacted = sum(1 for r in ledger.rows(b.name) if r.kind == "contact" and r.accepted)
        _plan_group(plan, b, template, members, ledger.group_row(b.name, b.audience.group),
                    contacted, suppression)
    else:
        rows = {r.number: r for r in ledger.rows(b.name)}
        _plan_contacts(plan, b, template, resolver.resolve(b), rows, suppression,
                       resend_unknown)
    _totals_and_safety(plan)
    return plan


def _render_for(b: BroadcastSpec, template: CompiledTemplate, context: dict[str, Any],
                recipient: str | None) -> str:
    try:
        text = render(template, context)
    except TemplateProblem as e:
        hint = ""
        if recipient is None and e.reason.startswith("undefined variable") and any(
                f"'{f}'" in e.reason for f in CONTACT_FIELDS):
            hint = (" (a group send is one message for every member: it can use the "
                    "broadcast's vars, not contact fields; use audience.contacts for "
                    "per-contact messages)")
        raise _fail(b, f"template: {e}{hint}", recipient) from None
    if not text.strip():
        raise _fail(b, "the message renders empty", recipient)
    if len(text) > MAX_MESSAGE_CHARS:  # render() stops early; this is the exact check
        raise _fail(b, f"the message is {len(text)} characters, over the gateway's "
                       f"{MAX_MESSAGE_CHARS}", recipient)
    return text


def _recipient(b: BroadcastSpec, m: Member, message: str, state: RecipientState,
               trxid: str | None, resume: bool = False, attempt: int = 0) -> Recipient:
    if state == "suppressed":
        return Recipient(m.number, m.mobile, m.name, m.group, "", "", 0, 0, None, state)
    info = count_segments(message)
    segments = 1 if b.channel == "whatsapp" else info.segments
    return Recipient(m.number, m.mobile, m.name, m.group, message, ENCODING_NAMES[info.encoding],
                     segments, info.segments, trxid, state, resume, attempt)


def _plan_contacts(plan: BroadcastPlan, b: BroadcastSpec, template: CompiledTemplate,
                   members: list[Member], rows: dict[str, LedgerRow],
                   suppression: frozenset[str], resend_unknown: bool) -> None:
    group_row = next((r for r in rows.values() if r.kind == "group"), None)
    if group_row is not None and group_row.state != FAILED:
        plan.warnings.append(
            f"this broadcast was already sent as a group send ({group_row.number}); "
            "nobody is messaged again")
    for m in members:
        if m.number in suppression:
            plan.recipients.append(_recipient(b, m, "", "suppressed", None))
            continue
        message = _render_for(b, template, {**b.vars, **m.fields}, m.number)
        row = rows.get(m.number)
        if group_row is not None and group_row.state != FAILED:
            state: RecipientState = "sent" if group_row.accepted else "pending_unknown"
            plan.recipients.append(_recipient(b, m, message, state, None))
        elif row is not None and row.accepted:
            plan.recipients.append(_recipient(b, m, message, "sent", row.trxid))
        elif row is not None and row.state == PENDING and not resend_unknown:
            # Outcome unknown: sent again with the SAME trxid (the gateway deduplicates).
            plan.recipients.append(_recipient(b, m, message, "to_send", row.trxid, resume=True,
                                              attempt=row.attempt))
        else:
            # Never sent, refused, or (explicitly) to be resent: the trxid is derived, not
            # remembered, so a lost ledger cannot turn a retry into a second message.
            attempt = row.attempt if row is not None else 0
            if row is not None and resend_unknown:
                attempt += 1
            trxid = make_trxid(b.name, m.number, message, attempt=attempt)
            plan.recipients.append(_recipient(b, m, message, "to_send", trxid, attempt=attempt))


def _plan_group(plan: BroadcastPlan, b: BroadcastSpec, template: CompiledTemplate,
                members: list[Member], row: LedgerRow | None, contacted: int,
                suppression: frozenset[str]) -> None:
    """One recipient per member ROW: the gateway messages each row of the group, so a number
    listed twice is messaged twice and counted twice."""
    message = _render_for(b, template, dict(b.vars), None)
    if len(message) > MAX_GROUP_MESSAGE_CHARS:
        raise _fail(b, f"a group send (SendSMSGroup) takes at most {MAX_GROUP_MESSAGE_CHARS} "
                       f"characters; the message has {len(message)} (use audience.contacts "
                       "for longer messages)")
    if count_segments(message).encoding != SmsEncoding.GSM7:
        plan.warnings.append(
            "the message is not GSM-7 text; SendSMSGroup has no unicode type in the gateway "
            "reference, so phones may show it garbled (audience.contacts sends it as unicode)")
    if row is not None and row.accepted:
        state: RecipientState = "sent"
    elif row is not None and row.state == PENDING:
        state = "pending_unknown"
        plan.warnings.append(
            "a previous group send's outcome is unknown (the run stopped before the gateway "
            "answered); it is NOT sent again automatically: check the recipients' phones or "
            "the gateway, then resend explicitly (resend_unknown) if it did not go out")
    else:
        state = "to_send"
    for m in members:
        plan.recipients.append(_recipient(
            b, m, message, "suppressed" if m.number in suppression else state, None))
    if state != "to_send":
        return
    plan.findings.extend(group_send_findings(plan, plan.unreadable))
    if contacted:
        plan.finding(
            Rule.ALREADY_CONTACTED,
            f"{contacted} recipient(s) already got this broadcast by per-contact sends; "
            "a group send would message them again")


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
    lim = plan.limits
    reached = t.recipients - t.suppressed
    if reached > lim.max_recipients:
        plan.finding(Rule.MAX_RECIPIENTS,
                     f"{reached} recipients, over max_recipients {lim.max_recipients}")
    if plan.channel == "sms" or plan.fallback == "sms":
        worst = max(sending, key=lambda r: r.sms_segments, default=None)
        if worst is not None and worst.sms_segments > lim.max_segments_per_message:
            over = sum(1 for r in sending if r.sms_segments > lim.max_segments_per_message)
            what = "SMS fallback of the message" if plan.channel == "whatsapp" else "message"
            plan.finding(
                Rule.MAX_SEGMENTS_PER_MESSAGE,
                f"the {what} to {masked(worst.number)} is {worst.sms_segments} SMS segments, "
                f"over max_segments_per_message {lim.max_segments_per_message} "
                f"({over} message(s) over)")
    if t.segments > lim.max_total_segments:
        plan.finding(
            Rule.MAX_TOTAL_SEGMENTS,
            f"{t.segments} segments in total, over max_total_segments {lim.max_total_segments}")
