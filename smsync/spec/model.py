"""The typed desired state: what the spec files say the gateway account should look like.

Plain data, no I/O. ``None`` in an optional contact field means "not declared in the spec":
the field is not managed, so plan leaves the remote value alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Literal

from smsync._slots import slot_setters
from smsync.gateway.names import group_key

Channel = Literal["sms", "whatsapp"]
GroupState = Literal["present", "absent"]
BroadcastMode = Literal["once", "ongoing", "recurring"]
#: How a group audience is sent: per-member (one sendSMS with a trxid per member: deduplicated
#: by the gateway, suppression honoured, delivery status per member) or one SendSMSGroup call.
Via = Literal["per-member", "group-call"]
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a user's file; line and column are 1-based (column 0: whole line/file)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ContactSpec:
    name: str
    mobile: str  # E.164, e.g. "+628123456789" (smsync.numbers.normalize)
    address: str | None = None
    birth: date | None = None
    desc: str | None = None
    protect: bool = False
    where: Location = field(default=Location("<unknown>"), compare=False)


# A large contacts file: filled through their slots (see smsync._slots).
_set_file, _set_line, _set_column = slot_setters(Location)
(
    _set_name,
    _set_mobile,
    _set_address,
    _set_birth,
    _set_desc,
    _set_protect,
    _set_where,
) = slot_setters(ContactSpec)
_new = object.__new__


def contact_specs(
    file: str,
    first_line: int,
    names: Sequence[str],
    mobiles: Sequence[str],
    addresses: Sequence[str | None],
    descs: Sequence[str | None],
) -> list[ContactSpec]:
    """``ContactSpec(name=, mobile=, address=, desc=, where=Location(file, line))`` for rows
    on consecutive lines from ``first_line``: the very objects, made at a fraction of the cost.

    A frozen dataclass's ``__init__`` sets each field with a call of object.__setattr__, and
    for 100k contacts those calls were a third of reading a contacts file. Here each field is
    set through its slot's own setter (slots: a 1M-contact spec takes 300 bytes a contact, not
    730), field for field what ``__init__`` leaves (tests/spec compares them, so a new field
    cannot be forgotten here)."""
    out: list[ContactSpec] = []
    line = first_line
    for name, mobile, address, desc in zip(names, mobiles, addresses, descs, strict=True):
        where = _new(Location)
        _set_file(where, file)
        _set_line(where, line)
        _set_column(where, 0)
        contact = _new(ContactSpec)
        _set_name(contact, name)
        _set_mobile(contact, mobile)
        _set_address(contact, address)
        _set_birth(contact, None)
        _set_desc(contact, desc)
        _set_protect(contact, False)
        _set_where(contact, where)
        out.append(contact)
        line += 1
    return out


@dataclass
class GroupSpec:
    name: str
    state: GroupState = "present"
    protect: bool = False
    contacts: list[ContactSpec] = field(default_factory=list)
    where: Location = field(default=Location("<unknown>"), compare=False)
    # Names the group had on the gateway (``renamed_from``): plan renames that group in place.
    renamed_from: tuple[str, ...] = ()
    # The CSV file the contacts came from, if any (for messages and for import round trips).
    contacts_file: Path | None = None


@dataclass(frozen=True)
class ContactSelector:
    """``audience: {contacts: {...}}``: contacts in any of ``groups`` (all groups if empty) that
    match every ``where`` filter (field equals one of the listed values), plus ``numbers``."""

    groups: tuple[str, ...] = ()
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: tuple[str, ...] = ()  # E.164


@dataclass(frozen=True)
class Audience:
    """Exactly one of ``group`` and ``contacts`` is set."""

    group: str | None = None
    contacts: ContactSelector | None = None


#: What a recurring broadcast's template gets beside the contact's fields: the occurrence's date
#: and, for a contact with a birth date, the age reached that day.
OCCURRENCE_FIELDS = ("occurrence", "age")


@dataclass(frozen=True)
class Schedule:
    """``schedule:`` of a recurring broadcast (see smsync.broadcast.schedule)."""

    on: Literal["birth", "monthly", "weekly"]
    day: int = 1  # monthly: day of the month; weekly: 0 = Monday
    time: dt_time = dt_time(9, 0)
    timezone: str = "Asia/Jakarta"
    grace: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class SendingHours:
    """Local hours messages may go out in (``until`` before ``from``: a window over midnight)."""

    start: dt_time
    end: dt_time
    timezone: str = "Asia/Jakarta"

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass
class BroadcastSpec:
    name: str
    audience: Audience
    template: str
    channel: Channel = "sms"
    fallback: Literal["sms"] | None = None
    not_before: datetime | None = None  # timezone-aware
    #: once: the audience is fixed at the first send; ongoing: each newcomer gets it too
    mode: BroadcastMode = "once"
    via: Via = "per-member"  # audience.group only: "group-call" is one SendSMSGroup call
    not_after: datetime | None = None  # timezone-aware: closed from then on, even if not complete
    schedule: Schedule | None = None  # mode recurring only
    sending_hours: SendingHours | None = None  # None: the project's (smsync.yaml), if any
    vars: dict[str, Scalar] = field(default_factory=dict)
    # None: use the project's safety default (Project.safety).
    max_recipients: int | None = None
    max_segments_per_message: int | None = None
    max_total_segments: int | None = None
    where: Location = field(default=Location("<unknown>"), compare=False)


@dataclass
class DesiredState:
    groups: list[GroupSpec] = field(default_factory=list)
    broadcasts: list[BroadcastSpec] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def group(self, name: str) -> GroupSpec | None:
        """The group of that name, matched case-insensitively as the gateway matches names."""
        key = group_key(name)
        for g in self.groups:
            if group_key(g.name) == key:
                return g
        return None

    def broadcast(self, name: str) -> BroadcastSpec | None:
        for b in self.broadcasts:
            if b.name == name:
                return b
        return None

    @property
    def contact_count(self) -> int:
        return sum(len(g.contacts) for g in self.groups)
