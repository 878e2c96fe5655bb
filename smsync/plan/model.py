"""The Plan: plain, serialisable data describing what apply would do and why.

A Plan is computed by :func:`smsync.plan.planner.make_plan` and executed by ``smsync.apply``.
It holds everything apply needs (ids, full records to send) so that a plan file can be applied
later exactly as it was shown, plus the fingerprint of the remote state it was computed from so
that apply can refuse it when the remote has changed since.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from smsync.broadcast.model import BroadcastPlan
from smsync.safety import Finding, Judged, findings

PLAN_FORMAT_VERSION = 1


class Op(enum.StrEnum):
    ADD_GROUP = "add_group"
    RENAME_GROUP = "rename_group"
    DELETE_GROUP = "delete_group"
    ADD_CONTACT = "add_contact"
    EDIT_CONTACT = "edit_contact"
    MOVE_CONTACT = "move_contact"
    DELETE_CONTACT = "delete_contact"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def is_delete(self) -> bool:
        return self in (Op.DELETE_GROUP, Op.DELETE_CONTACT)

    @property
    def is_update(self) -> bool:
        return self in (Op.RENAME_GROUP, Op.EDIT_CONTACT, Op.MOVE_CONTACT)


_SYMBOLS = {
    Op.ADD_GROUP: "+",
    Op.ADD_CONTACT: "+",
    Op.RENAME_GROUP: "~",
    Op.EDIT_CONTACT: "~",
    Op.MOVE_CONTACT: ">",
    Op.DELETE_GROUP: "-",
    Op.DELETE_CONTACT: "-",
}

#: Order in which apply runs the phases (groups exist before contacts move into them, contacts
#: are gone before their group is deleted).
PHASES: tuple[tuple[Op, ...], ...] = (
    (Op.ADD_GROUP, Op.RENAME_GROUP),
    (Op.ADD_CONTACT, Op.EDIT_CONTACT, Op.MOVE_CONTACT),
    (Op.DELETE_CONTACT,),
    (Op.DELETE_GROUP,),
)


@dataclass(frozen=True)
class Record:
    """A contact as it is (before) or as it will be (after). ``birth`` is ISO ``YYYY-MM-DD``.

    ``mobile`` is the gateway's own spelling for existing records and the gateway form
    (``628…``) for new ones; ``number`` is the canonical E.164 form used for matching.
    """

    name: str
    mobile: str
    number: str
    group: str
    address: str = ""
    birth: str | None = None
    desc: str = ""


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class Action:
    op: Op
    group: str  # the group the action is shown under (for a move: the destination)
    id: int | None = None  # remote id of the contact or group acted on (None for adds)
    before: Record | None = None
    after: Record | None = None
    changes: list[FieldChange] = field(default_factory=list)
    reason: str = ""
    protected: bool = False  # a delete of something declared `protect: true`: apply refuses
    duplicate_of: int | None = None  # a delete of a duplicate row: the id of the row kept
    # For groups: the group name before/after (rename) lives in changes; `group` is the new name.

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["op"] = self.op.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        return cls(
            op=Op(data["op"]),
            group=data["group"],
            id=data.get("id"),
            before=Record(**data["before"]) if data.get("before") else None,
            after=Record(**data["after"]) if data.get("after") else None,
            changes=[FieldChange(**c) for c in data.get("changes", [])],
            reason=data.get("reason", ""),
            protected=bool(data.get("protected", False)),
            duplicate_of=data.get("duplicate_of"),
        )


@dataclass
class Duplicate:
    """Remote rows with the same number in one group: one kept, the others deleted."""

    group: str
    number: str
    kept_id: int
    deleted_ids: list[int]


class Strategy(enum.StrEnum):
    """How plan read the managed groups (see :mod:`smsync.plan.strategy`)."""

    NONE = "none"  # no managed group exists on the gateway yet
    BY_GROUP = "by-group"  # phbkGetListbyGroup per managed group
    LIST_ALL = "list-all"  # one phbkGetList listing of the whole phonebook


@dataclass
class ReadStats:
    strategy: Strategy
    reason: str
    requests: int  # requests made to read the remote state
    min_requests: int  # the least requests that strategy could have needed for what it read
    groups_read: int = 0
    contacts_read: int = 0
    details_fetched: int = 0
    rereads: int = 0  # listings read again because they shifted while being read
    # Requests that found only an empty page after a short one: with a page size not
    # configured as the gateway's maximum, a short page may be a capped one. Not part of
    # ``min_requests`` (the pages the rows needed); ``gateway.page_size`` avoids them.
    probes: int = 0
    page_size: int = 0  # the page size requested
    page_size_trusted: bool = False  # configured as the gateway's maximum (no probing)
    page_cap: int | None = None  # a smaller maximum the gateway turned out to enforce
    detail_ids: list[int] = field(default_factory=list)  # rows read with phbkGetCompleteData
    # How declared groups outside --target/--exclude were searched for contacts the spec moved
    # out of them (the rows found are RemoteState.outside_rows). The names are the plan
    # file's (schemas/plan.schema.json, a published schema), so they stay:
    #   elsewhere: "lookup" (phbkFindPhNumber per stored spelling), "list", or "" (no search);
    #   elsewhere_requests: the requests that search took (included in ``requests``);
    #   elsewhere_ids: the rows the plan moves in from there (DiffResult.moved_in_from_outside),
    #   read again by id, as apply reads them when it checks the plan is fresh.
    elsewhere: str = ""
    elsewhere_requests: int = 0
    elsewhere_ids: list[int] = field(default_factory=list)
    # Records the gateway listed that could not be read, one line each (numbers masked): left
    # alone this run, and part of what a reviewer approves (absent from older plan files).
    bad_rows: list[str] = field(default_factory=list)


@dataclass
class PhonebookSafety(Judged):
    """The phonebook's side of :mod:`smsync.safety`: the counts its rules judged, and what
    they found."""

    findings: list[Finding] = field(default_factory=list)
    protected_deletes: int = 0
    existing_managed: int = 0
    deletes: int = 0
    updates: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "unsafe": self.unsafe,
            "reasons": self.reasons,
            "findings": [f.to_json() for f in self.findings],
            "protected_deletes": self.protected_deletes,
            "existing_managed": self.existing_managed,
            "deletes": self.deletes,
            "updates": self.updates,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhonebookSafety:
        return cls(
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
            protected_deletes=int(data.get("protected_deletes", 0)),
            existing_managed=int(data.get("existing_managed", 0)),
            deletes=int(data.get("deletes", 0)),
            updates=int(data.get("updates", 0)),
        )


@dataclass
class CreditCheck:
    """The account's balance against what the plan's due sends cost (in segments)."""

    needed: int = 0
    balance: str | None = None  # as the gateway answered; None: not asked, or unknown
    unknown: str = ""  # why the balance is unknown (the gateway did not answer it)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "needed": self.needed,
            "balance": self.balance,
            "unknown": self.unknown,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CreditCheck:
        return cls(
            needed=int(data.get("needed", 0)),
            balance=data.get("balance"),
            unknown=str(data.get("unknown", "")),
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
        )


@dataclass(frozen=True)
class UnmanagedGroup:
    """A group on the gateway that the spec does not declare: never read, never touched."""

    name: str
    id: int
    contacts: int | None = None  # None: not counted (that would take requests of its own)


@dataclass
class Plan:
    actions: list[Action]
    fingerprint: str
    read: ReadStats
    safety: PhonebookSafety
    scope: dict[str, list[str]] = field(default_factory=dict)  # {"target": [...], "exclude": [...]}
    duplicates: list[Duplicate] = field(default_factory=list)
    endpoint: str = ""
    username: str = ""
    created_at: str = ""
    version: int = PLAN_FORMAT_VERSION
    #: broadcasts planned alongside the phonebook changes (sent after them by apply)
    broadcasts: list[BroadcastPlan] = field(default_factory=list)
    credit: CreditCheck = field(default_factory=CreditCheck)
    #: planned to resend messages whose outcome is unknown (new trxids): see plan_broadcasts
    resend_unknown: bool = False
    #: remote groups the spec does not declare (shown so a forgotten or misspelt one is seen)
    unmanaged: list[UnmanagedGroup] = field(default_factory=list)
    #: what the plan wants the reader to know that is no action (a rename that renames nothing)
    notes: list[str] = field(default_factory=list)

    @property
    def sends(self) -> int:
        """Messages (or group sends) apply would send now (outcome-unknown group sends only
        when they are to be resent)."""
        return sum(
            b.totals.to_send + (b.totals.pending_unknown if self.resend_unknown else 0)
            for b in self.broadcasts
            if b.due
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.actions) or self.sends > 0

    @property
    def unsafe(self) -> bool:
        return bool(findings(self))

    def counts(self) -> dict[str, int]:
        out = {op.value: 0 for op in Op}
        for action in self.actions:
            out[action.op.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "endpoint": self.endpoint,
            "username": self.username,
            "fingerprint": self.fingerprint,
            "scope": self.scope,
            "read": asdict(self.read),
            "safety": self.safety.to_json(),
            "summary": self.counts(),
            "duplicates": [asdict(d) for d in self.duplicates],
            "actions": [a.to_json() for a in self.actions],
            "broadcasts": [b.to_json() for b in self.broadcasts],
            "credit": self.credit.to_json(),
            "resend_unknown": self.resend_unknown,
            "unmanaged_groups": [asdict(u) for u in self.unmanaged],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A plan read back from JSON; ValueError for anything that is not one (a plan file may
        have been edited by hand: its content is checked, never trusted, and apply compares it
        with a plan made again anyway)."""
        if not isinstance(data, dict):
            raise ValueError("a plan is a JSON object")
        version = data.get("version")
        if type(version) is not int or version != PLAN_FORMAT_VERSION:
            raise ValueError(
                f"plan format version {version!r} is not {PLAN_FORMAT_VERSION}: "
                "made by another smsync version; plan again"
            )
        scope = data.get("scope", {})
        if not isinstance(scope, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in scope.values()
        ):
            raise ValueError("scope: expected lists of group names")
        try:
            plan = cls._from_json(data)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"malformed plan ({type(exc).__name__}: {exc})") from None
        names = [b.name for b in plan.broadcasts]
        if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
            raise ValueError("broadcasts: each broadcast appears once, by name")
        return plan

    @classmethod
    def _from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            version=data["version"],
            created_at=data.get("created_at", ""),
            endpoint=data.get("endpoint", ""),
            username=data.get("username", ""),
            fingerprint=data["fingerprint"],
            scope=data.get("scope", {}),
            read=ReadStats(**{**data["read"], "strategy": Strategy(data["read"]["strategy"])}),
            safety=PhonebookSafety.from_json(data["safety"]),
            duplicates=[Duplicate(**d) for d in data.get("duplicates", [])],
            actions=[Action.from_json(a) for a in data["actions"]],
            broadcasts=[BroadcastPlan.from_json(b) for b in data.get("broadcasts", [])],
            credit=CreditCheck.from_json(data.get("credit", {})),
            resend_unknown=bool(data.get("resend_unknown", False)),
            unmanaged=[UnmanagedGroup(**u) for u in data.get("unmanaged_groups", [])],
            notes=[str(n) for n in data.get("notes", [])],
        )
