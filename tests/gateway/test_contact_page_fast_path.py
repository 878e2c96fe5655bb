"""A contact listing page is read the same whether a record takes parse_page's quick path for
contacts or the per-record path every other listing takes: the same contacts, field for field,
and the same unreadable records, for any records a gateway may send."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.gateway import wire
from smsync.gateway.models import BadRecord, Contact

# Values a hostile or odd gateway may list: ids and mobiles with spaces, signs, other scripts'
# digits, births in every form (and none), line breaks where a record ends.
FIELD = st.sampled_from(
    [
        "",
        " ",
        "12",
        "007",
        " 12 ",
        "-3",
        "١٢",
        "²",
        "6281234567890",
        "081234567890",
        "+6281234567890",
        " 6281234567890 ",
        "0812-3456-7890",
        "(0812) 3456",
        "Budi",
        "Grup A",
        "Grup A\r\n",
        "Jl. Merdeka 1",
        "19450817",
        "19451317",
        "17 Aug 1945",
        "17/08/1945 0:00:00",
        "1945-8-17",
        "kemarin",
        "desc\n",
        "\r\n",
        "€",
    ]
)
GOOD = ["7", "Budi", "6281234567890", "Grup A", "Jl. Merdeka 1", "19450817", "ok"]


@st.composite
def records(draw: st.DrawFn) -> list[str]:
    """Mostly a well-formed full or short record, with some fields replaced, added or cut."""
    record = list(GOOD[: draw(st.sampled_from([7, 4, 5, 3, 8]))])
    for i in draw(st.lists(st.integers(0, len(record) - 1), max_size=3)):
        record[i] = draw(FIELD)
    if draw(st.booleans()):
        record[-1] += draw(st.sampled_from(["\r\n", "\n", " ", ""]))
    return record


def _generic(fields: list[str]) -> Contact:
    return wire.parse_contact(fields)  # not parse_contact itself: parse_page reads it per record


def _read_both(body: str) -> tuple[tuple[list[Contact], list[BadRecord]], ...]:
    quick = wire.parse_page("phbkGetList", body, wire.parse_contact)
    generic = wire.parse_page("phbkGetList", body, _generic)
    return quick, generic


@settings(max_examples=400, deadline=None)
@given(st.lists(records(), min_size=1, max_size=6), st.sampled_from([wire.FIELD_SEP, "\u20ac"]))
def test_a_contact_page_reads_the_same_on_the_quick_path_as_record_by_record(
    records: list[list[str]], field_sep: str
) -> None:
    body = "1\x80x\x81" if field_sep == wire.FIELD_SEP else "1\u20acx\x81"  # fixes the separator
    body += wire.join_records(records, field_sep)

    quick, generic = _read_both(body)

    assert quick == generic
    for a, b in zip(quick[0], generic[0], strict=True):
        assert [type(getattr(a, f)) for f in a.__slots__] == [
            type(getattr(b, f)) for f in b.__slots__
        ]


def test_the_common_records_take_the_quick_path_and_equal_parse_contact() -> None:
    full = ["7", "Budi", "6281234567890", "Grup A", "Jl. Merdeka 1", "19450817", "desc\r\n"]
    short = ["8", "Ani", "081234567890", "Grup A\r\n"]
    body = wire.join_records([full, short])

    [a, b], bad = wire.parse_page("phbkGetList", body, wire.parse_contact)

    assert not bad
    assert a == wire.parse_contact([*full[:6], "desc"]) and a.complete
    assert b == wire.parse_contact([*short[:3], "Grup A"]) and not b.complete
    assert a.group is b.group  # one string for a page's group name
