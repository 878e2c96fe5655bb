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

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from smsync import numbers
from smsync.gateway.errors import DataNotFound, InvalidPhonebookId
from smsync.gateway.models import BadRecord, Contact, Group, Page
from smsync.gateway.names import group_key as group_key  # (re-exported for the importer)
from smsync.gateway.paging import Counter, PageSizer, read_listing
from smsync.gateway.paging import ListingShifted as ListingShifted  # (re-exported)
from smsync.gateway.provider import PhonebookLister, PhonebookReader
from smsync.plan.model import ReadStats, Strategy
from smsync.plan.remote import (
    GroupIndex,
    LateKey,
    NumberKey,
    RemoteState,
    add_row,
    bad_row_warning,
    group_digest,
    group_index,
    rows_of,
)
from smsync.plan.strategy import DEFAULT_PAGE_SIZE as DEFAULT_PAGE_SIZE  # (re-exported)
from smsync.plan.strategy import choose_strategy, pages

R = TypeVar("R", Contact, Group)

log = logging.getLogger(__name__)


# A run of digits long enough to be a phone number, in a reason the parser gave (a field of a
# split record may hold half of a number).
_NUMBER_LIKE = re.compile(r"\+?\d{7,}")


def bad_row_label(group: str, record: BadRecord) -> str:
    """One unreadable record as a plan shows it (and a plan file keeps it): which record,
    where it was listed, and why; numbers masked, since plans are shared."""
    where = f"group {group!r}" if group else "the phonebook listing"
    which = f"contact {record.id}" if record.id is not None else "a contact record"
    reason = _NUMBER_LIKE.sub(lambda m: numbers.mask(m.group()), record.reason)
    return f"{which} in {where} ({reason})"


@dataclass
class _Counters:
    requests: Counter = field(default_factory=Counter)
    rereads: Counter = field(default_factory=Counter)
    probes: Counter = field(default_factory=Counter)


def _read_sequence(
    fetch: Callable[[int, int], Page[R]],
    sizer: PageSizer,
    counters: _Counters,
    what: str,
    bad: list[BadRecord] | None = None,
) -> list[R]:
    return read_listing(
        fetch,
        sizer,
        what=what,
        requests=counters.requests,
        rereads=counters.rereads,
        probes=counters.probes,
        bad=bad,
    )


def read_groups(client: PhonebookLister, sizer: PageSizer, counters: _Counters) -> list[Group]:
    return _read_sequence(
        lambda page, size: client.list_groups(page=page, size=size), sizer, counters, "group list"
    )


def read_remote(
    client: PhonebookLister,
    managed_groups: Iterable[str],
    *,
    page_size: int | None = None,
    concurrency: int = 4,
    strategy: str | None = None,
    expected_rows: Mapping[str, int] | None = None,
    number_key: NumberKey | LateKey | None = None,
) -> RemoteState:
    """Read the remote groups and the contacts of the managed groups.

    ``expected_rows``: group_key -> rows the spec declares, for :func:`choose_strategy`.
    ``number_key``: the diff's number key; when given, rows are indexed as they arrive. A
    LateKey indexes the groups read once it is known; RemoteState.finish_index the others.
    """
    return _read_remote(
        client,
        list(managed_groups),
        page_size=page_size,
        concurrency=concurrency,
        strategy=strategy,
        expected_rows=expected_rows,
        number_key=number_key,
    )


