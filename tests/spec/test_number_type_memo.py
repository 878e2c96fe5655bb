"""The mobile-type memo of smsync.numbers is exact: for Indonesian numbers starting with 8,
phonenumbers' type depends only on the first ID_TYPE_PREFIX digits and the length, so one
answer per (prefix, length) stands for every number of it."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.numbers import (
    _ID_MOBILE,
    ID_TYPE_PREFIX,
    InvalidNumberError,
    _normalize_full,
    _try_normalize_full,
    normalize,
    try_normalize,
)

MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def typed_mobile(nsn: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=62, national_number=int(nsn))
    return phonenumbers.number_type(number) in MOBILE


def test_every_prefix_and_length_has_one_mobile_type_whatever_the_other_digits() -> None:
    rng = random.Random(16)
    split = []
    for first in range(10 ** (ID_TYPE_PREFIX - 1)):
        prefix = f"8{first:0{ID_TYPE_PREFIX - 1}d}"
        for length in range(8, 14):  # the fast path's national numbers: 8 followed by 7-12
            rest = length - ID_TYPE_PREFIX
            tails = {"0" * rest, "9" * rest, "".join(rng.choices("0123456789", k=rest))}
            if len({typed_mobile(prefix + tail) for tail in tails}) != 1:
                split.append((prefix, length))
    assert not split


@given(
    prefix=st.sampled_from(["0", "62", "+62"]),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=12),
)
@settings(max_examples=1000, deadline=None)
def test_remembered_types_give_what_the_full_path_gives(prefix: str, rest: str) -> None:
    # the memo is kept across examples on purpose: later numbers are answered from it
    text = f"{prefix}8{rest}"
    try:
        expected: str | None = _normalize_full(text, "ID")
    except InvalidNumberError as exc:
        expected = f"error: {exc}"
    normalize.cache_clear()
    try:
        got: str | None = normalize(text, "ID")
    except InvalidNumberError as exc:
        got = f"error: {exc}"
    assert got == expected
    assert _ID_MOBILE  # the memo answered (or learnt)


@given(
    prefix=st.sampled_from(["0", "62", "+62", " +62", "62-"]),
    rest=st.text(alphabet="0123456789", min_size=6, max_size=13),
)
@settings(max_examples=1000, deadline=None)
def test_remote_numbers_read_quickly_read_as_the_full_path_reads_them(
    prefix: str, rest: str
) -> None:
    text = f"{prefix}8{rest}"
    assert try_normalize(text, "ID") == _try_normalize_full(text.strip(), "ID")
