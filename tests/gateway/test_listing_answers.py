"""Listing answers that must not be read as data they are not: a bare ``1701`` is no page (an
empty page would make plan add everything again), and a trailing line break is read the same
way in every record, not only in the last one."""

from __future__ import annotations

import pytest

from smsync.gateway import Client, ProtocolError
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.scripted_server import ScriptedServer

F, R = "\u0080", "\u0081"


def _client(url: str) -> Client:
    return Client(url, USERNAME, PASSWORD, retries=1, backoff=0.001, read_timeout=5.0)


@pytest.mark.parametrize("body", [b"1701", b"1701\r\n", b"1701,"])
def test_a_bare_success_code_answered_to_a_listing_is_a_protocol_error(
    scripted: ScriptedServer, body: bytes
) -> None:
    scripted.always(body=body)
    with _client(scripted.url) as c:
        with pytest.raises(ProtocolError, match="listing"):
            c.list_contacts(page=1, size=100)
        with pytest.raises(ProtocolError, match="listing"):
            c.list_groups(page=1, size=100)


def test_1704_is_still_the_empty_listing(scripted: ScriptedServer) -> None:
    scripted.always(body=b"1704")
    with _client(scripted.url) as c:
        assert c.list_contacts(page=1, size=100).items == []


def test_a_trailing_line_break_is_read_alike_in_every_record(scripted: ScriptedServer) -> None:
    rec = [f"{i}{F}Budi{F}08123000000{i}{F}Office{F}{F}{F}note\r\n" for i in (1, 2)]
    scripted.always(body=(R.join(rec)).encode())
    with _client(scripted.url) as c:
        page = c.list_contacts(page=1, size=100)
    assert [row.desc for row in page.items] == ["note", "note"]
