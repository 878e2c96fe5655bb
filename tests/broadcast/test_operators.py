"""The operator of a number: phonenumbers' carrier data is the authority; the per-prefix memo in
smsync.operators must answer exactly what a full lookup of each number answers."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import carrier

from smsync.operators import UNKNOWN, operator_of


def full_lookup(e164: str) -> str:
    return carrier.name_for_number(phonenumbers.parse(e164), "en") or UNKNOWN


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"\+628[0-9]{8,11}", fullmatch=True))
def test_operator_memo_answers_what_the_carrier_data_answers(number: str) -> None:
    assert operator_of(number) == full_lookup(number)


def test_operator_of_names_the_big_indonesian_operators() -> None:
    assert operator_of("+6281234567890") == "Telkomsel"
    assert operator_of("+6281712345678") == "XL"
    assert operator_of("+6285712345678") == "Indosat Ooredoo Hutchison"


def test_operator_of_a_number_without_carrier_data_is_unknown() -> None:
    assert operator_of("+6221345678") == UNKNOWN  # a Jakarta landline: no operator
