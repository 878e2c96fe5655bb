"""`dlr serve`'s log: one line per request that says when, from where, which message and what
state it reported, and what the receiver did with it (never the token, never raw control
characters from the request)."""

from __future__ import annotations

import re

from smsync.broadcast import Ledger, make_dlr_server
from tests.support.dlr import TOKEN, add_sent_row, request, running


def test_dlr_log_line_names_time_source_msgid_status_and_outcome() -> None:
    logged: list[str] = []
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        server = make_dlr_server(ledger, TOKEN, log=logged.append)
        with running(server):
            assert request(server, f"/{TOKEN}/dlr?msgid=MSG1&status=DELIVRD")[0] == 200
            assert request(server, f"/{TOKEN}/dlr?msgid=NOPE&status=UNDELIVRD")[0] == 404
            assert request(server, "/wrong/dlr?msgid=MSG1&status=DELIVRD")[0] == 403

    recorded, unknown, forbidden = logged
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z 127\.0\.0\.1 ", recorded)
    assert "msgid=MSG1 status=DELIVRD -> 200" in recorded
    assert "msgid=NOPE status=UNDELIVRD -> 404 unknown msgid" in unknown
    # a refused request is logged without what it claims: it was not read
    assert "-> 403 forbidden" in forbidden and "msgid=" not in forbidden
    assert all(TOKEN not in line for line in logged)


def test_dlr_log_escapes_control_characters_from_the_request() -> None:
    logged: list[str] = []
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        server = make_dlr_server(ledger, TOKEN, log=logged.append)
        with running(server):
            request(server, f"/{TOKEN}/dlr?msgid=%1B%5B2JX&status=DELIVRD")

    assert logged and "\x1b" not in logged[0]
