"""GSM-7/UCS-2 detection, the unicode hex codec and SMS segment counting."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.gateway.encoding import (
    SmsEncoding,
    count_segments,
    decode_unicode_hex,
    encode_for_gateway,
    encode_unicode_hex,
    is_gsm7,
)

GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"  # noqa: E501
GSM_EXT = "€[]{}|^~\\\f"


def test_reference_example() -> None:
    assert encode_for_gateway("こんにちは世界") == (3, "30533093306B3061306F4E16754C")


def test_plain_text_is_type_0_unchanged() -> None:
    assert encode_for_gateway("Hallo World! {x}") == (0, "Hallo World! {x}")
    assert encode_for_gateway("5€", gsm7_as_type0=True) == (0, "5€")
    assert encode_for_gateway("5€")[0] == 3  # type 0 is "ascii text" unless told otherwise


def test_astral_characters_become_surrogate_pairs() -> None:
    assert encode_unicode_hex("😀") == "D83DDE00"
    assert encode_for_gateway("hi 😀") == (3, "006800690020D83DDE00")
    assert decode_unicode_hex("D83DDE00") == "😀"


def test_gsm7_detection() -> None:
    assert is_gsm7(GSM_BASIC + GSM_EXT)
    assert is_gsm7("")
    for text in ("ç", "á", "`", "\x1b", "\t", "こ", "😀", "\u00a0"):
        assert not is_gsm7("abc" + text), repr(text)


def test_bad_hex_is_value_error() -> None:
    for payload in ("ABC", "D83D", "ZZZZ"):
        with pytest.raises(ValueError):
            decode_unicode_hex(payload)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.text())
def test_unicode_hex_round_trips(text: str) -> None:
    payload = encode_unicode_hex(text)
    assert payload == payload.upper()
    assert len(payload) == 4 * len(text.encode("utf-16-be")) // 2
    assert decode_unicode_hex(payload) == text


def test_non_ascii_gsm7_text_is_counted_as_it_is_sent_by_default() -> None:
    assert count_segments("é" * 70, gsm7_as_type0=False).encoding is SmsEncoding.UCS2
    assert count_segments("€" * 80, gsm7_as_type0=False).segments == 2
    assert count_segments("[promo] ~ ^", gsm7_as_type0=False).encoding is SmsEncoding.GSM7


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.text())
def test_encode_for_gateway_round_trips(text: str) -> None:
    kind, payload = encode_for_gateway(text)
    assert (kind == 0) == (is_gsm7(text) and text.isascii())
    assert (payload if kind == 0 else decode_unicode_hex(payload)) == text


# ---- segments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("", SmsEncoding.GSM7, 1, 0),
        ("a" * 160, SmsEncoding.GSM7, 1, 160),
        ("a" * 161, SmsEncoding.GSM7, 2, 161),
        ("a" * 306, SmsEncoding.GSM7, 2, 306),
        ("a" * 307, SmsEncoding.GSM7, 3, 307),
        ("€" * 80, SmsEncoding.GSM7, 1, 160),
        ("€" * 81, SmsEncoding.GSM7, 2, 162),
        # 152 septets then an extension char: it does not fit in part 1 (needs 2, has 1 left)
        ("a" * 152 + "€" + "a" * 10, SmsEncoding.GSM7, 2, 164),
        ("a" * 152 + "€" + "a" * 152, SmsEncoding.GSM7, 3, 306),
        ("a" * 151 + "€" + "a" * 153, SmsEncoding.GSM7, 2, 306),
        ("é" * 70, SmsEncoding.GSM7, 1, 70),
        ("ç" * 70, SmsEncoding.UCS2, 1, 70),
        ("ç" * 71, SmsEncoding.UCS2, 2, 71),
        ("ç" * 134, SmsEncoding.UCS2, 2, 134),
        ("ç" * 135, SmsEncoding.UCS2, 3, 135),
        ("😀" * 35, SmsEncoding.UCS2, 1, 70),
        # 66 units then a surrogate pair: the pair moves to part 2
        ("ç" * 66 + "😀" + "ç" * 66, SmsEncoding.UCS2, 3, 134),
        ("ç" * 65 + "😀" + "ç" * 67, SmsEncoding.UCS2, 2, 134),
    ],
)
def test_segment_examples(text: str, encoding: SmsEncoding, segments: int, units: int) -> None:
    info = count_segments(text)
    assert (info.encoding, info.segments, info.units) == (encoding, segments, units)


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.text())
def test_segment_invariants(text: str) -> None:
    info = count_segments(text)
    gsm = info.encoding is SmsEncoding.GSM7
    assert gsm == is_gsm7(text)
    single, multi = (160, 153) if gsm else (70, 67)
    if gsm:
        assert info.units == len(text) + sum(ch in GSM_EXT for ch in text)
    else:
        assert info.units == len(text.encode("utf-16-be", "surrogatepass")) // 2
    assert info.segments >= 1
    assert (info.segments == 1) == (info.units <= single)
    if info.segments > 1:
        # never fewer parts than a perfect fill; a part is closed only when the next character
        # (1 or 2 units) does not fit, so every closed part holds at least multi - 1 units
        assert info.segments >= math.ceil(info.units / multi)
        assert info.units >= (info.segments - 1) * (multi - 1) + 1


@settings(deadline=None)  # no flaky timing on a busy CI machine
@given(st.text(alphabet=GSM_BASIC + GSM_EXT), st.text(alphabet=GSM_BASIC + GSM_EXT, min_size=1))
def test_appending_never_reduces_segments(text: str, more: str) -> None:
    assert count_segments(text + more).segments >= count_segments(text).segments
