"""One unreadable record (a stored value holding the field separator U+0080, listed raw by the
gateway) must not make every plan fail: the record is reported, left unmanaged for the run
(never edited or deleted), and every other row is read, to the end of the listing. Real
sandbox (``raw_fields``), real HTTP, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from smsync.gateway import Client, ProtocolError
from smsync.gateway.models import BadRecord, Contact, Page
from smsync.gateway.paging import PageSizer, read_listing
from smsync.sandbox import SandboxServer
from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, USERNAME, remote_contacts

MakeSandbox = Callable[..., SandboxServer]


def seed(server: SandboxServer) -> int:
    """Office: Kontak 1, a contact whose name holds U+0080, Kontak 3; the bad row's id."""
    server.store.add_group(USERNAME, "Office")
    server.store.add_contact(USERNAME, name="Kontak 1", mobile=number(1), group="Office")
    bad = server.store.add_contact(USERNAME, name="Bu\x80di", mobile=number(2), group="Office")
    server.store.add_contact(USERNAME, name="Kontak 3", mobile=number(3), group="Office")
    return bad


def test_a_listing_page_keeps_its_readable_rows_and_names_the_bad_one(
    make_sandbox: MakeSandbox,
) -> None:
    server = make_sandbox(raw_fields=True)
    bad_id = seed(server)
    with Client(server.url, USERNAME, PASSWORD, retries=0) as gw:
        page = gw.list_contacts_by_group("Office", 1, 10)
        assert [c.name for c in page.items] == ["Kontak 1", "Kontak 3"]
        assert [b.id for b in page.bad] == [bad_id] and page.served == 3
        # a search stays strict: its caller decides from what it does not find
        with pytest.raises(ProtocolError, match="malformed record"):
            gw.find_by_name("Bu")


def test_a_shifted_record_with_an_empty_last_field_is_not_read_as_a_contact(
    make_sandbox: MakeSandbox,
) -> None:
    # Without desc, the split record ends in an empty field, like a trailing separator: its
    # fields shifted by one would make a contact whose "mobile" is half of its name.
    server = make_sandbox(raw_fields=True)
    server.store.add_group(USERNAME, "Office")
    server.store.add_contact(USERNAME, name="Bu\x80di", mobile=number(2), group="Office")
    with Client(server.url, USERNAME, PASSWORD, retries=0) as gw:
        page = gw.list_contacts_by_group("Office")
    assert page.items == [] and len(page.bad) == 1


def test_an_unreadable_row_counts_as_served_so_the_listing_goes_on() -> None:
    rows = [Contact(id=i, name=f"K{i}", mobile=number(i), group="Office") for i in (1, 3)]
    pages = {
        1: Page(items=rows[:1], page=1, size=2, bad=(BadRecord(2, "split", 1),)),
        2: Page(items=rows[1:], page=2, size=2),
    }
    bad: list[BadRecord] = []
    read = read_listing(
        lambda page, size: pages.get(page, Page([], page, size)),
        PageSizer(2, trusted=True),
        what="test",
        bad=bad,
    )
    assert [c.id for c in read] == [1, 3] and [b.id for b in bad] == [2]


def test_plan_reports_the_bad_row_and_never_deletes_it(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project]
) -> None:
    server = make_sandbox(raw_fields=True)
    bad_id = seed(server)
    project = make_project(server)
    # page size 2: the bad row shares the first page; the listing must still reach Kontak 3
    project.write_config(gateway={"endpoint": server.url, "username": USERNAME, "page_size": 2})
    project.write_groups(group("Office", [contact(1), contact(3)]))
    # A subprocess: what a user's terminal shows (the warning goes to stderr).
    result = subprocess.run(
        [sys.executable, "-m", "smsync", "plan", str(project.root), "--detailed-exitcode"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SMSYNC_PASSWORD": PASSWORD, "NO_COLOR": "1"},
    )
    # no changes: nothing to add (Kontak 3 was read past the bad row), nothing to delete
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"contact {bad_id} in the phonebook listing could not be read" in result.stderr
    assert "unmanaged" in result.stderr and "Traceback" not in result.stderr
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert sorted(c["name"] for c in remote_contacts(server, "Office")) == [
        "Bu\x80di",
        "Kontak 1",
        "Kontak 3",
    ]
