"""The delivery-report callback (reference V.2): ``GET <account URL>?msgid=%id&status=%s``."""

from __future__ import annotations

from collections.abc import Mapping

from smsync.gateway.models import DeliveryState, DeliveryStatus

#: The states a delivery report can carry (SENT is only ever a Report.aspx answer).
FINAL_STATES = frozenset(s for s in DeliveryState if s.is_final)


def parse_delivery_report(query: Mapping[str, str]) -> DeliveryStatus:
    """The status a delivery-report request reports.

    ``query`` is the request's query parameters (names matched case-insensitively, values
    stripped). ValueError with a one-line message when msgid is missing or the status is not
    one of DELIVRD, UNDELIVRD, REJECTED, EXPIRED.
    """
    params = {str(k).lower(): str(v).strip() for k, v in query.items()}
    msgid = params.get("msgid", "")
    if not msgid:
        raise ValueError("delivery report without a msgid")
    status = params.get("status", "")
    if not status:
        raise ValueError(f"delivery report for msgid {msgid[:50]!r} without a status")
    try:
        state = DeliveryState(status.upper())
    except ValueError:
        state = None
    if state not in FINAL_STATES:
        expected = ", ".join(sorted(FINAL_STATES))
        raise ValueError(
            f"delivery report for msgid {msgid[:50]!r}: unknown status {status[:30]!r} "
            f"(expected one of {expected})"
        )
    assert state is not None
    return DeliveryStatus(msgid=msgid, state=state)
