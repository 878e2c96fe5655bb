"""Stored values read back through the client in every separator mode of the sandbox, and the
forged-row attack that makes the client refuse separators in what it writes.

Values with separators are put into the sandbox through its store: the client would refuse to
send them (that refusal is the point)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsync.gateway import Client, UnsafeValue
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., Any]
MOBILE = "08123456789"
FS, RS, EURO = "\x80", "\x81", "\u20ac"


@pytest.fixture
def connect() -> Iterator[Callable[[Any], Client]]:
    clients: list[Client] = []

    def make(srv: Any) -> Client:
        clients.append(Client(srv.url, USERNAME, PASSWORD, retries=0))
        return clients[-1]

    yield make
    for c in clients:
        c.close()


@pytest.mark.parametrize("list_form", ["full", "short"])
def test_name_with_euro_sign_round_trips_in_unicode_mode(
    make_sandbox: MakeSandbox, connect: Callable[[Any], Client], list_form: str
) -> None:
    srv = make_sandbox(separator="unicode", list_form=list_form)
    cid = srv.store.add_contact(
        USERNAME, name="Toko €uro", mobile=MOBILE, group="Harga €", address="Jl. €", desc="5€ off"
    )
    c = connect(srv)
    [listed] = c.list_contacts().items
    assert (listed.id, listed.name, listed.group) == (cid, "Toko €uro", "Harga €")
    assert c.list_contacts_by_group("Harga €").items == [listed]
    assert c.find_by_name("€uro") == [listed]
    full = c.get_contact(cid)
    assert (full.name, full.address, full.desc) == ("Toko €uro", "Jl. €", "5€ off")
    assert [g.name for g in c.list_groups().items] == ["Harga €"]


@pytest.mark.parametrize(
    ("separator", "stored", "read"),
    [
        ("unicode", f"a{EURO}b", f"a{EURO}b"),  # '€' is text here
        ("cp1252", f"a{FS}b", f"a{FS}b"),  # and U+0080 is text here
        ("bytes", f"a{EURO}b", "a?b"),  # a latin-1 body cannot hold a '€'
        ("unicode", f"a{FS}b{RS}c", "a b c"),  # the active separators are neutralised
        ("cp1252", f"a{EURO}b{RS}c", "a b c"),
        ("bytes", f"a{FS}b{RS}c", "a b c"),
    ],
)
def test_every_separator_mode_reads_back_field_for_field(
    make_sandbox: MakeSandbox,
    connect: Callable[[Any], Client],
    separator: str,
    stored: str,
    read: str,
) -> None:
    srv = make_sandbox(separator=separator)
    first = srv.store.add_contact(USERNAME, name=stored, mobile=MOBILE, group="G", desc=stored)
    second = srv.store.add_contact(USERNAME, name="Budi", mobile="0811111111", group="G")
    rows = connect(srv).list_contacts().items
    assert [(r.id, r.name, r.mobile, r.desc) for r in rows] == [
        (first, read, MOBILE, read),
        (second, "Budi", "0811111111", ""),
    ]


def test_raw_listing_of_a_stored_separator_forges_a_row_the_client_refuses_to_write(
    make_sandbox: MakeSandbox, connect: Callable[[Any], Client]
) -> None:
    srv = make_sandbox(raw_fields=True)
    private = srv.store.add_contact(USERNAME, name="Boss", mobile="081299999999", group="Private")
    # desc is the last field of a record: a desc ending in a whole record adds that record,
    # here the private contact's id claimed for a managed group (which a plan then prunes).
    fake_row = FS.join([str(private), "Boss", "081299999999", "Managed", "", "", ""])
    forged_desc = f"boss{RS}{fake_row}"
    eve = srv.store.add_contact(USERNAME, name="Eve", mobile=MOBILE, group="Outside")
    c = connect(srv)
    with pytest.raises(UnsafeValue):
        c.edit_contact(eve, "Eve", MOBILE, "Outside", desc=forged_desc)
    assert srv.stats()["requests"] == 0
    # What the edit would have caused, staged through the store: a gateway that lists fields
    # raw shows the private contact a second time, in the managed group.
    srv.store.edit_contact(USERNAME, eve, desc=forged_desc)
    rows = c.list_contacts().items
    assert [(r.id, r.group) for r in rows] == [
        (private, "Private"),
        (eve, "Outside"),
        (private, "Managed"),
    ]
    assert c.list_contacts_by_group("Outside").items[1].group == "Managed"
