"""Read the remote phonebook: only what the plan needs, in as few requests as possible.

Strategies (chosen in :func:`choose_strategy`, stated in every plan):

* ``by-group``: phbkGetListbyGroup for each managed group that exists remotely. Reads only the
  managed rows; groups are read concurrently (bounded), each group's pages in sequence.
* ``list-all``: phbkGetList over the whole phonebook, keeping the managed groups' rows. Used
  when every remote group is managed: the same rows in fewer requests (one trailing short page
  instead of one per group).
* ``none``: no managed group exists remotely yet, so there is nothing to read.

Each listing is read to its end by :func:`smsync.gateway.paging.read_listing`, which copes with
gateways that cap the page size and with listings that shift while they are read. Set
``gateway.page_size`` to the gateway's real maximum to skip its probes. Skipped rows of a shifting
listing cannot be seen in one pass, which is why apply plans again before it writes anything.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from smsync.gateway.client import Client
from smsync.gateway.errors import DataNotFound, InvalidPhonebookId
from smsync.gateway.limits import SEARCH_CAP
from smsync.gateway.models import Contact, Group, Page
from smsync.gateway.names import group_key as group_key  # (re-exported for the importer)
from smsync.gateway.paging import Counter, PageSizer, read_listing
from smsync.gateway.paging import ListingShifted as ListingShifted  # (re-exported)
from smsync.plan.model import ReadStats

DEFAULT_PAGE_SIZE = 100


R = TypeVar("R", Contact, Group)


NumberKey = Callable[[str], str]


def _group_digest(members: list[Contact]) -> str:
    digest = hashlib.sha256()
    for c in sorted(members, key=lambda c: c.id):
        birth = c.birth.isoformat() if c.birth else ""
        detail = f"{c.address}\x00{birth}\x00{c.desc}" if c.complete else "?"
        digest.update(f"c\x00{c.id}\x00{c.name}\x00{c.mobile}\x00{c.group}\x00{detail}\n".encode())
    return digest.hexdigest()


def _group_index(key: str, members: list[Contact], number_key: NumberKey) -> dict[
    tuple[str, str], list[Contact]
]:
    index: dict[tuple[str, str], list[Contact]] = {}
    for c in members:
        index.setdefault((key, number_key(c.mobile)), []).append(c)
    return index


@dataclass
class RemoteState:
    groups: list[Group]
    #: group_key(name) -> contacts, for the groups that were read (managed groups only)
    contacts: dict[str, list[Contact]] = field(default_factory=dict)
    read: ReadStats = field(default_factory=lambda: ReadStats("none", "", 0, 0))
    #: (group_key, number key) -> rows, built while the pages arrive (None: not built). The
    #: diff uses it when it was built with the diff's own number key.
    index: dict[tuple[str, str], list[Contact]] | None = None
    index_key: NumberKey | None = None
    #: group_key -> digest of its rows, computed while the pages arrive
    digests: dict[str, str] = field(default_factory=dict)
    #: rows of declared groups this plan does not manage (outside --target/--exclude) that
    #: declared contacts of managed groups can move from; never pruned (see find_elsewhere)
    elsewhere: list[Contact] = field(default_factory=list)

    def group(self, name: str) -> Group | None:
        key = group_key(name)
        for group in self.groups:
            if group_key(group.name) == key:
                return group
        return None

    def replace_rows(self, complete: Mapping[int, Contact]) -> None:
        """Put complete records in place of short ones (and forget what they invalidate)."""
        self.elsewhere = [complete.get(c.id, c) for c in self.elsewhere]
        for key, members in self.contacts.items():
            if any(c.id in complete for c in members):
                self.contacts[key] = [complete.get(c.id, c) for c in members]
                self.digests.pop(key, None)
        self.index = None

    def fingerprint(self) -> str:
        """A digest of everything the plan was computed from (order-independent)."""
        digest = hashlib.sha256()
        for g in sorted(self.groups, key=lambda g: g.id):
            digest.update(f"g\x00{g.id}\x00{g.name}\n".encode())
        for key in sorted(self.contacts):
            part = self.digests.get(key) or _group_digest(self.contacts[key])
            digest.update(f"r\x00{key}\x00{part}\n".encode())
        if self.elsewhere:
            digest.update(f"e\x00{_group_digest(self.elsewhere)}\n".encode())
        return digest.hexdigest()


@dataclass
class _Counters:
    requests: Counter = field(default_factory=Counter)
    rereads: Counter = field(default_factory=Counter)


def _read_sequence(
    fetch: Callable[[int, int], Page[R]], sizer: PageSizer, counters: _Counters, what: str
) -> list[R]:
    return read_listing(fetch, sizer, what=what, requests=counters.requests,
                        rereads=counters.rereads)


def read_groups(client: Client, sizer: PageSizer, counters: _Counters) -> list[Group]:
    return _read_sequence(
        lambda page, size: client.list_groups(page=page, size=size), sizer, counters, "group list"
    )


def choose_strategy(
    remote_groups: list[Group],
    managed: Iterable[str],
    *,
    expected_rows: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = 1,
) -> tuple[str, str]:
    """Pick the cheapest way to read the managed groups' contacts. Returns (strategy, reason).

    When every remote group is managed, list-all needs the fewest requests (one trailing page
    instead of one per group) but reads its pages one after the other, while by-group reads
    ``concurrency`` groups at once. ``expected_rows`` (group_key -> rows the spec declares,
    an estimate of the remote's) lets the choice count round trips: by-group is chosen only
    when it needs fewer of them; a tie keeps the fewer requests. Either way the read makes
    exactly its strategy's minimum number of requests: nothing is fetched speculatively.
    """
    managed_keys = {group_key(n) for n in managed}
    existing = [g for g in remote_groups if group_key(g.name) in managed_keys]
    if not existing:
        return "none", "no managed group exists on the gateway yet"
    if len(existing) < len(remote_groups):
        return (
            "by-group",
            f"{len(existing)} of {len(remote_groups)} remote groups are managed: "
            "listing them by group reads no unmanaged rows",
        )
    if expected_rows is not None and concurrency > 1:
        per_group = [expected_rows.get(group_key(g.name), 0) // page_size + 1 for g in existing]
        list_all = sum(expected_rows.get(group_key(g.name), 0) for g in existing) // page_size + 1
        by_group = max(max(per_group), -(-sum(per_group) // concurrency))
        if by_group < list_all:
            return (
                "by-group",
                f"all {len(remote_groups)} remote groups are managed; by group, {concurrency} "
                f"at a time, takes about {by_group} round trips instead of {list_all} "
                "(estimated from the spec), for one trailing page per group",
            )
    return (
        "list-all",
        f"all {len(remote_groups)} remote groups are managed: one listing reads them all "
        "with a single trailing page",
    )


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Listing 100k rows allocates 100k small objects that live on; with a large heap (the
    spec's own 100k contacts) the cyclic GC then keeps re-scanning it, which costs more than
    the parsing. The rows hold no reference cycles, so collection can wait for the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_remote(
    client: Client,
    managed_groups: Iterable[str],
    *,
    page_size: int | None = None,
    concurrency: int = 4,
    strategy: str | None = None,
    expected_rows: Mapping[str, int] | None = None,
    number_key: NumberKey | None = None,
) -> RemoteState:
    """Read the remote groups and the contacts of the managed groups.

    ``expected_rows``: group_key -> rows the spec declares, for :func:`choose_strategy`.
    ``number_key``: the diff's number key; when given, rows are indexed as they arrive.
    """
    with _no_gc_pauses():
        return _read_remote(
            client, list(managed_groups), page_size=page_size, concurrency=concurrency,
            strategy=strategy, expected_rows=expected_rows, number_key=number_key,
        )


def _read_remote(
    client: Client,
    managed: list[str],
    *,
    page_size: int | None,
    concurrency: int,
    strategy: str | None,
    expected_rows: Mapping[str, int] | None,
    number_key: NumberKey | None,
) -> RemoteState:
    requested = page_size or DEFAULT_PAGE_SIZE
    trusted = page_size is not None
    # One sizer per kind of listing: a gateway may cap group and contact pages differently.
    group_sizer = PageSizer(requested, trusted=trusted)
    sizer = PageSizer(requested, trusted=trusted)
    counters = _Counters()
    groups = read_groups(client, group_sizer, counters)
    chosen, reason = choose_strategy(
        groups, managed, expected_rows=expected_rows, page_size=requested,
        concurrency=concurrency,
    )
    if strategy is not None and strategy != chosen and chosen != "none":
        chosen, reason = strategy, f"{strategy} requested"
    managed_keys = {group_key(n) for n in managed}
    existing = [g for g in groups if group_key(g.name) in managed_keys]
    contacts: dict[str, list[Contact]] = {group_key(g.name): [] for g in existing}
    rows_listed = 0

    digests: dict[str, str] = {}
    index: dict[tuple[str, str], list[Contact]] = {}
    if chosen == "list-all":
        rows = _read_sequence(
            lambda page, size: client.list_contacts(page=page, size=size),
            sizer,
            counters,
            "contact list",
        )
        rows_listed = len(rows)
        for c in rows:
            key = group_key(c.group)
            if key in contacts:
                contacts[key].append(c)
        for key, members in contacts.items():
            digests[key] = _group_digest(members)
            if number_key is not None:
                index.update(_group_index(key, members, number_key))
    elif chosen == "by-group":

        def read_one(g: Group) -> tuple[str, list[Contact], str, dict[tuple[str, str], Any]]:
            key = group_key(g.name)
            rows = _read_sequence(
                lambda page, size: client.list_contacts_by_group(g.name, page=page, size=size),
                sizer,
                counters,
                f"listing of group {g.name!r}",
            )
            # Digest and index each group while the other groups' pages are still on the way:
            # this work then costs nothing after the last page arrives.
            part = _group_index(key, rows, number_key) if number_key is not None else {}
            return key, rows, _group_digest(rows), part

        merged: set[str] = set()
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for key, rows, group_digest, part in pool.map(read_one, existing):
                if contacts[key]:
                    # Two remote names that only a case-insensitive match makes one group
                    # ("Straße", "STRASSE"): one managed group, all of their rows.
                    merged.add(key)
                    for k, found in part.items():
                        index.setdefault(k, []).extend(found)
                else:
                    index.update(part)
                contacts[key].extend(rows)
                digests[key] = group_digest
        for key in merged:
            digests[key] = _group_digest(contacts[key])

    total_rows = sum(len(v) for v in contacts.values())
    page = min(sizer.cap or requested, requested)
    group_pages = _pages(len(groups), min(group_sizer.cap or requested, requested))
    if chosen == "list-all":
        # every row of the phonebook was listed, unmanaged ones too (when forced)
        min_requests = group_pages + _pages(rows_listed, page)
    elif chosen == "by-group":
        min_requests = group_pages + sum(_pages(len(v), page) for v in contacts.values())
    else:
        min_requests = group_pages
    stats = ReadStats(
        strategy=chosen,
        reason=reason,
        requests=counters.requests.value,
        min_requests=min_requests,
        groups_read=len(groups),
        contacts_read=total_rows,
        rereads=counters.rereads.value,
        page_size=requested,
        page_size_trusted=page_size is not None,
        page_cap=sizer.cap if sizer.cap is not None and sizer.cap < requested else None,
    )
    return RemoteState(
        groups=groups,
        contacts=contacts,
        read=stats,
        index=index if number_key is not None else None,
        index_key=number_key,
        digests=digests,
    )


def _pages(rows: int, page_size: int) -> int:
    """Requests needed to list ``rows`` rows: full pages, then one short (possibly empty) page."""
    return rows // page_size + 1


def list_group(
    client: Client, name: str, *, page_size: int | None = None, counters: _Counters | None = None
) -> list[Contact]:
    """Every member of one remote group (audiences the spec does not declare; moves)."""
    sizer = PageSizer(page_size or DEFAULT_PAGE_SIZE, trusted=page_size is not None)
    return _read_sequence(
        lambda page, size: client.list_contacts_by_group(name, page=page, size=size),
        sizer,
        counters or _Counters(),
        f"listing of group {name!r}",
    )


def fetch_details(
    client: Client, state: RemoteState, ids: set[int], *, concurrency: int = 4
) -> None:
    """Replace short-form records (no address/birth/desc) by their complete data, in place."""
    present = {c.id for members in state.contacts.values() for c in members}
    present.update(c.id for c in state.elsewhere)
    wanted = sorted(ids & present)
    if not wanted:
        return
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            complete = {c.id: c for c in pool.map(client.get_contact, wanted)}
    except (InvalidPhonebookId, DataNotFound) as exc:
        raise ListingShifted(
            f"a contact disappeared while the phonebook was read ({exc}); run plan again"
        ) from None
    state.replace_rows(complete)
    state.read.requests += len(wanted)
    state.read.min_requests += len(wanted)
    state.read.details_fetched += len(wanted)
    state.read.detail_ids = sorted(set(state.read.detail_ids) | set(wanted))




@dataclass
class Elsewhere:
    rows: list[Contact]
    requests: int
    how: str  # "lookup" | "list" | ""
    wasted: int = 0  # lookups made before a saturated search sent us to the listing


def find_elsewhere(
    client: Client,
    numbers_wanted: list[str],
    groups: list[Group],
    *,
    expected_rows: Mapping[str, int],
    page_size: int | None = None,
    concurrency: int = 4,
) -> Elsewhere:
    """Rows in ``groups`` (declared groups this plan does not manage) holding numbers the
    plan would otherwise add: so that a contact the spec moved into a targeted group is moved,
    keeping its id, instead of added a second time.

    Whichever needs fewer requests: one phbkFindPhNumber per number (partial matches, at most
    10 rows, filtered here by the caller to exact numbers), or listing those groups. A
    saturated search may hide rows, so then the groups are listed after all.
    """
    if not numbers_wanted or not groups:
        return Elsewhere([], 0, "")
    size = page_size or DEFAULT_PAGE_SIZE
    list_cost = sum(_pages(expected_rows.get(group_key(g.name), 0), size) for g in groups)
    keys = {group_key(g.name) for g in groups}
    requests = 0
    if len(numbers_wanted) <= list_cost:
        from smsync.numbers import search_digits

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            found = list(pool.map(client.find_by_number, map(search_digits, numbers_wanted)))
        requests += len(numbers_wanted)
        if all(len(rows) < SEARCH_CAP for rows in found):
            rows = [c for part in found for c in part if group_key(c.group) in keys]
            unique = {c.id: c for c in rows}
            return Elsewhere(sorted(unique.values(), key=lambda c: c.id), requests, "lookup")
    listed: list[Contact] = []
    counters = _Counters()
    for g in groups:
        listed.extend(list_group(client, g.name, page_size=page_size, counters=counters))
    return Elsewhere(listed, requests + counters.requests.value, "list", wasted=requests)
