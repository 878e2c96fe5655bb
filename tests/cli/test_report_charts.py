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


def test_timeline_within_a_day_names_the_day_once() -> None:
    start = datetime(2026, 3, 24, 2, 0, tzinfo=UTC)
    times = [start, start + timedelta(minutes=30)]

    svg = cumulative([Series("sent", "#000", times)], top=2)

    assert ">2026-03-24 02:00:00<" in svg and ">02:15:00<" in svg and ">02:30:00<" in svg
