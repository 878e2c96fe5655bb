"""Group renames (``renamed_from``): which remote group becomes which declared one.

A declared group that does not exist on the gateway under its name, but does under a name it
lists in ``renamed_from``, is that remote group renamed: one groupEdit keeps the group's id and
every member's id. The rest of the plan then sees the phonebook as it will be after the rename
(:func:`renamed_view`): the old group's rows are the new group's rows, so the diff edits,
prunes and keeps them as it would in any managed group, and apply's check by id finds them
where the plan says, since renames run in the first phase.

A rename is decided here and nowhere else, from the gateway's own group list:

* the new name exists already: nothing to rename (``renamed_from`` may stay after apply);
* none of the old names exists: the group is added, and the plan says why;
* several of the old names exist: an error (which one to keep is the user's call).

The loader already refused an old name another document declares: a rename never takes a
group the spec manages in its own right.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from smsync.errors import SmsyncError
from smsync.gateway.models import Group
from smsync.gateway.names import group_key
from smsync.plan.remote import RemoteState
from smsync.spec.model import GroupSpec


@dataclass
class Renames:
    #: group_key(new name) -> the remote group renamed to it
    groups: dict[str, Group] = field(default_factory=dict)
    #: one line per ``renamed_from`` that renames nothing, for the plan's output
    notes: list[str] = field(default_factory=list)

    def source(self, name: str) -> Group | None:
        return self.groups.get(group_key(name))


def old_names(groups: list[GroupSpec]) -> list[str]:
    """Every name a present group was renamed from (the listing must read those groups)."""
    return [old for g in groups if g.state == "present" for old in g.renamed_from]


def resolve_renames(groups: list[GroupSpec], remote_groups: list[Group]) -> Renames:
    by_key: dict[str, list[Group]] = {}
    for rg in remote_groups:
        by_key.setdefault(group_key(rg.name), []).append(rg)
    out = Renames()
    for g in groups:
        if g.state != "present" or not g.renamed_from:
            continue
        key = group_key(g.name)
        if key in by_key:
            continue  # already renamed (or never needed it)
        found = [rg for old in g.renamed_from for rg in by_key.get(group_key(old), [])]
        if len(found) > 1:
            raise SmsyncError(
                f"{g.where}: renamed_from: group '{g.name}' is renamed from "
                f"{', '.join(repr(rg.name) for rg in found)}, and the gateway has more than one "
                "of them: keep in renamed_from the one to rename"
            )
        if found:
            out.groups[key] = found[0]
        else:
            olds = ", ".join(repr(o) for o in g.renamed_from)
            out.notes.append(
                f"group '{g.name}' is renamed from {olds}, which the gateway does not have: "
                "it is added as a new group"
            )
    return out


def renamed_view(remote: RemoteState, groups: list[GroupSpec], renames: Renames) -> None:
    """Show ``remote`` as it will be after the renames (in place): each renamed group's rows
    under the new name, in a group of that name. The group list stays as read (ids and
    names: the fingerprint and the rename's own check by id use them)."""
    declared = {group_key(g.name) for g in groups}
    for old_name in old_names(groups):
        # an old group that is not renamed (the new one exists already) is not managed
        key = group_key(old_name)
        if key not in declared and not any(
            group_key(rg.name) == key for rg in renames.groups.values()
        ):
            if remote.contacts.pop(key, None) is not None:
                remote.index = None  # the diff rebuilds it from the rows left
            remote.digests.pop(key, None)
    if not renames.groups:
        return
    for g in groups:
        old = renames.source(g.name)
        if old is None:
            continue
        old_key = group_key(old.name)
        members = remote.contacts.pop(old_key, [])
        remote.digests.pop(old_key, None)
        remote.contacts[group_key(g.name)] = [replace(c, group=g.name) for c in members]
    remote.index = None  # rebuilt by the diff from the rows under their new keys
