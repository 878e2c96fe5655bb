"""Message text on the wire: GSM-7 or UCS-2 detection, the gateway's unicode hex form, segments.

The gateway takes plain text as ``type=0`` and anything else as ``type=3`` with the message
written as uppercase hex of its UTF-16BE bytes (the reference: こんにちは世界 ->
``30533093306B3061306F4E16754C``). Characters outside the BMP therefore travel as surrogate pairs.

Segment counting follows GSM 03.38 / 03.40 concatenation rules, which is also how the gateway
charges credit (1 per segment):
- GSM-7: one segment holds 160 septets, a part of a multi-part message 153. Characters of the
  extension table (``€ [ ] { } | ^ ~ \\`` and form feed) take two septets (escape + char) and are
  never split across two parts.
- UCS-2: one segment holds 70 UTF-16 code units, a part of a multi-part message 67. A surrogate
  pair (an astral character) counts 2 and is never split.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import gsm0338  # noqa: F401  (importing registers the "gsm03.38" codec)

GSM_CODEC = "gsm03.38"

TYPE_TEXT = 0
TYPE_UNICODE = 3

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class SmsEncoding(enum.StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels: ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: SmsEncoding
    segments: int
    units: int


@lru_cache(maxsize=4096)
def _gsm_septets(ch: str) -> int:
    """Septets one character takes in GSM-7, or 0 when it has no GSM-7 form.

    Checked by a round trip, not by encoding alone: the codec "encodes" ESC (U+001B) to a lone
    escape byte that decodes to nothing, which is not a character a phone can show.
    """
    try:
        raw = codecs.encode(ch, GSM_CODEC)
    except UnicodeEncodeError:
        return 0
    if codecs.decode(raw, GSM_CODEC) != ch:
        return 0
    return len(raw)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` has a GSM-7 form (basic or extension table)."""
    return all(_gsm_septets(ch) for ch in text)


def encode_unicode_hex(text: str) -> str:
    """The gateway's ``type=3`` payload: uppercase hex of the UTF-16BE bytes (no BOM)."""
    return text.encode("utf-16-be", "surrogatepass").hex().upper()


def decode_unicode_hex(payload: str) -> str:
    """Inverse of :func:`encode_unicode_hex`; ValueError when ``payload`` is not such hex."""
    if len(payload) % 4:
        raise ValueError("unicode hex payload length is not a multiple of 4")
    try:
        return bytes.fromhex(payload).decode("utf-16-be")
    except UnicodeDecodeError as exc:  # e.g. a lone surrogate
        raise ValueError(f"unicode hex payload is not valid UTF-16BE: {exc.reason}") from None


def goes_as_text(text: str, *, gsm7_as_type0: bool = False) -> bool:
    """True when ``text`` travels as ``type=0``. The reference calls type 0 "ascii text", so
    by default only ASCII that GSM-7 can carry does; ``gsm7_as_type0`` lets any GSM-7 text
    (é, €, ñ) go as type 0, for a gateway known to convert it."""
    return is_gsm7(text) and (gsm7_as_type0 or text.isascii())


def encode_for_gateway(text: str, *, gsm7_as_type0: bool = False) -> tuple[int, str]:
    """``(type, message)`` for sendSMS/SendWA: ``(0, text)`` for plain text (see
    :func:`goes_as_text`), else ``(3, hex)``."""
    if goes_as_text(text, gsm7_as_type0=gsm7_as_type0):
        return TYPE_TEXT, text
    return TYPE_UNICODE, encode_unicode_hex(text)


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Number of segments for items of the given unit sizes; an item never straddles two."""
    total = sum(sizes)
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


def _segments(
    units: int, text: str, sizes: Callable[[str], list[int]], single: int, multi: int
) -> int:
    """:func:`_pack` of ``sizes(text)``, whose sum is ``units``: the sizes are only built when
    some character takes two units (more units than characters), which can move a split."""
    if units <= single:
        return 1
    if units == len(text):
        return -(-units // multi)
    return _pack(sizes(text), single, multi)


def _septet_sizes(text: str) -> list[int]:
    return [_gsm_septets(ch) for ch in text]


def _unit_sizes(text: str) -> list[int]:
    # UTF-16 code units: 2 for an astral character (a surrogate pair), 1 otherwise.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


# The ASCII characters that take other than one septet (from the codec, as _gsm_septets says):
# none (no GSM-7 form, e.g. the backtick) or two (the extension table's).
_ASCII_SPECIAL = re.compile(
    "[" + re.escape("".join(c for c in map(chr, range(128)) if _gsm_septets(c) != 1)) + "]"
)


def _gsm7_septets(text: str, ascii_text: bool) -> int | None:
    """Septets of ``text`` in GSM-7; None when a character has no GSM-7 form. Per distinct
    character, not per character: a message is long, its alphabet short (and an ASCII one has
    its few special characters found in one C pass)."""
    septets = len(text)
    for ch in set(_ASCII_SPECIAL.findall(text) if ascii_text else text):
        size = _gsm_septets(ch)
        if not size:
            return None
        if size == 2:
            septets += text.count(ch)
    return septets


@lru_cache(maxsize=1024)
def _info(encoding: SmsEncoding, segments: int, units: int) -> SegmentInfo:
    # immutable, and a broadcast's messages share a few: one instance each
    return SegmentInfo(encoding, segments, units)


def count_segments(text: str, *, gsm7_as_type0: bool = True) -> SegmentInfo:
    """Encoding, segment count and unit count of ``text`` as an SMS. With
    ``gsm7_as_type0=False`` it is counted as the client sends it by default
    (:func:`goes_as_text`: non-ASCII text goes as UCS-2); the default counts by the GSM-7
    alphabet, as the gateway bills a type-0 text.

    An empty text is one (empty) segment: the gateway would still bill a message for it.
    """
    ascii_text = text.isascii()
    if ascii_text or gsm7_as_type0:
        septets = _gsm7_septets(text, ascii_text)
        if septets is not None:
            segments = _segments(septets, text, _septet_sizes, GSM7_SINGLE, GSM7_MULTI)
            return _info(SmsEncoding.GSM7, segments, septets)
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    return _info(
        SmsEncoding.UCS2, _segments(units, text, _unit_sizes, UCS2_SINGLE, UCS2_MULTI), units
    )
