"""The report's SVG charts: a broadcast of any size gives a page of reasonable size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsync.cli.svg import MAX_STEPS, Series, cumulative


def test_timeline_of_a_large_broadcast_stays_small_and_ends_at_its_count() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = [start + timedelta(milliseconds=7 * i) for i in range(100_000)]

    svg = cumulative([Series("sent", "#000", times)], top=100_000)

    assert svg.count(" V") <= MAX_STEPS + 1
    assert len(svg) < 30_000
    assert "sent (100000)" in svg and 'text-anchor="end"' in svg
