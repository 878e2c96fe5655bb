"""Diff the desired groups against the remote state: pure computation, no I/O.

Matching rules (the README's "How plan decides"):

* Groups match by name, case-insensitively (as the gateway does). A case-only difference is a
  rename, so the gateway ends up with the spelling the spec uses; so is a group the spec says
  was ``renamed_from`` a remote one (its rows are then diffed as the new group's).
* Contacts match by (group, normalised number). Several remote rows with one number in one group
  are duplicates: the row that matches the spec best is kept, the others are deleted.
* A declared contact that is missing from its group but present in another managed group, where
  the spec no longer wants it, is moved (one edit of its group), not deleted and re-added.
* Members of a managed group that the spec does not declare are deleted; groups that are not
  declared are never read, so nothing in them can be touched.
* Fields the spec leaves out (``None``) are not managed: the remote value stays as it is.
* A text the gateway lists with ``?`` in place of each character it cannot store (a Latin-1
  gateway) is the spec's text as that gateway keeps it: not a change (the plan notes it once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

from smsync import numbers
from smsync.gateway.models import Contact, Group
from smsync.gateway.names import group_key
from smsync.plan.model import Action, Duplicate, FieldChange, Op, Record
from smsync.plan.remote import GroupIndex, NumberKey, RemoteState, group_index, rows_of
from smsync.spec.model import ContactSpec, GroupSpec

DETAIL_FIELDS = ("address", "birth", "desc")


@dataclass
class DiffResult:
    actions: list[Action] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    #: ids of short-form remote records whose details must be fetched before the diff is final
    needs_details: set[int] = field(default_factory=set)
    existing_managed: int = 0
    #: ids of RemoteState.outside_rows this diff moves into a managed group
    moved_in_from_outside: set[int] = field(default_factory=set)
    #: "#id field, …" for rows whose declared text the gateway cannot store (see _lossy)
    unstorable: list[str] = field(default_factory=list)


def number_key(mobile: str, region: str) -> str:
    """Canonical number for matching; unparseable remote numbers still compare by digits."""
    normalised = numbers.try_normalize(mobile, region)
    if normalised is not None:
        return normalised
    return "raw:" + "".join(ch for ch in mobile if ch.isdigit())


# Regions whose numbers numbers.try_normalize reads without phonenumbers in the common case.
_QUICK_REGIONS = frozenset({"ID"})


def keys_need_spec(region: str) -> bool:
    """Whether :func:`number_keys` reads the spec's contacts for ``region`` (otherwise it can
    be made before they are loaded, and rows indexed as they arrive)."""
    return region.upper() not in _QUICK_REGIONS


def number_keys(groups: list[GroupSpec], region: str) -> NumberKey:
    """The number key the diff uses for remote rows, for this spec and region."""
    if not keys_need_spec(region):
        return _RegionKeys(region)
    return _NumberKeys(frozenset(s.mobile for g in groups for s in g.contacts), region)


class _RegionKeys:
    """``number_key`` for a region whose common numbers need no phonenumbers (numbers'
    fast path reads them): no spec number to know, so no set of a million of them."""

    def __init__(self, region: str) -> None:
        self.region = region

    # Interchangeable for one region: the diff can then use an index built as pages arrived.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _RegionKeys) and other.region == self.region

    def __hash__(self) -> int:
        return hash(self.region)

    def __call__(self, mobile: str) -> str:
        return number_key(mobile, self.region)

    def many(self, mobiles: list[str]) -> list[str]:
        # a group's column of mobiles, all plain Indonesian ones: no Python code per number
        keys = numbers.normalize_plain_mobiles(mobiles, self.region)
        return keys if keys is not None else [number_key(m, self.region) for m in mobiles]


class _NumberKeys:
    """``number_key`` for many remote rows, without phonenumbers for the common case.

    Parsing is by far the costliest step of a diff (~40 µs a number, seconds for 100k rows).
    A remote mobile that is ``+`` and ASCII digits, or ASCII digits starting with the region's
    country code, is read by :func:`numbers.try_normalize` as ``"+" + digits``; when that string
    is a number the spec declares (so a canonical, valid E.164 that parses back to itself), it
    is the key. Every other mobile goes through ``number_key``: the result is the same.
    """

    def __init__(self, known: frozenset[str], region: str) -> None:
        self.known = known
        self.region = region
        cc = phonenumbers.country_code_for_region(region.upper())
        self.cc = str(cc) if cc else None

    # Two key functions are interchangeable when they were made from the same spec numbers
    # and region: the diff can then use an index built while the pages arrived.
    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _NumberKeys)
            and other.region == self.region
            and (other.known is self.known or other.known == self.known)
        )

    def __hash__(self) -> int:
        return hash((self.region, len(self.known)))

    def __call__(self, mobile: str) -> str:
        if mobile.isascii():
            if mobile.startswith("+"):
                if mobile[1:].isdigit() and mobile in self.known:
                    return mobile
            elif self.cc and mobile.isdigit() and mobile.startswith(self.cc):
                candidate = "+" + mobile
                if candidate in self.known:
                    return candidate
        return number_key(mobile, self.region)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def remote_record(c: Contact, region: str, number: str | None = None) -> Record:
    """``number``: the row's number_key when the caller already has it (parsing is costly)."""
    return Record(
        name=c.name,
        mobile=c.mobile,
        number=number if number is not None else number_key(c.mobile, region),
        group=c.group,
        address=c.address,
        birth=_iso(c.birth),
        desc=c.desc,
    )


