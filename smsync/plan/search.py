"""Searching declared groups outside a plan's --target/--exclude for contacts the spec moved
out of them (per-number lookups or a listing, whichever needs fewer requests)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import phonenumbers

from smsync.gateway.limits import SEARCH_CAP
from smsync.gateway.models import Contact, Group
from smsync.gateway.names import group_key
from smsync.gateway.paging import Counter
from smsync.gateway.provider import PhonebookReader
from smsync.plan.fetch import list_group
from smsync.plan.model import ReadStats
from smsync.plan.strategy import DEFAULT_PAGE_SIZE, pages


def stored_forms(e164: str) -> tuple[str, ...]:
    """The spellings a gateway stores a number in (``08…`` and ``628…``), each searched in
    full. A gateway's number search may match substrings, prefixes or whole values: the national
    digits alone (``812…``) are found only by a substring search, while each stored spelling
    finds its rows under all three, so a search never misses a row (and adds a second copy)
    because of how the gateway matches."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return (e164.lstrip("+"),)
    national = str(parsed.national_number)
    return (f"0{national}", f"{parsed.country_code}{national}")


def search_number(client: PhonebookReader, e164: str) -> tuple[list[Contact], bool]:
    """Rows whatever search found for ``e164`` in any stored spelling, and whether a search
    was saturated (it may have hidden rows: the caller must list instead)."""
    found: dict[int, Contact] = {}
    saturated = False
    for form in stored_forms(e164):
        rows = client.find_by_number(form)
        saturated = saturated or len(rows) >= SEARCH_CAP
        found.update((c.id, c) for c in rows)
    return list(found.values()), saturated


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
    stats: ReadStats,
    *,
    expected_rows: Mapping[str, int],
    page_size: int | None = None,
    concurrency: int = 4,
) -> Elsewhere:
    """Rows in ``groups`` (declared groups this plan does not manage) holding numbers the
    plan would otherwise add: so that a contact the spec moved into a targeted group is moved,
    keeping its id, instead of added a second time.

    Whichever needs fewer requests: phbkFindPhNumber per stored spelling of each number
    (:func:`stored_forms`; partial matches, at most 10 rows, filtered by the caller to exact
    numbers), or listing those groups. A saturated search may hide rows, so then the groups
    are listed after all. The requests are counted in ``stats`` (``elsewhere``,
    ``elsewhere_requests`` and the totals).
    """
    found = _search(client, numbers_wanted, groups, expected_rows, page_size, concurrency)
    stats.elsewhere = found.how
    stats.elsewhere_requests = found.requests
    stats.requests += found.requests
    # lookups made before a saturated search sent us to the listing were not needed
    stats.min_requests += found.requests - found.wasted
    return found


def _search(
    client: PhonebookReader,
    numbers_wanted: list[str],
    groups: list[Group],
    expected_rows: Mapping[str, int],
    page_size: int | None,
    concurrency: int,
) -> Elsewhere:
    if not numbers_wanted or not groups:
        return Elsewhere([], 0, "")
    size = page_size or DEFAULT_PAGE_SIZE
    list_cost = sum(pages(expected_rows.get(group_key(g.name), 0), size) for g in groups)
    keys = {group_key(g.name) for g in groups}
    requests = 0
    lookups = sum(len(stored_forms(n)) for n in numbers_wanted)
    if lookups <= list_cost:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            found = list(pool.map(lambda n: search_number(client, n), numbers_wanted))
        requests += lookups
        if not any(saturated for _rows, saturated in found):
            rows = [c for part, _ in found for c in part if group_key(c.group) in keys]
            unique = {c.id: c for c in rows}
            return Elsewhere(sorted(unique.values(), key=lambda c: c.id), requests, "lookup")
    listed: list[Contact] = []
    listing_requests = Counter()
    for g in groups:
        listed.extend(list_group(client, g.name, page_size=page_size, requests=listing_requests))
    return Elsewhere(listed, requests + listing_requests.value, "list", wasted=requests)
