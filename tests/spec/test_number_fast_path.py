"""The fast path for Indonesian mobiles in plain digits (08…, 628…, +628…) gives exactly what the
full phonenumbers path gives, error messages included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.numbers import InvalidNumberError, _normalize_full, normalize


@given(
    prefix=st.sampled_from(["0", "62", "+62"]),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=12),
    second=st.sampled_from("0123456789"),
)
@settings(max_examples=2000, deadline=None)
def test_fast_path_for_indonesian_mobiles_equals_the_full_path(
    prefix: str, second: str, rest: str
) -> None:
    text = f"{prefix}8{second}{rest}"
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
