"""Compute a Plan: select the managed groups, read the remote, diff, check safety."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smsync.errors import SmsyncError
from smsync.gateway.names import group_key
from smsync.gateway.provider import PhonebookReader
from smsync.plan.diff import DiffResult, diff, keys_need_spec, number_key, number_keys
from smsync.plan.fetch import fetch_details, read_moved_rows, read_remote
from smsync.plan.model import Op, PhonebookSafety, Plan, UnmanagedGroup
from smsync.plan.remote import LateKey, RemoteState
from smsync.plan.renames import Renames, old_names, renamed_view, resolve_renames
from smsync.plan.search import find_elsewhere
from smsync.safety import ShareLimits, ambiguous_group_findings, phonebook_findings
from smsync.spec.model import GroupSpec

if TYPE_CHECKING:
    from smsync.spec.loader import SpecLoad

MAX_DETAIL_ROUNDS = 4


@dataclass
class PlanOptions:
    targets: list[str] = field(default_factory=list)  # group name globs; empty = every group
    excludes: list[str] = field(default_factory=list)
    page_size: int | None = None  # the gateway's real maximum page size, when known
    concurrency: int = 4
    strategy: str | None = None  # force "list-all" or "by-group"


def _matches(name: str, pattern: str) -> bool:
    """A pattern names a group exactly (any case), or is a glob: ``Sales [old]`` is the group
    of that name when one is declared, not a character class."""
    folded, wanted = group_key(name), group_key(pattern)
    return folded == wanted or fnmatch.fnmatchcase(folded, wanted)


def select_groups(
    groups: list[GroupSpec], targets: list[str], excludes: list[str]
) -> list[GroupSpec]:
    """The declared groups this plan manages after ``--target`` / ``--exclude``.

    A pattern that matches no declared group is an error, not a silent no-op: a typo in
    ``--target`` would otherwise plan "no changes", and one in ``--exclude`` would leave in the
    plan a group the user meant to keep out of it."""
    unmatched = [p for p in (*targets, *excludes) if not any(_matches(g.name, p) for g in groups)]
    if unmatched:
        raise SmsyncError(
            f"--target/--exclude {', '.join(repr(p) for p in unmatched)} matches no group the "
            "spec declares (patterns are names or globs, compared case-insensitively)"
        )
    selected = [g for g in groups if not targets or any(_matches(g.name, p) for p in targets)]
    return [g for g in selected if not any(_matches(g.name, p) for p in excludes)]


def assess_safety(result: DiffResult, limits: ShareLimits) -> PhonebookSafety:
    """The phonebook's counts, judged by :mod:`smsync.safety`."""
    deletes = sum(1 for a in result.actions if a.op is Op.DELETE_CONTACT)
    # a move in from a declared group outside the plan changes no managed contact: like an add
    updates = sum(
        1
        for a in result.actions
        if a.op in (Op.EDIT_CONTACT, Op.MOVE_CONTACT) and a.id not in result.moved_in_from_outside
    )
    protected = sum(1 for a in result.actions if a.protected)
    existing = result.existing_managed
    return PhonebookSafety(
        findings=phonebook_findings(
            deletes=deletes,
            updates=updates,
            protected=protected,
            existing=existing,
            limits=limits,
        ),
        existing_managed=existing,
        deletes=deletes,
        updates=updates,
        protected_deletes=protected,
    )


