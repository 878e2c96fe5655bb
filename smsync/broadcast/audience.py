"""Who a broadcast reaches: members of the desired state (what the spec says the phonebook will
hold once apply has run), and for groups the spec does not declare, the gateway's own listing."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from smsync.broadcast.errors import BroadcastError
from smsync.gateway.models import Contact
from smsync.gateway.names import group_key
from smsync.numbers import mask, to_gateway, to_national, try_normalize
from smsync.spec.model import BroadcastSpec, ContactSelector, ContactSpec, DesiredState
from smsync.spec.templates import CONTACT_FIELDS as CONTACT_FIELDS  # (re-exported)
from smsync.spec.templates import fields_without_default, undefined_variables

RemoteMembers = Callable[[str], list[Contact]]
#: Whether the gateway's number search finds ``number`` (E.164) in ``group`` (True too when
#: the search cannot tell): a second look before a recipient is taken to have left a group.
FindMember = Callable[[str, str], bool]
#: The complete records (phbkGetCompleteData) of contacts by id.
CompleteRecords = Callable[[list[int]], list[Contact]]
#: What a short-form listing (id, name, mobile, group) leaves unknown.
DETAIL_FIELDS = frozenset({"address", "birth", "desc"})
#: Which birth dates to keep (a recurring birthday broadcast's due days): contacts filtered
#: before they become Members, so a whole-phonebook audience costs little on a day few are due.
BirthFilter = Callable[[date | None], bool]


class UnknownGroup(LookupError):
    """Raised by a RemoteMembers callable: the gateway has no group of this name."""

    def __init__(self, group: str) -> None:
        self.group = group
        super().__init__(group)


@dataclass(frozen=True, slots=True)  # slots: half the cost of making one, 100k times a plan
class Member:
    """One recipient before rendering. ``fields`` are the template's contact variables."""

    number: str  # E.164
    name: str
    group: str
    fields: dict[str, str] = field(compare=False)

    @property
    def mobile(self) -> str:
        return to_gateway(self.number)


def _fields(
    name: str, number: str, group: str, address: str | None, birth: date | None, desc: str | None
) -> dict[str, str]:
    # ``mobile`` is the national form (0812…): what a message text would show to a reader.
    return {
        "name": name,
        "mobile": to_national(number),
        "address": address or "",
        "birth": birth.isoformat() if birth else "",
        "desc": desc or "",
        "group": group,
    }


def from_spec(c: ContactSpec, group: str) -> Member:
    return Member(
        c.mobile, c.name, group, _fields(c.name, c.mobile, group, c.address, c.birth, c.desc)
    )