def _read_remote(
    client: PhonebookLister,
    managed: list[str],
    *,
    page_size: int | None,
    concurrency: int,
    strategy: str | None,
    expected_rows: Mapping[str, int] | None,
    number_key: NumberKey | LateKey | None,
) -> RemoteState:
    def key_now() -> NumberKey | None:
        return number_key.get() if isinstance(number_key, LateKey) else number_key

    requested = page_size or DEFAULT_PAGE_SIZE
    trusted = page_size is not None
    # One sizer per kind of listing: a gateway may cap group and contact pages differently.
    group_sizer = PageSizer(requested, trusted=trusted)
    sizer = PageSizer(requested, trusted=trusted)
    counters = _Counters()
    groups = read_groups(client, group_sizer, counters)
    chosen, reason = choose_strategy(
        groups,
        managed,
        expected_rows=expected_rows,
        page_size=requested,
        concurrency=concurrency,
    )
    if strategy is not None and strategy != chosen and chosen is not Strategy.NONE:
        chosen, reason = Strategy(strategy), f"{strategy} requested"
    managed_keys = {group_key(n) for n in managed}
    existing = [g for g in groups if group_key(g.name) in managed_keys]
    contacts: dict[str, list[Contact]] = {group_key(g.name): [] for g in existing}
    rows_listed = 0

    digests: dict[str, str] = {}
    index: dict[str, GroupIndex] = {}
    unindexed: set[str] = set()  # groups (some of) whose rows came before a LateKey was known
    # Records that could not be read: left out (unmanaged for this run), and reported.
    bad_rows: list[tuple[str, BadRecord]] = []
    other_rows: dict[str, int] | None = None
    if chosen == "list-all":
        unreadable: list[BadRecord] = []
        rows = _read_sequence(
            lambda page, size: client.list_contacts(page=page, size=size),
            sizer,
            counters,
            "contact list",
            unreadable,
        )
        bad_rows.extend(("", b) for b in unreadable)
        rows_listed = len(rows)
        other_rows = {}
        for c in rows:
            key = group_key(c.group)
            if key in contacts:
                contacts[key].append(c)
            else:
                other_rows[key] = other_rows.get(key, 0) + 1
        late = key_now()
        for key, members in contacts.items():
            digests[key] = group_digest(members)
            if late is not None:
                index[key] = group_index(members, late)
            elif number_key is not None:
                unindexed.add(key)
    elif chosen == "by-group":

        def read_one(
            g: Group,
        ) -> tuple[str, list[Contact], str, GroupIndex | None]:
            key = group_key(g.name)
            unreadable: list[BadRecord] = []
            rows = _read_sequence(
                lambda page, size: client.list_contacts_by_group(g.name, page=page, size=size),
                sizer,
                counters,
                f"listing of group {g.name!r}",
                unreadable,
            )
            bad_rows.extend((g.name, b) for b in unreadable)  # list.extend: atomic
            # Digest and index each group while the other groups' pages are still on the way:
            # this work then costs nothing after the last page arrives.
            late = key_now()
            part = group_index(rows, late) if late is not None else None
            return key, rows, group_digest(rows), part

        merged: set[str] = set()
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for key, rows, rows_digest, part in pool.map(read_one, existing):
                if part is None or key in unindexed:
                    # some of this group's rows may be indexed: it is indexed whole later
                    index.pop(key, None)
                    unindexed.add(key)
                    part = None
                if contacts[key]:
                    # Two remote names that only a case-insensitive match makes one group
                    # ("Straße", "STRASSE"): one managed group, all of their rows.
                    merged.add(key)
                    if part is not None:
                        group_rows = index.setdefault(key, {})
                        for number, found in part.items():
                            for row in rows_of(found):
                                add_row(group_rows, number, row)
                elif part is not None:
                    index[key] = part
                contacts[key].extend(rows)
                digests[key] = rows_digest
        for key in merged:
            digests[key] = group_digest(contacts[key])

    # by group and id, not in the order the reading threads finished: plan files compare equal
    bad_rows.sort(key=lambda b: (b[0], b[1].id if b[1].id is not None else -1, b[1].reason))
    for listed, record in bad_rows:
        # Printed by any plan, import or apply (logging's last-resort handler writes warnings
        # to stderr): the row is unmanaged now, and the user must hear why.
        log.warning("warning: %s", bad_row_warning(listed, record))
    total_rows = sum(len(v) for v in contacts.values())
    page = min(sizer.cap or requested, requested)
    group_pages = pages(len(groups), min(group_sizer.cap or requested, requested))
    if chosen == "list-all":
        # every row of the phonebook was listed, unmanaged ones too (when forced)
        min_requests = group_pages + pages(rows_listed, page)
    elif chosen == "by-group":
        min_requests = group_pages + sum(pages(len(v), page) for v in contacts.values())
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
        probes=counters.probes.value,
        page_size=requested,
        page_size_trusted=page_size is not None,
        page_cap=sizer.cap if sizer.cap is not None and sizer.cap < requested else None,
        bad_rows=[bad_row_label(listed, record) for listed, record in bad_rows],
    )
    return RemoteState(
        groups=groups,
        contacts=contacts,
        read=stats,
        index=index if number_key is not None else None,
        index_key=key_now(),
        unindexed=unindexed,
        digests=digests,
        bad_rows=bad_rows,
        other_rows=other_rows,
    )


def list_group(
    client: PhonebookReader,
    name: str,
    *,
    page_size: int | None = None,
    requests: Counter | None = None,
    exhaustive: bool = False,
) -> list[Contact]:
    """Every member of one remote group (audiences the spec does not declare; moves).
    ``exhaustive``: read to an empty page (see :func:`read_listing`)."""
    sizer = PageSizer(page_size or DEFAULT_PAGE_SIZE, trusted=page_size is not None)
    return read_listing(
        lambda page, size: client.list_contacts_by_group(name, page=page, size=size),
        sizer,
        what=f"listing of group {name!r}",
        requests=requests,
        exhaustive=exhaustive,
    )


def read_by_id(
    client: PhonebookReader, ids: list[int], stats: ReadStats, *, concurrency: int = 4
) -> list[Contact]:
    """The complete rows of ``ids`` (phbkGetCompleteData each), counted in ``stats``; a row
    gone meanwhile means the listing shifted under the plan."""
    if not ids:
        return []
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            rows = list(pool.map(client.get_contact, ids))
    except (InvalidPhonebookId, DataNotFound) as exc:
        raise ListingShifted(
            f"a contact disappeared while the phonebook was read ({exc}); run plan again"
        ) from None
    # each row takes exactly one request: no strategy could have read them with fewer
    stats.requests += len(ids)
    stats.min_requests += len(ids)
    return rows


def read_moved_rows(
    client: PhonebookReader, ids: list[int], stats: ReadStats, *, concurrency: int = 4
) -> list[Contact]:
    """The rows a plan moves in from outside its --target/--exclude, read whole by id (as
    apply's freshness check will); recorded as ``stats.elsewhere_ids``."""
    rows = read_by_id(client, ids, stats, concurrency=concurrency)
    stats.elsewhere_ids = list(ids)
    return rows


def fetch_details(
    client: PhonebookReader, state: RemoteState, ids: set[int], *, concurrency: int = 4
) -> None:
    """Replace short-form records (no address/birth/desc) by their complete data, in place."""
    present = {c.id for members in state.contacts.values() for c in members}
    present.update(c.id for c in state.outside_rows)
    wanted = sorted(ids & present)
    if not wanted:
        return
    rows = read_by_id(client, wanted, state.read, concurrency=concurrency)
    state.replace_rows({c.id: c for c in rows})
    state.read.details_fetched += len(wanted)
    state.read.detail_ids = sorted(set(state.read.detail_ids) | set(wanted))
