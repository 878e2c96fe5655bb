"""Searching declared groups outside a plan's --target/--exclude for contacts the spec moved
out of them (per-number lookups or a listing, whichever needs fewer requests)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from smsync.gateway.limits import SEARCH_CAP
from smsync.gateway.models import Contact, Group
from smsync.gateway.names import group_key
from smsync.gateway.paging import Counter
from smsync.gateway.provider import PhonebookReader
from smsync.plan.fetch import list_group
from smsync.plan.strategy import DEFAULT_PAGE_SIZE, pages


@dataclass
class Elsewhere:
    rows: list[Contact]
    requests: int
    how: str  # "lookup" | "list" | ""
    wasted: int = 0  # lookups made before a saturated search sent us to the listing


def find_elsewhere(
    client: PhonebookReader,
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
    list_cost = sum(pages(expected_rows.get(group_key(g.name), 0), size) for g in groups)
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
    listing_requests = Counter()
    for g in groups:
        listed.extend(list_group(client, g.name, page_size=page_size, requests=listing_requests))
    return Elsewhere(listed, requests + listing_requests.value, "list", wasted=requests)
