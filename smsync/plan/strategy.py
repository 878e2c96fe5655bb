"""Which listing reads the managed groups in the fewest requests and round trips (the cost
model behind every plan's "strategy" line)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smsync.gateway.models import Group
from smsync.gateway.names import group_key
from smsync.plan.model import Strategy

DEFAULT_PAGE_SIZE = 100


def choose_strategy(
    remote_groups: list[Group],
    managed: Iterable[str],
    *,
    expected_rows: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = 1,
) -> tuple[Strategy, str]:
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
        return Strategy.NONE, "no managed group exists on the gateway yet"
    if len(existing) < len(remote_groups):
        return (
            Strategy.BY_GROUP,
            f"{len(existing)} of {len(remote_groups)} remote groups are managed: "
            "listing them by group reads no unmanaged rows",
        )
    if expected_rows is not None and concurrency > 1:
        per_group = [expected_rows.get(group_key(g.name), 0) // page_size + 1 for g in existing]
        list_all = sum(expected_rows.get(group_key(g.name), 0) for g in existing) // page_size + 1
        by_group = max(max(per_group), -(-sum(per_group) // concurrency))
        if by_group < list_all:
            return (
                Strategy.BY_GROUP,
                f"all {len(remote_groups)} remote groups are managed; by group, {concurrency} "
                f"at a time, takes about {by_group} round trips instead of {list_all} "
                "(estimated from the spec), for one trailing page per group",
            )
    return (
        Strategy.LIST_ALL,
        f"all {len(remote_groups)} remote groups are managed: one listing reads them all "
        "with a single trailing page",
    )


def pages(rows: int, page_size: int) -> int:
    """Requests needed to list ``rows`` rows: full pages, then one short (possibly empty) page."""
    return rows // page_size + 1