def make_plan(
    client: PhonebookReader,
    groups: list[GroupSpec],
    *,
    region: str,
    safety: ShareLimits,
    options: PlanOptions | None = None,
    endpoint: str = "",
    username: str = "",
    spec: SpecLoad | None = None,
) -> Plan:
    """``spec``: the load ``groups`` come from, when their contacts files may still be unread:
    they are read while the gateway is (see :func:`read_and_diff`)."""
    options = options or PlanOptions()
    if spec is not None and spec.has_problems:
        spec.finish()  # raises every problem, before any request
    managed = select_groups(groups, options.targets, options.excludes)
    chosen = {id(g) for g in managed}  # (``in managed`` compared each pair: 1000 groups, 0.2 s)
    others = [g for g in groups if id(g) not in chosen]
    remote, result = read_and_diff(
        client, managed, region=region, options=options, others=others, spec=spec
    )
    judged = assess_safety(result, safety)
    judged.findings.extend(ambiguous_group_findings(remote.groups, (g.name for g in groups)))
    renames = resolve_renames(managed, remote.groups)
    return Plan(
        notes=renames.notes + unstorable_note(result.unstorable),
        unmanaged=unmanaged_groups(remote, groups, renames),
        actions=result.actions,
        fingerprint=remote.fingerprint(),
        read=remote.read,
        safety=judged,
        scope={
            "target": list(options.targets),
            "exclude": list(options.excludes),
            "groups": [g.name for g in managed],
        },
        duplicates=result.duplicates,
        endpoint=endpoint,
        username=username,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def unstorable_note(rows: list[str]) -> list[str]:
    """One line for every contact whose declared text the gateway cannot store (not edited)."""
    if not rows:
        return []
    shown = ", ".join(rows[:5]) + (f", and {len(rows) - 5} more" if len(rows) > 5 else "")
    return [
        f"the gateway cannot store some characters of {len(rows)} contact(s) ({shown}): it "
        "lists them as '?' (a Latin-1 gateway), so they are left as they are instead of being "
        "edited on every apply; write those fields with characters it can store"
    ]


def unmanaged_groups(
    remote: RemoteState, declared: list[GroupSpec], renames: Renames
) -> list[UnmanagedGroup]:
    """Remote groups no declared group manages (nor renames): a forgotten or misspelt group
    shows up here. Member counts only when a whole-phonebook listing already counted them."""
    keys = {group_key(g.name) for g in declared}
    keys.update(group_key(g.name) for g in renames.groups.values())
    counts = remote.other_rows
    return [
        UnmanagedGroup(
            g.name, g.id, counts.get(group_key(g.name), 0) if counts is not None else None
        )
        for g in sorted(remote.groups, key=lambda g: (group_key(g.name), g.id))
        if group_key(g.name) not in keys
    ]


def read_and_diff(
    client: PhonebookReader,
    managed: list[GroupSpec],
    *,
    region: str,
    options: PlanOptions,
    others: list[GroupSpec] | None = None,
    spec: SpecLoad | None = None,
) -> tuple[RemoteState, DiffResult]:
    """Read, diff, and settle what the diff still needs (moves from outside, details).

    With ``spec`` not finished, its contacts files are read on a thread while the gateway's
    pages are awaited: a large spec then costs little more than the read. The read is the one
    a finished spec gives: the same groups, and the same row counts for choosing the strategy
    (a valid file's non-blank rows are its contacts). A spec with problems raises them, not
    what the read ran into."""
    pending = spec is not None and not spec.done
    declared = spec.declared_contacts if spec is not None else lambda g: len(g.contacts)
    expected_rows = {group_key(g.name): declared(g) for g in managed}  # before finish starts
    # Indonesian numbers need no spec number to be keyed: their rows are indexed as they arrive.
    key = LateKey(
        lambda: (
            number_keys(managed, region)
            if spec is None or spec.done or not keys_need_spec(region)
            else None
        )
    )
    with _finishing(spec if pending else None):
        remote = read_remote(
            client,
            [g.name for g in managed] + old_names(managed),
            page_size=options.page_size,
            concurrency=options.concurrency,
            strategy=options.strategy,
            expected_rows=expected_rows,
            # groups read once the spec's numbers are known are indexed as they arrive
            number_key=key,
        )
    remote.finish_index(key.get() or number_keys(managed, region))
    renames = resolve_renames(managed, remote.groups)
    renamed_view(remote, managed, renames)
    result = diff(managed, remote, region, renames.groups)
    if others:
        result = _moves_from_outside(
            client, managed, others, remote, result, region, options, renames
        )
    # Short-form listings: fetch complete data only for the rows the diff needs, then diff
    # again with those rows complete (which can make it choose, and need, other rows: each
    # round only adds rows, so a few rounds settle it).
    for _round in range(MAX_DETAIL_ROUNDS):
        if not result.needs_details:
            return remote, result
        fetch_details(client, remote, result.needs_details, concurrency=options.concurrency)
        result = diff(managed, remote, region, renames.groups)
    if result.needs_details:
        raise SmsyncError(
            f"complete data for {len(result.needs_details)} contacts still missing after "
            f"{MAX_DETAIL_ROUNDS} rounds of phbkGetCompleteData (is the gateway answering short "
            "records to phbkGetCompleteData?)"
        )
    return remote, result


@contextmanager
def _finishing(spec: SpecLoad | None) -> Iterator[None]:
    """Finish ``spec`` on a thread while the body runs; its problems, if any, are raised
    instead of whatever the body raised (the spec is reported first, as when it is loaded
    before the read)."""
    if spec is None:
        yield
        return
    failed: list[BaseException] = []

    def finish() -> None:
        try:
            spec.finish()
        except BaseException as exc:  # re-raised on the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=finish, name="smsync-spec-load", daemon=True)
    thread.start()
    try:
        yield
    except KeyboardInterrupt:
        raise  # at once: the daemon thread dies with the process
    except BaseException:
        thread.join()
        if failed:
            raise failed[0] from None
        raise
    thread.join()
    if failed:
        raise failed[0] from None


def _moves_from_outside(
    client: PhonebookReader,
    managed: list[GroupSpec],
    others: list[GroupSpec],
    remote: RemoteState,
    result: DiffResult,
    region: str,
    options: PlanOptions,
    renames: Renames,
) -> DiffResult:
    """With --target/--exclude, a contact the spec moved into a managed group may still sit
    in a declared group this plan leaves alone: find it (per-number lookups or a listing,
    whichever is cheaper) so the plan moves it, keeping its id, instead of adding a copy."""
    adds = sorted({a.after.number for a in result.actions if a.op is Op.ADD_CONTACT and a.after})
    other_keys = {group_key(g.name) for g in others}
    outside = [g for g in remote.groups if group_key(g.name) in other_keys]
    if not adds or not outside:
        return result
    found = find_elsewhere(
        client,
        adds,
        outside,
        remote.read,
        expected_rows={group_key(g.name): len(g.contacts) for g in others},
        page_size=options.page_size,
        concurrency=options.concurrency,
    )
    wanted = set(adds)
    # a number the spec still declares in that other group is not leaving it
    kept_there = {(group_key(g.name), c.mobile) for g in others for c in g.contacts}
    candidates = [
        c
        for c in found.rows
        if (key := number_key(c.mobile, region)) in wanted
        and (group_key(c.group), key) not in kept_there
    ]
    if not candidates:
        return result
    remote.outside_rows = candidates
    result = diff(managed, remote, region, renames.groups)
    # The rows moved are what the plan acts on: read them whole, by id, as apply's freshness
    # check will (and only those: the others make no difference to the plan).
    used = sorted(result.moved_in_from_outside)
    remote.outside_rows = read_moved_rows(
        client, used, remote.read, concurrency=options.concurrency
    )
    return diff(managed, remote, region, renames.groups)