@dataclass
class Resolver:
    """Resolves audiences for one plan run; remote listings are fetched once per group."""

    desired: DesiredState
    region: str
    remote_members: RemoteMembers | None
    #: casefolded names of declared groups this run does not apply (``--target``/``--exclude``):
    #: a group send reaches their members as they are on the gateway, not as declared
    live_groups: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    #: group_key -> (members with a readable number, ids of rows whose number is unreadable)
    _remote: dict[str, tuple[list[Member], list[int]]] = field(default_factory=dict)
    #: E.164 -> (contact, its group): the declared phonebook, for ``numbers:`` (built once)
    _known: dict[str, tuple[ContactSpec, str]] | None = None
    find_member: FindMember | None = None
    #: for audiences that read a detail field of rows listed in the short form
    complete_records: CompleteRecords | None = None
    #: group_key -> the rows its listing gave (complete or short form), as read
    _listed: dict[str, list[Contact]] = field(default_factory=dict)
    #: broadcasts whose audience read a gateway listing with rows it could not read: who is
    #: missing from such an audience may be one of those rows, so nobody is known to have left
    partly_read: set[str] = field(default_factory=set)
    #: broadcasts whose audience read a declared group this run does not apply (live_groups):
    #: who the spec takes out of it is still in the phonebook, and its change may be refused
    unapplied: set[str] = field(default_factory=set)
    #: broadcast name -> the groups its audience read from the gateway
    _read_for: dict[str, set[str]] = field(default_factory=dict)

    def group_rows(self, b: BroadcastSpec, group: str) -> tuple[list[Member], int]:
        """Who a group send to ``group`` reaches: one member per row the group will hold (a
        number listed twice is messaged twice), and how many rows have an unreadable number
        (messaged too, but never checkable against the suppression list)."""
        spec = None if group_key(group) in self.live_groups else self.desired.group(group)
        if spec is not None:
            return self.group_members(b, group), 0
        members, unreadable = self._read(b, group)
        return list(members), len(unreadable)

    def group_members(
        self, b: BroadcastSpec, group: str, *, live: bool = False, birth: BirthFilter | None = None
    ) -> list[Member]:
        spec = None if live else self.desired.group(group)
        if spec is not None:
            if spec.state == "absent":
                raise BroadcastError(
                    f"{b.where}: broadcast '{b.name}': audience group '{group}' is declared "
                    f"'state: absent' (at {spec.where})",
                    broadcast=b.name,
                )
            if group_key(spec.name) in self.live_groups:
                self.unapplied.add(b.name)
            return [
                from_spec(c, spec.name) for c in spec.contacts if birth is None or birth(c.birth)
            ]
        members, unreadable = self._read(b, group)
        if any(not c.complete for c in self._listed[group_key(group)]) and _reads_details(b):
            members, unreadable = self._complete(b, group)
        self._read_for.setdefault(b.name, set()).add(group)
        if unreadable:
            self.partly_read.add(b.name)
        for cid in unreadable:
            self.warnings.append(
                f"broadcast '{b.name}': gateway contact id {cid} in group '{group}' "
                "has an unreadable number; left out"
            )
        if birth is not None:
            return [m for m in members if birth(_birth_of(m))]
        return list(members)

    def still_held(self, b: BroadcastSpec, numbers: frozenset[str]) -> frozenset[str]:
        """Those of ``numbers`` (missing from ``b``'s audience as resolved) that may still be
        in it: every one when a listing had rows it could not read, or when the audience reads
        a declared group whose changes this run does not apply (the spec's removal is not the
        phonebook's yet, and the run that applies it may refuse it as unsafe); else those the
        gateway's number search finds in a group whose listing ``b`` read. Leaving skips a
        recipient for good: one listing (a page read empty by a bad moment of the gateway, a
        row shifted past by a concurrent edit) is not enough to decide it."""
        if b.name in self.partly_read or b.name in self.unapplied:
            return numbers
        groups = self._read_for.get(b.name, set())
        if not numbers or not groups or self.find_member is None:
            return frozenset()
        find = self.find_member
        return frozenset(n for n in numbers if any(find(g, n) for g in sorted(groups)))

    def _read(self, b: BroadcastSpec, group: str) -> tuple[list[Member], list[int]]:
        key = group_key(group)
        if key not in self._remote:
            if self.remote_members is None:
                raise BroadcastError(
                    f"{b.where}: broadcast '{b.name}': group '{group}' is not declared in the "
                    "spec, and its members on the gateway were not read",
                    broadcast=b.name,
                )
            try:
                listed = self.remote_members(group)
            except UnknownGroup:
                raise BroadcastError(self._nowhere(b, group), broadcast=b.name) from None
            self._listed[key] = listed
            self._remote[key] = self._members(listed)
        return self._remote[key]

    def _complete(self, b: BroadcastSpec, group: str) -> tuple[list[Member], list[int]]:
        """The group's members with the complete records of its short-form rows: a filter,
        template or birthday schedule that reads address, birth or desc would otherwise read
        them as empty, and select (or greet) nobody."""
        key = group_key(group)
        if self.complete_records is None:
            raise BroadcastError(
                f"{b.where}: broadcast '{b.name}': the gateway lists group '{group}' without "
                "address, birth and desc, which this broadcast reads, and their complete "
                "records were not read",
                broadcast=b.name,
            )
        listed = self._listed[key]
        full = {c.id: c for c in self.complete_records([c.id for c in listed if not c.complete])}
        self._listed[key] = [full.get(c.id, c) for c in listed]
        self._remote[key] = self._members(self._listed[key])
        return self._remote[key]

    def _members(self, listed: list[Contact]) -> tuple[list[Member], list[int]]:
        members: list[Member] = []
        unreadable: list[int] = []
        for c in listed:
            number = try_normalize(c.mobile, self.region)
            if number is None:
                unreadable.append(c.id)
                continue
            members.append(
                Member(
                    number,
                    c.name,
                    c.group,
                    _fields(c.name, number, c.group, c.address, c.birth, c.desc),
                )
            )
        return members, unreadable

    def _nowhere(self, b: BroadcastSpec, group: str) -> str:
        head = f"{b.where}: broadcast '{b.name}': audience group '{group}'"
        if self.desired.group(group) is not None:
            return (
                f"{head} is not on the gateway yet, and this run does not apply it "
                "(--target/--exclude leave it out, or --broadcasts-only): a group call reaches "
                "the group as the gateway holds it"
            )
        declared = [g.name for g in self.desired.groups if g.state == "present"]
        close = difflib.get_close_matches(group, declared, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{head} is neither declared in the spec nor on the gateway{hint}"

    def resolve(self, b: BroadcastSpec, *, birth: BirthFilter | None = None) -> list[Member]:
        """A per-contact audience in a stable order, one entry per number (first wins);
        ``birth``: only the contacts whose birth date it keeps.

        A group audience sent per member (``via: per-member``) is the group's contacts, as
        ``contacts: {groups: [that group]}`` selects them: a number the group lists twice is
        messaged once."""
        aud = b.audience
        sel = aud.contacts if aud.group is None else ContactSelector(groups=(aud.group,))
        assert sel is not None
        members: list[Member] = []
        if sel.groups or sel.where:
            groups = list(sel.groups) or [
                g.name for g in self.desired.groups if g.state == "present"
            ]
            for g in groups:
                found = self.group_members(b, g, birth=birth)
                if sel.where:  # (no filter: no call per member)
                    found = [m for m in found if self._matches(m, sel.where)]
                members.extend(found)
            self._warn_unmanaged_where(b, groups, sel.where)
        blank = [f for f in fields_without_default(b.template) if f != "mobile"]
        for n in sel.numbers:
            entry = self._declared_contacts().get(n)
            member = None if entry is None else from_spec(*entry)
            if member is None and blank:
                # Rendered, every field but the number would be empty text ("Halo ,"): no
                # message is better than that one.
                raise BroadcastError(
                    f"{b.where}: broadcast '{b.name}': audience.contacts.numbers: "
                    f"{mask(to_national(n))} is not in the phonebook, so the template's "
                    f"{{{{ {blank[0]} }}}} would be empty: add the number to a group, or write "
                    f"{{{{ {blank[0]} | default('...') }}}}",
                    broadcast=b.name,
                )
            if birth is not None and not birth(entry[0].birth if entry is not None else None):
                continue
            members.append(member or Member(n, "", "", _fields("", n, "", None, None, None)))
        members = _dedupe(members)
        self._check_fields_have_values(b, members, blank)
        return members

    def _declared_contacts(self) -> dict[str, tuple[ContactSpec, str]]:
        # Built on first use, once per run: most audiences name no numbers, and this is the
        # whole phonebook (a number two groups declare is the last one's, as it always was).
        if self._known is None:
            self._known = {
                c.mobile: (c, g.name)
                for g in self.desired.groups
                if g.state == "present"
                for c in g.contacts
            }
        return self._known

    def _check_fields_have_values(
        self, b: BroadcastSpec, members: list[Member], used: list[str]
    ) -> None:
        """A field the template prints that no recipient has a value for (the spec leaves it
        unmanaged, or nobody has it) would print as nothing in every message."""
        for f in used:
            if members and not any(m.fields.get(f) for m in members):
                shown = ", ".join(mask(to_national(m.number)) for m in members[:3])
                more = f" and {len(members) - 3} more" if len(members) > 3 else ""
                raise BroadcastError(
                    f"{b.where}: broadcast '{b.name}': the template prints '{f}', but no "
                    f"recipient has a value for it ({shown}{more}; a field the spec leaves out "
                    f"is not managed, and reads as empty): set it, or write "
                    f"{{{{ {f} | default('...') }}}}",
                    broadcast=b.name,
                )

    def _warn_unmanaged_where(
        self, b: BroadcastSpec, groups: list[str], where: Mapping[str, tuple[str, ...]]
    ) -> None:
        """A declared contact that leaves a field out does not manage it: ``where:`` then
        compares an empty value, whatever the gateway holds. Say so rather than select
        nobody quietly."""
        for fname in where:
            if fname in ("name", "mobile", "group"):
                continue  # always declared
            unmanaged = sum(
                1
                for g in groups
                if (spec := self.desired.group(g)) is not None
                and group_key(g) not in self.live_groups
                for c in spec.contacts
                if getattr(c, fname, None) in (None, "")
            )
            if unmanaged:
                self.warnings.append(
                    f"broadcast '{b.name}': where: {fname}: {unmanaged} declared contact(s) "
                    f"leave {fname} unmanaged in the spec, so it is matched as empty, not as "
                    f"the gateway's value; declare {fname} on them to select them by it"
                )

    def _matches(self, m: Member, where: Mapping[str, tuple[str, ...]]) -> bool:
        for fname, values in where.items():
            have = m.fields.get(fname, "")
            if fname == "mobile":
                wanted = {try_normalize(v, self.region) or v for v in values}
                if m.number not in wanted:
                    return False
            elif have not in values:
                return False
        return True


def _reads_details(b: BroadcastSpec) -> bool:
    """Whether ``b``'s filter, schedule or template reads a field of DETAIL_FIELDS."""
    sel = b.audience.contacts
    if sel is not None and DETAIL_FIELDS & set(sel.where):
        return True
    if b.schedule is not None and b.schedule.on == "birth":
        return True
    return bool(DETAIL_FIELDS & set(undefined_variables(b.template, ())))


def _birth_of(m: Member) -> date | None:
    value = m.fields.get("birth")
    return date.fromisoformat(value) if value else None


def _dedupe(members: list[Member]) -> list[Member]:
    seen: set[str] = set()
    out: list[Member] = []
    for m in members:
        if m.number not in seen:
            seen.add(m.number)
            out.append(m)
    return out
