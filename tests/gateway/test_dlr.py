from __future__ import annotations

import pytest

from smsync.gateway import DeliveryState, DeliveryStatus, parse_delivery_report


@pytest.mark.parametrize("status", ["DELIVRD", "UNDELIVRD", "REJECTED", "EXPIRED"])
def test_each_final_status(status: str) -> None:
    assert parse_delivery_report({"msgid": "123", "status": status}) == DeliveryStatus(
        "123", DeliveryState(status)
    )


def test_names_case_insensitive_and_values_stripped() -> None:
    report = parse_delivery_report({"MsgId": " 9 ", "STATUS": "delivrd"})
    assert report == DeliveryStatus("9", DeliveryState.DELIVRD)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "DELIVRD"}, "without a msgid"),
        ({"msgid": "", "status": "DELIVRD"}, "without a msgid"),
        ({"msgid": "5"}, "without a status"),
        ({"msgid": "5", "status": "SENT"}, "unknown status 'SENT'"),
        ({"msgid": "5", "status": "%s"}, "unknown status '%s'"),
    ],
)
def test_bad_reports(query: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_delivery_report(query)
