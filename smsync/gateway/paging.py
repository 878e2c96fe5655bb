"""Reading a paged listing to its end: the one paging routine of smsync.

The gateway sends no totals, so a page shorter than the page size ends a listing. A gateway may
also silently cap the page size; a short page is therefore only trusted as the last one when it
is shorter than some page already served (or than 10 rows, the reference's default page size),
otherwise the next page is read as a probe (and a cap, when found, is learned by the
:class:`PageSizer` for the rest of the read).

A listing that shifts while it is read (rows added or deleted between pages) can repeat or skip
rows. Repeats are detected here and the listing is read again; skips cannot be seen in one pass
(which is why apply plans again right before writing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from smsync.errors import SmsyncError
from smsync.gateway.limits import GUARANTEED_PAGE_ROWS
from smsync.gateway.models import BadRecord, Page

#: Times a listing that keeps shifting is read again before giving up.
MAX_REREADS = 3


class _Row(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Row)


class ListingShifted(SmsyncError):
    """The remote listing kept changing while it was read."""


class PageSizer:
    """What the gateway really serves per page, learned while reading (thread-safe: shared by
    the listings of one read)."""

    def __init__(self, requested: int, trusted: bool) -> None:
        self.requested = requested
        self.cap: int | None = requested if trusted else None
        self.max_served = GUARANTEED_PAGE_ROWS
        self._lock = threading.Lock()

    def is_certainly_last(self, served: int) -> bool:
        with self._lock:
            if served == 0:
                return True
            if self.cap is not None:
                return served < self.cap
            if served >= self.requested:
                self.cap = self.requested  # a full page: the gateway does not cap below it
                return False
            result = served < self.max_served
            self.max_served = max(self.max_served, served)
            return result

    def learn_cap(self, cap: int) -> None:
        with self._lock:
            self.cap = cap if self.cap is None else min(self.cap, cap)


class Counter:
    """A thread-safe count (requests made, listings read again)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


def read_listing(
    fetch: Callable[[int, int], Page[R]],
    sizer: PageSizer,
    *,
    what: str,
    requests: Counter | None = None,
    rereads: Counter | None = None,
    probes: Counter | None = None,
    exhaustive: bool = False,
    bad: list[BadRecord] | None = None,
) -> list[R]:
    """Every row of one paged listing (``fetch(page, size)``), read to its end; raises
    ListingShifted when it keeps repeating rows. ``requests``/``rereads`` count the requests
    made and the listings read again; ``probes`` the requests that only showed a short page
    was the last (an empty page after it: the price of not knowing the gateway's page cap).

    ``exhaustive``: trust no page but an empty one as the end (one more request): for rows that
    will be *messaged* (the members a group send reaches), where a page cap below what was
    configured, or below the reference's default, must not hide anyone.

    ``bad``: receives the records that could not be read (they count as served rows, so an
    unreadable record never makes a page look short, i.e. the last)."""
    requests = requests or Counter()
    repeated: list[int] = []
    for attempt in range(MAX_REREADS + 1):
        if attempt and rereads is not None:
            rereads.add()
        unreadable: list[BadRecord] = []
        rows: list[R] = []
        seen: set[int] = set()
        shifted = False
        page_no = 1
        while True:
            page = fetch(page_no, sizer.requested)
            requests.add()
            ids = [row.id for row in page.items]
            if seen.intersection(ids) or len(set(ids)) != len(ids):
                shifted = True
                repeated = sorted(seen.intersection(ids) | {i for i in ids if ids.count(i) > 1})
                break
            seen.update(ids)
            rows.extend(page.items)
            unreadable.extend(page.bad)
            served = page.served
            if exhaustive:
                if not served:
                    break
                page_no += 1
                continue
            if sizer.is_certainly_last(served):
                break
            if served < sizer.requested:
                # Uncertain: a short page that may be a capped one. Probe the next page.
                probe = fetch(page_no + 1, sizer.requested)
                requests.add()
                if not probe.served:
                    if probes is not None:
                        probes.add()
                    break
                sizer.learn_cap(served)
                probe_ids = [row.id for row in probe.items]
                if seen.intersection(probe_ids):
                    shifted = True
                    repeated = sorted(seen.intersection(probe_ids))
                    break
                seen.update(probe_ids)
                rows.extend(probe.items)
                unreadable.extend(probe.bad)
                page_no += 1
                if sizer.is_certainly_last(probe.served):
                    break
            page_no += 1
        if not shifted:
            if bad is not None:
                bad.extend(unreadable)
            return rows
    shown = ", ".join(f"#{i}" for i in repeated[:5])
    raise ListingShifted(
        f"the remote {what} kept repeating rows ({shown}) over {MAX_REREADS + 1} reads: either "
        "someone is editing the phonebook (try again later), or a stored value holds a record "
        "separator that makes it look like another row (a gateway printing values raw; see "
        "`smsync doctor`)"
    )
