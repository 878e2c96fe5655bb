"""The remote phonebook as plan read it: groups, the managed groups' rows, and the fingerprint
of all of it (order-independent), which a plan records and apply compares."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol, runtime_checkable

from smsync.gateway.models import BadRecord, Contact, Group
from smsync.gateway.names import group_key
from smsync.plan.model import ReadStats, Strategy

NumberKey = Callable[[str], str]


@runtime_checkable
class ManyKeys(Protocol):
    """A number key that also keys a whole group's mobiles at once (faster than one by one)."""

    def __call__(self, mobile: str) -> str: ...

    def many(self, mobiles: list[str]) -> list[str]:
        """``[self(m) for m in mobiles]``."""
        ...


class LateKey:
    """The diff's number key, known only once the spec's contacts are loaded (``make`` gives
    None until then): rows that arrive after that are indexed as they arrive."""

    def __init__(self, make: Callable[[], NumberKey | None]) -> None:
        self._make = make
        self._key: NumberKey | None = None
        self._lock = threading.Lock()

    def get(self) -> NumberKey | None:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._make()
        return self._key


def group_digest(members: list[Contact]) -> str:
    # One line a row (address, birth, desc only when known), hashed in one call.
    text = "".join(
        [
            f"c\x00{c.id}\x00{c.name}\x00{c.mobile}\x00{c.group}\x00{c.address}\x00"
            f"{c.birth.isoformat() if c.birth else ''}\x00{c.desc}\n"
            if c.complete
            else f"c\x00{c.id}\x00{c.name}\x00{c.mobile}\x00{c.group}\x00?\n"
            for c in sorted(members, key=_BY_ID)
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


_BY_ID = attrgetter("id")


#: The rows of one number in one group: the row itself (nearly always), or the rows in the
#: order they are kept when the group holds the number more than once. A list for each of a
#: million rows was half the memory of the index.
NumberRows = Contact | list[Contact]
GroupIndex = dict[str, NumberRows]


def rows_of(entry: NumberRows) -> list[Contact]:
    return entry if isinstance(entry, list) else [entry]


def add_row(index: GroupIndex, number: str, row: Contact) -> None:
    found = index.get(number)
    if found is None:
        index[number] = row
    elif isinstance(found, list):
        found.append(row)
    else:
        index[number] = [found, row]


def group_index(members: list[Contact], number_key: NumberKey) -> GroupIndex:
    """One group's rows by number key, each number's rows in the order they are kept."""
    index: GroupIndex = {}
    mobiles = [c.mobile for c in members]
    keys = (
        number_key.many(mobiles) if isinstance(number_key, ManyKeys) else map(number_key, mobiles)
    )
    for c, number in zip(members, keys, strict=True):
        if number in index:
            add_row(index, number, c)
        else:
            index[number] = c
    return index


def bad_row_warning(group: str, record: BadRecord) -> str:
    where = f"in group {group!r}" if group else "in the phonebook listing"
    which = f"contact {record.id}" if record.id is not None else "a contact record"
    return (
        f"{which} {where} could not be read ({record.reason}): it is left unmanaged in this "
        "run (never edited or deleted); a declared contact with its number would be added "
        "again, so fix the record in the gateway first"
    )


@dataclass
class RemoteState:
    groups: list[Group]
    #: group_key(name) -> contacts, for the groups that were read (managed groups only)
    contacts: dict[str, list[Contact]] = field(default_factory=dict)
    read: ReadStats = field(default_factory=lambda: ReadStats(Strategy.NONE, "", 0, 0))
    #: group_key -> number key -> rows, built while the pages arrive (None: not built). The
    #: diff uses it when it was built with the diff's own number key.
    index: dict[str, GroupIndex] | None = None
    index_key: NumberKey | None = None
    #: groups none of whose rows the index holds (read before a LateKey was known)
    unindexed: set[str] = field(default_factory=set)
    #: group_key -> digest of its rows, computed while the pages arrive
    digests: dict[str, str] = field(default_factory=dict)
    #: rows of declared groups this plan does not manage (outside --target/--exclude) that
    #: declared contacts of managed groups can move from; never pruned (see find_elsewhere)
    outside_rows: list[Contact] = field(default_factory=list)
    #: (group listed, or "" for the whole phonebook; record) for each record that could not
    #: be read: no action is ever based on one (it is unmanaged for this run)
    bad_rows: list[tuple[str, BadRecord]] = field(default_factory=list)
    #: group_key -> rows a whole-phonebook listing showed in groups not read as managed (None:
    #: no such listing was made, so those groups were not counted)
    other_rows: dict[str, int] | None = None

    def bad_row_warnings(self) -> list[str]:
        """One line per unreadable record, for the plan's output."""
        return [bad_row_warning(group, record) for group, record in self.bad_rows]

    def group(self, name: str) -> Group | None:
        key = group_key(name)
        for group in self.groups:
            if group_key(group.name) == key:
                return group
        return None

    def replace_rows(self, complete: Mapping[int, Contact]) -> None:
        """Put complete records in place of short ones (and forget what they invalidate)."""
        self.outside_rows = [complete.get(c.id, c) for c in self.outside_rows]
        for key, members in self.contacts.items():
            if any(c.id in complete for c in members):
                self.contacts[key] = [complete.get(c.id, c) for c in members]
                self.digests.pop(key, None)
        self.index = None

    def finish_index(self, key: NumberKey) -> None:
        """Index the groups read before the number key was known, as if every group had been
        indexed as it arrived (a group's rows in the order they are kept)."""
        if self.index is None or (self.index_key is not None and self.index_key != key):
            return  # no index was asked for, or it is of another key: the diff builds its own
        for group in sorted(self.unindexed):
            self.index[group] = group_index(self.contacts[group], key)
        self.index_key, self.unindexed = key, set()

    def fingerprint(self) -> str:
        """A digest of everything the plan was computed from (order-independent)."""
        digest = hashlib.sha256()
        for g in sorted(self.groups, key=lambda g: g.id):
            digest.update(f"g\x00{g.id}\x00{g.name}\n".encode())
        for key in sorted(self.contacts):
            part = self.digests.get(key) or group_digest(self.contacts[key])
            digest.update(f"r\x00{key}\x00{part}\n".encode())
        if self.outside_rows:
            digest.update(f"e\x00{group_digest(self.outside_rows)}\n".encode())
        for group, record in sorted(self.bad_rows, key=lambda b: (b[0], b[1].id or -1)):
            digest.update(f"b\x00{group}\x00{record.id}\x00{record.reason}\n".encode())
        return digest.hexdigest()
