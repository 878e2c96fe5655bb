"""Numbers in git state: a keyed, deterministic, reversible token that shows nothing of the
number without the key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsync.state import StateError
from smsync.state.git import NumberCipher

numbers = st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True)


@given(numbers)
def test_a_number_comes_back_from_its_token_with_the_key(number: str) -> None:
    cipher = NumberCipher("key")
    token = cipher.seal(number)
    assert cipher.open(token) == number
    assert cipher.seal(number) == token  # equal numbers, equal tokens: rows match across runs
    assert number[1:] not in token and number[-6:] not in token


@given(numbers, numbers)
def test_different_numbers_give_different_tokens(a: str, b: str) -> None:
    cipher = NumberCipher("key")
    assert (cipher.seal(a) == cipher.seal(b)) == (a == b)


def test_another_key_neither_reads_nor_matches() -> None:
    token = NumberCipher("key").seal("+6281234567890")
    assert NumberCipher("other").seal("+6281234567890") != token
    with pytest.raises(StateError, match="another SMSYNC_STATE_KEY"):
        NumberCipher("other").open(token)
