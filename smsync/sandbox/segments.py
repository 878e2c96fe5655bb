"""How many SMS segments (= credits) a message costs.

GSM 03.38 default alphabet: 160 septets in one SMS, 153 per part of a concatenated one; the
extension characters (``^{}\\[~]|€`` and form feed) take an escape septet, so they count 2 and
are never split across parts. Anything outside the alphabet makes the whole message UCS-2:
70 UTF-16 code units in one SMS, 67 per part, never splitting a surrogate pair.
"""

from __future__ import annotations

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def _units(text: str, gsm: bool) -> list[int]:
    """Size of each character in the encoding's units (septets or UTF-16 code units)."""
    if gsm:
        return [2 if c in GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _pack(units: list[int], single: int, part: int) -> int:
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        # A character that does not fit whole starts the next part (no split escapes/surrogates).
        if used + size > part:
            parts += 1
            used = 0
        used += size
    return parts


def count_segments(text: str, ucs2: bool = False) -> int:
    """Segments for ``text``; ``ucs2`` forces UCS-2 (type-3 messages). Empty text costs 1."""
    gsm = not ucs2 and is_gsm7(text)
    if gsm:
        return _pack(_units(text, True), GSM_SINGLE, GSM_PART)
    return _pack(_units(text, False), UCS2_SINGLE, UCS2_PART)
