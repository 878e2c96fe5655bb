"""When occurrences of a recurring schedule are due: the pure rules of smsync.broadcast.schedule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from smsync.broadcast.schedule import age_on, birthday_in, due_occurrences
from smsync.spec.model import Schedule

JAKARTA = "+07:00"


def _due(s: Schedule, when: str, birth: date | None = None) -> list[date]:
    return list(due_occurrences(s, datetime.fromisoformat(when), birth))


def test_monthly_day_31_falls_on_the_last_day_of_a_shorter_month() -> None:
    s = Schedule(on="monthly", day=31)
    assert _due(s, f"2027-04-30T10:00:00{JAKARTA}") == [date(2027, 4, 30)]
    assert _due(s, f"2027-02-28T10:00:00{JAKARTA}") == [date(2027, 2, 28)]
    assert _due(s, f"2027-05-30T10:00:00{JAKARTA}") == []


def test_weekly_schedule_is_due_on_its_weekday_only() -> None:
    s = Schedule(on="weekly", day=4, grace=timedelta(hours=2))  # Friday
    assert _due(s, f"2027-03-05T09:30:00{JAKARTA}") == [date(2027, 3, 5)]
    assert _due(s, f"2027-03-06T09:30:00{JAKARTA}") == []


def test_local_day_decides_not_the_utc_day() -> None:
    s = Schedule(on="birth", time=time(7, 0), grace=timedelta(hours=1))
    birth = date(1990, 3, 15)
    # 15 March 07:30 in Jakarta is still 14 March in UTC
    assert _due(s, "2027-03-15T00:30:00+00:00", birth) == [date(2027, 3, 15)]
    wit = Schedule(on="birth", time=time(7, 0), timezone="Asia/Jayapura", grace=timedelta(hours=1))
    assert _due(wit, "2027-03-15T00:30:00+00:00", birth) == []  # 09:30 WIT: past the grace


def test_29_february_birthday_falls_on_28_february_in_common_years() -> None:
    assert birthday_in(date(2000, 2, 29), 2027) == date(2027, 2, 28)
    assert birthday_in(date(2000, 2, 29), 2028) == date(2028, 2, 29)
    assert age_on(date(2000, 2, 29), date(2027, 2, 28)) == 26


@given(
    birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2020, 12, 31)),
    year=st.integers(min_value=2021, max_value=2040),
    grace=st.integers(min_value=1, max_value=144),
)
def test_hourly_runs_find_a_birthday_due_for_exactly_its_grace_hours_and_nothing_else(
    birth: date, year: int, grace: int
) -> None:
    s = Schedule(on="birth", grace=timedelta(hours=grace))
    expected = birthday_in(birth, year)
    start = datetime.combine(expected - timedelta(days=2), time(0, 0), ZoneInfo(s.timezone))
    seen = [
        d for h in range(24 * 10) for d in due_occurrences(s, start + timedelta(hours=h), birth)
    ]
    assert set(seen) == {expected} and len(seen) == grace
