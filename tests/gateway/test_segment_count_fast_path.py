"""count_segments looks at each distinct character once (an ASCII text's few special ones in one
regex pass) and builds the per-character sizes only when a two-unit character can move a part
boundary. It must count exactly what the per-character rule counts: the reference below is that
rule, character by character, as count_segments was first written."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.gateway.encoding import GSM_CODEC, SegmentInfo, SmsEncoding, count_segments

GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"  # noqa: E501
GSM_EXT = "€[]{}|^~\\\f"
# no GSM-7 form: ASCII ones (backtick, tab, ESC, DEL), BMP ones, astral ones, a lone surrogate
NOT_GSM = "`\t\x1b\x7fçá\u00a0こ世😀🎉\ud83d"
ALPHABET = GSM_BASIC + GSM_EXT + NOT_GSM


def _septets(ch: str) -> int:
    try:
        raw = codecs.encode(ch, GSM_CODEC)
    except UnicodeEncodeError:
        return 0
    return len(raw) if codecs.decode(raw, GSM_CODEC) == ch else 0


def _pack(sizes: list[int], single: int, multi: int) -> int:
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def reference(text: str, gsm7_as_type0: bool) -> SegmentInfo:
    septets = [_septets(ch) for ch in text]
    if all(septets) and (gsm7_as_type0 or text.isascii()):
        return SegmentInfo(SmsEncoding.GSM7, _pack(septets, 160, 153), sum(septets))
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo(SmsEncoding.UCS2, _pack(units, 70, 67), sum(units))


def _text(alphabet: str, max_size: int = 400) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(alphabet), max_size=max_size)


@settings(deadline=None, max_examples=400)  # no flaky timing on a busy CI machine
@given(
    st.one_of(
        _text(ALPHABET),
        _text(GSM_BASIC + GSM_EXT),  # GSM-7, with extension characters at part boundaries
        _text("abc €{}", max_size=330),
        _text("abcç😀", max_size=200),  # UCS-2 with surrogate pairs at part boundaries
        _text("".join(map(chr, range(128)))),  # every ASCII character, special or not
        st.text(max_size=300),
    ),
    st.booleans(),
)
def test_segment_counts_equal_the_per_character_reference(text: str, gsm7_as_type0: bool) -> None:
    assert count_segments(text, gsm7_as_type0=gsm7_as_type0) == reference(text, gsm7_as_type0)


@pytest.mark.parametrize(
    ("filler", "wide", "single", "multi"),
    [("a", "€", 160, 153), ("é", "{", 160, 153), ("ç", "😀", 70, 67), ("a", "😀", 70, 67)],
)
def test_a_two_unit_character_across_a_part_boundary_is_counted_as_the_reference_counts(
    filler: str, wide: str, single: int, multi: int
) -> None:
    """Where a two-unit character (GSM-7 extension, surrogate pair) cannot be split, a part
    ends a unit early, and a text of exactly two full parts needs a third."""
    totals = [*range(single - 3, single + 4), *range(2 * multi - 4, 2 * multi + 5)]
    for before in range(multi - 4, multi + 3):
        for total in totals:
            after = total - before - 2
            if after < 0:
                continue
            text = filler * before + wide + filler * after
            for gsm7_as_type0 in (True, False):
                got = count_segments(text, gsm7_as_type0=gsm7_as_type0)
                assert got == reference(text, gsm7_as_type0), (before, total, gsm7_as_type0)