def desired_record(spec: ContactSpec, group: str, base: Record | None) -> Record:
    """The record to send: the remote one with every declared field overlaid."""
    return Record(
        name=spec.name,
        mobile=base.mobile if base else numbers.to_gateway(spec.mobile),
        number=spec.mobile,
        group=group,
        address=spec.address if spec.address is not None else (base.address if base else ""),
        birth=_iso(spec.birth) if spec.birth is not None else (base.birth if base else None),
        desc=spec.desc if spec.desc is not None else (base.desc if base else ""),
    )


def field_changes(before: Record, after: Record) -> list[FieldChange]:
    out = []
    for name in ("name", "group", "address", "birth", "desc"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append(FieldChange(name, old, new))
    return out


def _score(spec: ContactSpec, c: Contact) -> tuple[int, int]:
    """How well a remote row matches the spec (higher is better); ties keep the oldest id."""
    same = int(c.name == spec.name)
    for name in DETAIL_FIELDS:
        wanted = getattr(spec, name)
        if wanted is not None and c.complete and getattr(c, name) == wanted:
            same += 1
    return same, -c.id


def _lossy(wanted: str, stored: str) -> bool:
    """``stored`` is ``wanted`` as a gateway keeps it that cannot store some of its characters
    (a Latin-1 body lists each as ``?``). Sending ``wanted`` again would change nothing: the
    field is left as it is, and the plan says so once, instead of editing it on every apply."""
    return (
        len(wanted) == len(stored)
        and wanted != stored
        and all(w == s or (s == "?" and ord(w) > 0xFF) for w, s in zip(wanted, stored, strict=True))
    )


def _same_text(wanted: str | None, stored: str) -> bool:
    return wanted is None or wanted == stored or _lossy(wanted, stored)


def _details_match(spec: ContactSpec, c: Contact) -> bool:
    """Every detail field the spec declares equals the remote row's (as the gateway can
    store it)."""
    return (
        _same_text(spec.address, c.address)
        and (spec.birth is None or spec.birth == c.birth)
        and _same_text(spec.desc, c.desc)
    )


def _unstorable(spec: ContactSpec, c: Contact) -> list[str]:
    """The text fields the spec declares that the gateway could not store as written."""
    return [
        name
        for name in ("name", "address", "desc")
        if (wanted := getattr(spec, name)) is not None
        and (name == "name" or c.complete)
        and _lossy(wanted, getattr(c, name))
    ]


def _plainly_unchanged(spec: ContactSpec, c: Contact) -> bool:
    """``c`` is the spec's contact as it is, and the spec declares no detail: what
    :func:`_update` finds for it (no edit, nothing to note), at a fraction of the cost."""
    return c.name == spec.name and spec.address is None and spec.birth is None and spec.desc is None


def _declares_details(spec: ContactSpec) -> bool:
    return any(getattr(spec, name) is not None for name in DETAIL_FIELDS)


def diff(
    groups: list[GroupSpec],
    remote: RemoteState,
    region: str,
    renamed: Mapping[str, Group] | None = None,
) -> DiffResult:
    """``renamed``: group_key(new name) -> the remote group ``renamed_from`` renames to it
    (:mod:`smsync.plan.renames`); ``remote`` then already holds its rows under the new name."""
    result = DiffResult()
    present = [g for g in groups if g.state == "present"]
    absent = [g for g in groups if g.state == "absent"]

    # -- groups --------------------------------------------------------------------------
    # remote.group for each declared group, without a scan of every remote group each time
    # (a million-contact phonebook has a thousand groups)
    remote_groups: dict[str, Group] = {}
    for found in remote.groups:
        remote_groups.setdefault(group_key(found.name), found)
    for g in present:
        existing = remote_groups.get(group_key(g.name))
        reason = "the spec spells the name differently"
        if existing is None and renamed and (was := renamed.get(group_key(g.name))):
            existing, reason = was, f"renamed_from: {was.name}"
        if existing is None:
            result.actions.append(Action(Op.ADD_GROUP, g.name, reason="declared in the spec"))
        elif existing.name != g.name:
            result.actions.append(
                Action(
                    Op.RENAME_GROUP,
                    g.name,
                    id=existing.id,
                    changes=[FieldChange("name", existing.name, g.name)],
                    reason=reason,
                )
            )

    # -- index remote rows of managed groups by (group, number) --------------------------
    result.existing_managed = sum(len(members) for members in remote.contacts.values())
    rows: dict[str, GroupIndex]  # group_key -> number key -> row(s)
    key_of = number_keys(groups, region)
    if remote.index is not None and remote.index_key is not None and remote.index_key == key_of:
        rows = remote.index  # built while the pages arrived
    else:
        rows = {key: group_index(members, key_of) for key, members in remote.contacts.items()}
    claimed: set[int] = set()

    # -- pass 1: declared contacts found in their own group ------------------------------
    unmatched: list[tuple[GroupSpec, ContactSpec]] = []
    for g in present:
        group_rows = rows.get(group_key(g.name), {})
        for spec in g.contacts:
            candidates = group_rows.get(spec.mobile)
            if candidates is None:
                unmatched.append((g, spec))
                continue
            if not isinstance(candidates, list):  # the common case: no ranking to do
                keep, extra = candidates, []
                claimed.add(keep.id)
                if _plainly_unchanged(spec, keep):
                    continue  # most rows of a large phonebook
            else:
                _need_fair_scores(result, candidates)
                ranked = sorted(candidates, key=lambda c: _score(spec, c), reverse=True)
                keep, extra = ranked[0], ranked[1:]
                claimed.update(c.id for c in candidates)
            _update(result, g, spec, keep, region, Op.EDIT_CONTACT)
            if extra:
                result.duplicates.append(
                    Duplicate(g.name, spec.mobile, keep.id, sorted(c.id for c in extra))
                )
                for c in sorted(extra, key=lambda c: c.id):
                    result.actions.append(
                        Action(
                            Op.DELETE_CONTACT,
                            g.name,
                            id=c.id,
                            before=remote_record(c, region, spec.mobile),
                            reason=f"duplicate of #{keep.id}",
                            duplicate_of=keep.id,
                            # the protected contact is the row kept; only a protected
                            # group keeps its duplicate rows too
                            protected=g.protect,
                        )
                    )

    # -- pass 2: moves from other managed groups, then adds ------------------------------
    by_number: dict[str, list[Contact]] = defaultdict(list)
    if unmatched:  # nothing can move when every declared contact was found in its group
        for group_rows in rows.values():
            for num, entry in group_rows.items():
                for c in rows_of(entry):
                    if c.id not in claimed:
                        by_number[num].append(c)
        # rows of declared groups outside this plan that the spec moved out of them
        for c in remote.outside_rows:
            by_number[number_key(c.mobile, region)].append(c)
    outside_ids = {c.id for c in remote.outside_rows}
    for g, spec in unmatched:
        pool = [c for c in by_number.get(spec.mobile, []) if c.id not in claimed]
        if pool:
            _need_fair_scores(result, pool)
            source = max(pool, key=lambda c: _score(spec, c))
            claimed.add(source.id)
            if source.id in outside_ids:
                result.moved_in_from_outside.add(source.id)
            _update(result, g, spec, source, region, Op.MOVE_CONTACT)
        else:
            result.actions.append(
                Action(
                    Op.ADD_CONTACT,
                    g.name,
                    after=desired_record(spec, g.name, None),
                    reason="declared in the spec",
                )
            )

    # -- pass 3: prune what is left in managed groups ------------------------------------
    absent_keys = {group_key(g.name): g for g in absent}
    present_keys = {group_key(g.name): g for g in present}
    # Only the unclaimed rows are left to sort (by group, number, id): few, in a large phonebook.
    leftover = (
        [
            (gk, num, c)
            for gk, group_rows in rows.items()
            for num, entry in group_rows.items()
            for c in rows_of(entry)
            if c.id not in claimed
        ]
        # a converged phonebook has no leftovers (rows moved in from outside are not managed)
        if len(claimed) - len(result.moved_in_from_outside) < result.existing_managed
        else []
    )
    leftover.sort(key=lambda t: (t[0], t[1], t[2].id))
    # (group, number) pairs declared `protect: true` (or in a protected group): never deleted
    protected_numbers = (
        {
            (group_key(g.name), s.mobile)
            for g in groups
            for s in g.contacts
            if s.protect or g.protect
        }
        if leftover
        else set()
    )
    for gk, num, c in leftover:
        owner = present_keys.get(gk) or absent_keys.get(gk)
        assert owner is not None  # only managed groups are read
        in_absent = gk in absent_keys
        protected = owner.protect or (gk, num) in protected_numbers
        result.actions.append(
            Action(
                Op.DELETE_CONTACT,
                owner.name,
                id=c.id,
                before=remote_record(c, region, num),
                reason="its group is declared absent" if in_absent else "not in the spec",
                protected=protected,
            )
        )

    for g in absent:
        existing = remote_groups.get(group_key(g.name))
        if existing is not None:
            result.actions.append(
                Action(
                    Op.DELETE_GROUP,
                    existing.name,
                    id=existing.id,
                    reason="declared with state: absent",
                    protected=g.protect,
                )
            )
    return result


def _need_fair_scores(result: DiffResult, candidates: list[Contact]) -> None:
    """Choosing between several rows is only fair when all of them are complete."""
    if len(candidates) > 1:
        result.needs_details.update(c.id for c in candidates if not c.complete)


def _update(
    result: DiffResult, g: GroupSpec, spec: ContactSpec, c: Contact, region: str, op: Op
) -> None:
    """Add an edit (or move) for remote row ``c`` when it differs from ``spec``."""
    moving = op is Op.MOVE_CONTACT
    if not moving and c.name == spec.name and _details_match(spec, c):
        # Unchanged (most rows of a large phonebook): what field_changes would find, without
        # building two records per row. Short rows get here only when no detail is declared.
        if c.complete and _declares_details(spec) and (lossy := _unstorable(spec, c)):
            result.unstorable.append(f"#{c.id} {', '.join(lossy)}")
        return
    lossy = _unstorable(spec, c)
    if lossy:
        result.unstorable.append(f"#{c.id} {', '.join(lossy)}")
    # ``c`` was matched by number, so its number_key is the spec's number.
    before = remote_record(c, region, spec.mobile)
    if not c.complete and (moving or _declares_details(spec) or c.name != spec.name):
        # A short-form row: its details are unknown, and an edit must resend them unchanged.
        result.needs_details.add(c.id)
        return
    after = desired_record(spec, g.name if moving else c.group, before)
    # A field the gateway cannot store as written is no change: an edit made for another
    # field still sends the spec's text (the gateway may keep more than its listing shows).
    changes = [ch for ch in field_changes(before, after) if ch.field not in lossy]
    if not changes:
        return
    result.actions.append(
        Action(
            op,
            g.name,
            id=c.id,
            before=before,
            after=after,
            changes=changes,
            reason=f"moved from {c.group}" if moving else "fields differ from the spec",
        )
    )
