"""Property tests: type-3 hex round trips over HTTP, segment counting invariants, birth forms."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.sandbox import SandboxServer
from smsync.sandbox.protocol import decode_ucs2_hex, format_birth, parse_birth
from smsync.sandbox.segments import GSM_BASIC, GSM_EXTENSION, count_segments, is_gsm7
from tests.support.raw_http import Gw

MOBILE = "08123456789"
# Any Unicode scalar value except surrogates (which UTF-16 cannot carry alone).
any_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300)
gsm_text = st.text(st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION)), min_size=1, max_size=700)


@given(any_text)
def test_hex_round_trip(text: str) -> None:
    assert decode_ucs2_hex(text.encode("utf-16-be").hex()) == text
    assert decode_ucs2_hex(text.encode("utf-16-be").hex().upper()) == text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120))
def test_type3_message_arrives_as_written(sandbox: SandboxServer, gw: Gw, text: str) -> None:
    sandbox.store.set_credit("demo", 1000)
    body = gw.send_sms(MOBILE, text.encode("utf-16-be").hex(), type=3)
    assert body.startswith("1701,")
    msgid = body.split(",")[1]
    [msg] = [m for m in sandbox.store.snapshot()["messages"] if m["msgid"] == msgid]
    assert msg["text"] == text
    assert msg["segments"] == count_segments(text, ucs2=True)


@given(gsm_text)
def test_gsm7_segment_bounds(text: str) -> None:
    septets = sum(2 if c in GSM_EXTENSION else 1 for c in text)
    n = count_segments(text)
    assert is_gsm7(text)
    if septets <= 160:
        assert n == 1
    else:
        # at least the ideal packing, and each part wastes at most one septet (no split escape)
        assert -(-septets // 153) <= n <= -(-septets // 152)


@given(any_text)
def test_ucs2_segment_bounds(text: str) -> None:
    units = len(text.encode("utf-16-be")) // 2
    n = count_segments(text, ucs2=True)
    if units <= 70:
        assert n == 1
    else:
        assert -(-units // 67) <= n <= -(-units // 66)
    # forcing UCS-2 never makes a message cheaper than its GSM-7 form
    assert count_segments(text) <= n


@given(gsm_text, gsm_text)
def test_segments_grow_with_text(a: str, b: str) -> None:
    assert count_segments(a + b) >= max(count_segments(a), count_segments(b))


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_birth_forms_round_trip(day: dt.date) -> None:
    iso = day.isoformat()
    for form in ("yyyymmdd", "dmy", "iso"):
        assert parse_birth(format_birth(iso, form)) == day
