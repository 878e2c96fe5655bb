"""Property tests: encode/parse round trip of list bodies for field text without separators."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.gateway import wire
from smsync.gateway.models import Contact, Group

SEPARATORS = {"\x80", "\x81", "\u20ac"}
field_text = st.text().filter(lambda s: not SEPARATORS & set(s))
# A field that keeps its value at the very end of a body (the parser drops trailing CR/LF).
last_field_text = field_text.filter(lambda s: not s.endswith(("\r", "\n")))
ids = st.integers(min_value=0, max_value=2**31 - 1)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(
    st.lists(st.lists(field_text, min_size=2, max_size=9), min_size=1, max_size=8),
    st.sampled_from([wire.FIELD_SEP, wire.FIELD_SEP_CP1252]),
)
def test_split_join_round_trip(records: list[list[str]], field_sep: str) -> None:
    assert wire.split_records(wire.join_records(records, field_sep)) == records


contacts = st.builds(
    Contact,
    id=ids,
    name=field_text,
    mobile=st.from_regex(r"(08|628)[0-9]{6,11}", fullmatch=True),
    group=field_text,
    address=field_text,
    birth=st.none() | st.dates(min_value=date(1000, 1, 1)),
    desc=last_field_text,
)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.lists(contacts, min_size=1, max_size=10), st.booleans())
def test_contact_list_round_trip(items: list[Contact], latin1_bytes: bool) -> None:
    text = wire.join_records([wire.encode_contact(c) for c in items])
    raw = text.encode()
    if latin1_bytes:
        try:
            raw = text.encode("latin-1")
            # Bytes that happen to be valid UTF-8 too (a latin-1 "Ã" right before a 0x80
            # separator reads as UTF-8 "À") are read as UTF-8: an ambiguity of the bytes form.
            raw.decode("utf-8")
            raw = text.encode()
        except UnicodeError:
            pass
    parsed = wire.parse_list("phbkGetList", wire.decode_body(raw), wire.parse_contact)
    assert parsed == items


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.lists(st.builds(Group, id=ids, name=last_field_text), min_size=1, max_size=10))
def test_group_list_round_trip(items: list[Group]) -> None:
    text = wire.join_records([[str(g.id), g.name] for g in items])
    body = wire.decode_body(text.encode())
    assert wire.parse_list("groupGetList", body, wire.parse_group) == items
