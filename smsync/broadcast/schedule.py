"""When a recurring broadcast is due: occurrences decided by pure functions of the clock.

An occurrence is a local date in the schedule's time zone (``Asia/Jakarta`` unless said; WITA
and WIT users name ``Asia/Makassar`` or ``Asia/Jayapura``). It fires at the schedule's ``time``
that day and may be sent until ``grace`` later, never after: a daily job that missed a day
catches up within the grace, a job that missed more sends nothing late. The occurrence's ISO
date is part of the message's identity (the ledger's broadcast key and so the trxid), so a
re-run, even a killed one, never sends an occurrence twice.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from smsync.broadcast.errors import BroadcastError
from smsync.spec.model import Schedule, SendingHours

#: A frozen "now" (ISO 8601 with an offset) for dry runs and tests of schedules.
NOW_ENV = "SMSYNC_NOW"

#: How an occurrence of broadcast NAME is keyed in the ledger (and so in its trxids).
OCCURRENCE_SEPARATOR = "@"


def clock() -> datetime:
    """Now, or the time SMSYNC_NOW names (a dry run of another day; tests)."""
    raw = os.environ.get(NOW_ENV, "").strip()
    if not raw:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BroadcastError(
            f"{NOW_ENV}={raw!r} is not an ISO 8601 time with an offset "
            "(e.g. 2026-12-01T09:30:00+07:00)"
        )
    return when


def occurrence_key(broadcast: str, occurrence: date) -> str:
    return f"{broadcast}{OCCURRENCE_SEPARATOR}{occurrence.isoformat()}"


def birthday_in(birth: date, year: int) -> date:
    """``birth``'s month and day in ``year``; 29 February falls on 28 February in other years."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _matches(s: Schedule, d: date, birth: date | None) -> bool:
    if s.on == "birth":
        return birth is not None and d == birthday_in(birth, d.year)
    if s.on == "monthly":
        # day 31 in a 30-day month: its last day, so no month is skipped
        return d.day == min(s.day, calendar.monthrange(d.year, d.month)[1])
    return d.weekday() == s.day


def fires_at(s: Schedule, occurrence: date) -> datetime:
    return datetime.combine(occurrence, s.time, ZoneInfo(s.timezone))


def due_occurrences(s: Schedule, now: datetime, birth: date | None = None) -> Iterator[date]:
    """The occurrences due at ``now``: fired, and not more than ``grace`` ago."""
    today = now.astimezone(ZoneInfo(s.timezone)).date()
    for back in range(s.grace.days + 1, -1, -1):
        d = today - timedelta(days=back)
        if _matches(s, d, birth) and fires_at(s, d) <= now < fires_at(s, d) + s.grace:
            yield d


def age_on(birth: date, occurrence: date) -> int:
    return (
        occurrence.year
        - birth.year
        - ((occurrence.month, occurrence.day) < (birth.month, birth.day))
    )


def within(hours: SendingHours, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(hours.timezone)).time()
    if hours.start < hours.end:
        return hours.start <= local < hours.end
    return local >= hours.start or local < hours.end  # a window over midnight


def next_opening(hours: SendingHours, now: datetime) -> datetime:
    """When the window next opens after ``now`` (outside it)."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    opening = datetime.combine(local.date(), hours.start, zone)
    return opening if opening > local else opening + timedelta(days=1)
