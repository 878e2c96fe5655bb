"""The digest of a group's rows (what a plan's fingerprint is made of, and apply compares) is
the one a row-by-row hash gives: computing it in one call changed no fingerprint, so a plan
file written before is still applied, not refused as stale."""

from __future__ import annotations

import hashlib
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.gateway.models import Contact
from smsync.plan.remote import group_digest

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=8)


def row_by_row_digest(members: list[Contact]) -> str:
    """The digest as plans computed it, one hash update per row sorted by id."""
    digest = hashlib.sha256()
    for c in sorted(members, key=lambda c: c.id):
        birth = c.birth.isoformat() if c.birth else ""
        detail = f"{c.address}\x00{birth}\x00{c.desc}" if c.complete else "?"
        digest.update(f"c\x00{c.id}\x00{c.name}\x00{c.mobile}\x00{c.group}\x00{detail}\n".encode())
    return digest.hexdigest()


CONTACTS = st.builds(
    Contact,
    id=st.integers(0, 10**9),
    name=TEXT,
    mobile=st.sampled_from(["6281234567890", "081234567890", " +62 812 ", ""]),
    group=st.sampled_from(["Grup A", "Straße", "€"]),
    address=TEXT,
    birth=st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 1, 1))),
    desc=TEXT,
    complete=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CONTACTS, max_size=12))
def test_a_groups_digest_is_the_row_by_row_digest(members: list[Contact]) -> None:
    assert group_digest(members) == row_by_row_digest(members)


def test_the_digest_of_a_known_group_is_unchanged() -> None:
    members = [
        Contact(2, "Ani", "628123", "G", complete=False),
        Contact(1, "Budi", "0812", "G", "Jl. 1", date(1945, 8, 17), "x"),
    ]
    assert group_digest(members) == (
        "a1352cdeeb059aafbd582dc832ea220308bc22f32058f05bed08994a7e9cb61c"
    )
    assert group_digest([]) == hashlib.sha256().hexdigest()
