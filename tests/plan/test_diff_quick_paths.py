"""The diff's quick paths decide what the slow ones do: an Indonesian row's number key (made
before the spec's contacts are loaded) is number_key's, a row skipped as plainly unchanged is
one _update leaves alone, and the index built while the pages arrive gives the diff the index
it would build itself."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TypeVar

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsync import numbers
from smsync.gateway.models import Contact, Group, Page
from smsync.plan.diff import (
    DiffResult,
    _plainly_unchanged,
    _update,
    diff,
    keys_need_spec,
    number_key,
    number_keys,
)
from smsync.plan.fetch import read_remote
from smsync.plan.model import Op
from smsync.plan.remote import LateKey, ManyKeys, NumberKey, rows_of
from smsync.spec.model import ContactSpec, GroupSpec
from tests.support.numbers import e164, gw, number

# Mobiles as gateways hold them: every spelling of a few numbers, and odd or invalid ones.
MOBILES = [
    *(f(i) for i in range(4) for f in (number, gw, e164)),
    "0812 3000 0001",
    " 6281230000002",
    "62-812-3000-0003",
    "6221555555",
    "02155555555",
    "+6221555555",
    "62812",
    "081",
    "+1 202 555 0100",
    "12025550100",
    "08123000000１",
    "٠٨١٢٣٠٠٠٠٠٠١",
    "0812-CALL-ME",
    "",
    "+",
    "628" + "1" * 14,
]
MOBILE = st.one_of(st.sampled_from(MOBILES), st.text("0123456789+ -()", max_size=16))


@settings(max_examples=300, deadline=None)
@given(st.lists(MOBILE, max_size=20))
def test_the_number_key_of_an_indonesian_row_needs_no_spec_and_is_number_key(
    mobiles: list[str],
) -> None:
    declared = sorted({k for m in mobiles if (k := numbers.try_normalize(m, "ID"))})
    spec = [GroupSpec("G", contacts=[ContactSpec("x", k) for k in declared])]
    early = number_keys([], "ID")  # before any contact of the spec is known

    assert not keys_need_spec("ID") and keys_need_spec("US")
    assert early == number_keys(spec, "ID")  # the diff takes the index built with it
    assert [early(m) for m in mobiles] == [number_key(m, "ID") for m in mobiles]
    assert isinstance(early, ManyKeys)
    assert early.many(mobiles) == [number_key(m, "ID") for m in mobiles]


# A group's mobiles all in one form, as a gateway lists them (the column read in one call).
COLUMN = st.sampled_from(["08", "628", "+628", " 628"]).flatmap(
    lambda form: st.lists(
        st.builds(lambda d: form + d, st.text("0123456789", min_size=6, max_size=13)), max_size=30
    )
)


@settings(max_examples=300, deadline=None)
@given(COLUMN, st.lists(MOBILE, max_size=2))
def test_a_groups_mobiles_keyed_at_once_are_keyed_as_one_by_one(
    column: list[str], odd: list[str]
) -> None:
    early = number_keys([], "ID")
    assert isinstance(early, ManyKeys)
    for mobiles in (column, column + odd):
        assert early.many(mobiles) == [number_key(m, "ID") for m in mobiles]


X = TypeVar("X")
NAMES = ["Budi", "Ani", "B?di", "Büdi"]
TEXTS = ["", "x", "Jl. 1", "?", "Jl. ?"]


def _maybe(draw: st.DrawFn, values: list[X]) -> X | None:
    return draw(st.one_of(st.none(), st.sampled_from(values)))


@st.composite
def specs(draw: st.DrawFn, mobile: str | None = None) -> ContactSpec:
    return ContactSpec(
        name=draw(st.sampled_from(NAMES)),
        mobile=mobile or e164(draw(st.integers(0, 3))),
        address=_maybe(draw, TEXTS),
        birth=_maybe(draw, [date(1945, 8, 17), date(2000, 1, 1)]),
        desc=_maybe(draw, TEXTS),
    )


@st.composite
def rows(draw: st.DrawFn, id: int, group: str) -> Contact:
    complete = draw(st.booleans())
    return Contact(
        id=id,
        name=draw(st.sampled_from(NAMES)),
        mobile=draw(st.sampled_from(MOBILES[:12])),
        group=group,
        address=draw(st.sampled_from(TEXTS)) if complete else "",
        birth=draw(st.sampled_from([None, date(1945, 8, 17)])) if complete else None,
        desc=draw(st.sampled_from(TEXTS)) if complete else "",
        complete=complete,
    )


@settings(max_examples=400, deadline=None)
@given(specs(), rows(1, "G"), st.booleans())
def test_a_row_the_diff_skips_as_plainly_unchanged_is_one_update_leaves_alone(
    spec: ContactSpec, row: Contact, declared_bare: bool
) -> None:
    if declared_bare:  # the common spec row: a name and a number
        spec = ContactSpec(row.name, spec.mobile)
    assume(_plainly_unchanged(spec, row))
    result = DiffResult()

    _update(result, GroupSpec("G"), spec, row, "ID", Op.EDIT_CONTACT)

    assert result == DiffResult()


class _Lister:
    """A gateway listing fixed groups and rows (read_remote takes any PhonebookLister)."""

    def __init__(self, groups: list[Group], members: dict[str, list[Contact]]) -> None:
        self.groups, self.members = groups, members

    def list_groups(self, page: int = 1, size: int = 10) -> Page[Group]:
        return Page(self.groups if page == 1 else [], page, size)

    def list_contacts(self, page: int = 1, size: int = 10) -> Page[Contact]:
        rows = [c for g in self.groups for c in self.members[g.name]]
        return Page(rows if page == 1 else [], page, size)

    def list_contacts_by_group(self, name: str, page: int = 1, size: int = 10) -> Page[Contact]:
        return Page(self.members[name] if page == 1 else [], page, size)


@st.composite
def phonebooks(draw: st.DrawFn) -> tuple[list[GroupSpec], _Lister]:
    names = ["Pelanggan", "PELANGGAN", "Staf"]  # two spellings of one managed group
    members: dict[str, list[Contact]] = {}
    next_id = 1
    for name in names:
        members[name] = []
        for _ in range(draw(st.integers(0, 5))):
            members[name].append(draw(rows(next_id, name)))
            next_id += 1
    declared = []
    for name in ("Pelanggan", "Staf"):
        wanted = draw(st.sets(st.integers(0, 3), max_size=4))
        declared.append(GroupSpec(name, contacts=[draw(specs(e164(i))) for i in sorted(wanted)]))
    groups = [Group(i + 1, name) for i, name in enumerate(names)]
    return declared, _Lister(groups, members)


@settings(max_examples=200, deadline=None)
@given(phonebooks(), st.sampled_from(["by-group", "list-all"]))
def test_a_diff_from_the_index_built_while_reading_equals_one_from_the_rows(
    phonebook: tuple[list[GroupSpec], _Lister], strategy: str
) -> None:
    declared, lister = phonebook
    state = read_remote(
        lister,
        ["Pelanggan", "Staf"],
        strategy=strategy,
        concurrency=1,
        number_key=number_keys(declared, "ID"),
    )
    assert state.index is not None

    indexed = diff(declared, state, "ID")
    rebuilt = diff(declared, dataclasses.replace(state, index=None), "ID")

    assert indexed == rebuilt


class _Reordered(LateKey):
    """A key known when the first spelling's read ended but not when the second's did: what
    concurrent reads finishing out of order give."""

    def __init__(self, answers: list[NumberKey | None]) -> None:
        super().__init__(lambda: None)
        self.answers = answers

    def get(self) -> NumberKey | None:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_a_group_whose_second_spelling_came_before_the_key_is_indexed_whole() -> None:
    groups = [Group(1, "Straße"), Group(2, "STRASSE")]
    members = {
        "Straße": [Contact(10, "a", number(1), "Straße"), Contact(11, "b", number(2), "Straße")],
        "STRASSE": [Contact(20, "c", number(1), "STRASSE")],
    }
    key = number_keys([], "ID")
    late = _Reordered([key, None, key])

    state = read_remote(
        _Lister(groups, members), ["strasse"], strategy="by-group", concurrency=1, number_key=late
    )
    assert state.index == {} and state.unindexed == {"strasse"}  # never a part of a group
    state.finish_index(key)
    whole = read_remote(_Lister(groups, members), ["strasse"], strategy="by-group", number_key=key)

    assert state.index == whole.index
    assert state.index is not None and [c.id for c in rows_of(state.index["strasse"][e164(1)])] == [
        10,
        20,
    ]
