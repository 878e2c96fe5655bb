"""``sending_hours:`` (smsync.yaml, or one broadcast): the local hours messages may go out in."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsync.spec.model import SendingHours

DEFAULT_TIMEZONE = "Asia/Jakarta"


def parse_sending_hours(raw: dict[str, Any]) -> SendingHours | str:
    """The window ``raw`` describes (its shape checked by the schema), or what is wrong."""
    zone = str(raw.get("timezone", DEFAULT_TIMEZONE))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{zone}' is not a time zone (e.g. Asia/Jakarta)"
    start, end = (time.fromisoformat(str(raw[k])) for k in ("from", "until"))
    if start == end:
        return "from and until are the same time: the window would be empty"
    return SendingHours(start, end, zone)
