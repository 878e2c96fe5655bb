"""A broadcast's plan as data: who gets which message, what it costs, what it breaks.

Plain, serialisable data (it travels in plan files), and the identity of a message
(:func:`make_trxid`). Computed by :mod:`smsync.broadcast.plan`, sent by
:mod:`smsync.broadcast.send`.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from smsync.gateway.limits import MAX_TRXID
from smsync.numbers import mask, to_national
from smsync.safety import Finding, Judged, Rule

RecipientState = Literal["to_send", "sent", "suppressed", "pending_unknown"]
AudienceKind = Literal["group", "contacts"]
#: open: may still send; complete: everyone of its audience got it; closed: past not_after
Lifecycle = Literal["open", "complete", "closed"]

SAMPLE_COUNT = 3
#: How plans name the main account next to gateway.accounts (a name those cannot take).
MAIN_ACCOUNT = "main"


def make_trxid(
    broadcast: str, number: str, message: str, *, channel: str = "sms", attempt: int = 0
) -> str:
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


@dataclass(slots=True)  # a plan holds one per recipient: 100k of them for a big audience
class Recipient:
    number: str  # E.164
    mobile: str  # the gateway form (628…)
    name: str
    group: str
    message: str  # rendered ("" for suppressed recipients: never rendered, never sent)
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int  # on the broadcast's channel (WhatsApp: 1 per message)
    sms_segments: int  # as an SMS: what the message (or its SMS fallback) costs
    trxid: str | None  # None for group calls (SendSMSGroup has no trxid)
    state: RecipientState
    resume: bool = False  # a pending row of an interrupted run: re-sent with its own trxid
    attempt: int = 0  # > 0: an explicit resend with a new trxid (resend_unknown)
    account: str = ""  # the gateway account it goes through ("": the main one)

    def to_json(self) -> dict[str, Any]:
        # asdict() deep-copies field by field: ten times this, and a saved plan holds one
        # recipient per message (every value here is a str, int, bool or None already).
        return dict(zip(_RECIPIENT_FIELDS, _recipient_values(self), strict=True))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipient:
        return cls(**data)


_RECIPIENT_FIELDS = tuple(f.name for f in fields(Recipient))
_recipient_values = operator.attrgetter(*_RECIPIENT_FIELDS)


@dataclass
class Totals:
    recipients: int = 0  # everyone the audience selects (suppressed included)
    already_sent: int = 0
    suppressed: int = 0
    to_send: int = 0
    pending_unknown: int = 0
    segments: int = 0  # of the messages to send, on the broadcast's channel
    fallback_segments_max: int = 0  # WhatsApp with fallback: SMS segments if every one fell back
    late_joiners: int = 0  # mode once: in the audience now, not when it was fixed (never sent)
    never_sent: int = 0  # closed: members of its audience who never got it
    failed_for_good: int = 0  # complete: refused for good (an invalid number), never retried
    left: int = 0  # mode once: left its fixed audience before being sent (never sent)


@dataclass
class Share:
    """The messages to send (and their segments, on the broadcast's channel) that go to one
    operator or through one gateway account; ``unicode``: how many of them are UCS-2."""

    messages: int = 0
    segments: int = 0
    unicode: int = 0


def shares_to_json(shares: dict[str, Share]) -> dict[str, dict[str, int]]:
    return {name: asdict(s) for name, s in shares.items()}


def shares_from_json(data: dict[str, Any] | None) -> dict[str, Share]:
    return {name: Share(**s) for name, s in (data or {}).items()}


@dataclass
class Limits:
    max_recipients: int
    max_segments_per_message: int
    max_total_segments: int


@dataclass
class BroadcastPlan(Judged):
    name: str
    where: str  # file:line of the broadcast in the spec
    channel: str  # "sms" | "whatsapp"
    fallback: str | None  # "sms" | None
    kind: AudienceKind
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
    mode: str = "once"  # "once" | "ongoing" (BroadcastSpec.mode)
    status: Lifecycle = "open"
    not_after: datetime | None = None
    #: the spec's broadcast this plan is of ("": ``name``; a recurring one's plan is NAME@DATE)
    spec_name: str = ""
    #: the messages to send by operator of the number (smsync.operators), most first
    operators: dict[str, Share] = field(default_factory=dict)
    #: with gateway.accounts: the messages to send by the account they go through (MAIN_ACCOUNT
    #: for the main one)
    accounts: dict[str, Share] = field(default_factory=dict)

    def finding(self, rule: Rule, message: str, numbers: tuple[str, ...] = ()) -> None:
        self.findings.append(Finding(rule, message, self.name, numbers))

    @property
    def samples(self) -> list[Recipient]:
        chosen = [r for r in self.recipients if r.state == "to_send"] or [
            r for r in self.recipients if r.state != "suppressed"
        ]
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
            "mode": self.mode,
            "status": self.status,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "spec_name": self.spec_name or self.name,
            "unsafe": self.unsafe,
            "reasons": list(self.reasons),
            "findings": [f.to_json() for f in self.findings],
            "warnings": list(self.warnings),
            "unreadable": self.unreadable,
            "limits": asdict(self.limits),
            "totals": asdict(self.totals),
            "encoding": dict(self.encoding),
            "operators": shares_to_json(self.operators),
            "accounts": shares_to_json(self.accounts),
            "samples": [
                {
                    "to": r.number,
                    "name": r.name,
                    "message": r.message,
                    "encoding": r.encoding,
                    "segments": r.segments,
                }
                for r in self.samples
            ],
            "recipients": [r.to_json() for r in self.recipients],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BroadcastPlan:
        nb, na = data.get("not_before"), data.get("not_after")
        return cls(
            name=data["name"],
            where=data["where"],
            channel=data["channel"],
            fallback=data.get("fallback"),
            kind=data["kind"],
            group=data.get("group"),
            not_before=datetime.fromisoformat(nb) if nb else None,
            due=bool(data["due"]),
            limits=Limits(**data["limits"]),
            recipients=[Recipient.from_json(r) for r in data.get("recipients", [])],
            totals=Totals(**data["totals"]),
            encoding=dict(data.get("encoding", {})),
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
            warnings=list(data.get("warnings", [])),
            unreadable=int(data.get("unreadable", 0)),
            mode=str(data.get("mode", "once")),
            status=data.get("status", "open"),
            not_after=datetime.fromisoformat(na) if na else None,
            spec_name=str(data.get("spec_name", "")),
            operators=shares_from_json(data.get("operators")),
            accounts=shares_from_json(data.get("accounts")),
        )
