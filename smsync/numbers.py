"""Phone numbers: one canonical form for comparison, the gateway's form for the wire.

Users write Indonesian numbers many ways (``0812…``, ``62812…``, ``+62 812-…``, ``62-812-…``);
the gateway stores whatever it was sent. Everything that compares numbers goes through
:func:`normalize` (spec files, strict) or :func:`try_normalize` (remote data, lenient), which give
E.164 (``+628123456789``). :func:`to_gateway` gives the form the reference documents for the
wire: international digits without the plus (``628123456789``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import cast

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

__all__ = [
    "InvalidNumberError",
    "mask",
    "normalize",
    "normalize_plain_mobiles",
    "to_gateway",
    "try_normalize",
]

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# What may appear in a number as users write it: digits, a leading plus, spaces, dashes, dots,
# parentheses. Anything else (letters, extensions) is refused before phonenumbers sees it,
# because phonenumbers would happily read "0812-CALL-ME" as digits.
_ALLOWED = re.compile(r"^\+?[0-9 ().\-]+$")
_MAX_LEN = 32


class InvalidNumberError(ValueError):
    """The text is not a valid mobile number for the region. The message says why."""


def _digits_for_message(raw: str) -> str:
    return raw if len(raw) <= _MAX_LEN else raw[:_MAX_LEN] + "…"


@lru_cache(maxsize=65536)
def normalize(raw: str, region: str = "ID") -> str:
    """Canonical E.164 (``+628123456789``) of a valid *mobile* number; raises InvalidNumberError.

    A number without a country code is read in ``region``; ``62…`` without a plus is taken as
    international when the region's country code is 62 (the gateway's documented 628… form).
    """
    text = raw.strip()
    if region.upper() == "ID":
        fast = _FAST_ID_MOBILE.fullmatch(text)
        if fast is not None:
            # The common case of a large CSV: an Indonesian mobile in plain digits. Same result
            # as the full path below (tests/spec compare both), at a fraction of the cost:
            # phonenumbers.parse is most of the time of loading 100k contacts.
            nsn = fast.group(1)
            if _is_id_mobile(nsn):
                return "+62" + nsn
            # invalid: let the full path below say why, in its words
    return _normalize_full(text, region)


# 08…, 628… or +628… followed by the rest of a mobile number, ASCII digits only ([0-9]: \d
# would also match other scripts' digits, which the full path handles).
_FAST_ID_MOBILE = re.compile(r"(?:\+?62|0)(8[0-9]{7,12})")
# The same, as normalize reads a text: around the number, what str.strip removes (\s is
# exactly str.isspace for str patterns).
_FAST_ID_MOBILE_TEXT = re.compile(rf"\s*{_FAST_ID_MOBILE.pattern}\s*")
_FIRST_GROUP = itemgetter(1)

#: Digits of an Indonesian national number that, with its length, decide its type.
ID_TYPE_PREFIX = 4
_E164_TYPE_PREFIX = itemgetter(slice(3, 3 + ID_TYPE_PREFIX))  # after "+62"
_ID_MOBILE: dict[tuple[str, int], bool] = {}


def _is_id_mobile(nsn: str) -> bool:
    """Whether phonenumbers types the Indonesian national number ``nsn`` (``8…``) as mobile,
    asked once per (first ID_TYPE_PREFIX digits, length) and remembered.

    phonenumbers decides a type by matching the region's patterns, and every Indonesian
    pattern a number starting with 8 can match fixes at most its first 4 digits, then only
    counts digits (mobile ``8[1-35-9]\\d{7,10}``, UAN ``8071\\d{6}``, premium ``809\\d{7}``,
    toll-free ``800\\d{5,7}``...). So the answer for one number is the answer for every number
    of its prefix and length, and 100k numbers cost a few hundred pattern matches instead of
    100k of them (the matching was most of a large CSV's load). tests/spec checks every
    prefix and length against phonenumbers itself, so a metadata update that breaks this
    fails there, not here.
    """
    key = (nsn[:ID_TYPE_PREFIX], len(nsn))
    known = _ID_MOBILE.get(key)
    if known is None:
        number = phonenumbers.PhoneNumber(country_code=62, national_number=int(nsn))
        known = _ID_MOBILE[key] = phonenumbers.number_type(number) in _MOBILE_TYPES
    return known


def normalize_plain_mobiles(texts: Sequence[str], region: str = "ID") -> list[str] | None:
    """``[normalize(t, region) for t in texts]`` when every text is one the fast path of
    :func:`normalize` reads as a valid mobile; else None, and nothing is said about which text
    is not (ask :func:`normalize` for each: it says why, in its words).

    One call for a whole column of a large contacts file, with no Python code run per number:
    a row-by-row loop was most of the time of checking 100k contacts. A column written in one
    form (all ``08…``, all ``628…`` or all ``+628…``, as exports are) is read with string
    operations on the whole column; a mixed one with a regular expression per text."""
    if region.upper() != "ID":
        return None
    e164s = _uniform_column(texts)
    if e164s is None:
        found = list(map(_FAST_ID_MOBILE_TEXT.fullmatch, texts))
        if not all(found):
            return None
        e164s = list(map("+62".__add__, map(_FIRST_GROUP, cast("list[re.Match[str]]", found))))
    # The mobile type follows from (type prefix, length) (see _is_id_mobile). Every pair of a
    # prefix and a length of the column is asked first: a few hundred questions at most,
    # and mobile whatever the pairing in practice; else exactly the pairs the column holds.
    prefixes = set(map(_E164_TYPE_PREFIX, e164s))
    lengths = set(map(len, e164s))
    if all(_is_id_mobile(p.ljust(n - 3, "0")) for p in prefixes for n in lengths):
        return e164s
    pairs = set(zip(map(_E164_TYPE_PREFIX, e164s), map(len, e164s), strict=True))
    return e164s if all(_is_id_mobile(p.ljust(n - 3, "0")) for p, n in pairs) else None


# A column in one form, a line each (what _FAST_ID_MOBILE reads, without spaces).
_COLUMN_FORMS = (
    (re.compile(r"(?:08[0-9]{7,12}\n)*08[0-9]{7,12}"), "0"),
    (re.compile(r"(?:628[0-9]{7,12}\n)*628[0-9]{7,12}"), "62"),
    (re.compile(r"(?:\+628[0-9]{7,12}\n)*\+628[0-9]{7,12}"), "+62"),
)


def _uniform_column(texts: Sequence[str]) -> list[str] | None:
    """The E.164 forms of ``texts`` when all are written in one of _COLUMN_FORMS, else None."""
    column = "\n".join(texts)
    if not texts or column.count("\n") != len(texts) - 1:
        return None  # a text with a line break in it: not a line each
    for form, code in _COLUMN_FORMS:
        if form.fullmatch(column) is not None:
            return ("\n" + column).replace("\n" + code, "\n+62")[1:].split("\n")
    return None


def _normalize_full(text: str, region: str) -> str:
    if not text:
        raise InvalidNumberError("empty phone number")
    if len(text) > _MAX_LEN or not _ALLOWED.match(text):
        raise InvalidNumberError(f"{_digits_for_message(text)!r} is not a phone number")
    parsed = _parse(text, region)
    if parsed is None:
        raise InvalidNumberError(f"{text!r} is not a phone number")
    # number_type() is UNKNOWN for invalid numbers, so one call decides both questions
    # (is_valid_number would run the same metadata matching a second time: 100k-row CSVs).
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        if not phonenumbers.is_valid_number(parsed):
            raise InvalidNumberError(f"{text!r} is not a valid phone number for region {region}")
        raise InvalidNumberError(f"{text!r} is not a mobile number (region {region})")
    return str(phonenumbers.format_number(parsed, PhoneNumberFormat.E164))


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    digits = re.sub(r"[^0-9]", "", text)
    if not text.startswith("+"):
        # "628123…" / "62-812-…": international digits without the plus. phonenumbers would
        # read them as a national number in region ID and reject them; the gateway documents
        # this form, so accept it when the leading digits are the region's country code.
        cc = phonenumbers.country_code_for_region(region.upper())
        if cc and digits.startswith(str(cc)) and not digits.startswith("0"):
            text = "+" + digits
    try:
        return phonenumbers.parse(text, region.upper())
    except NumberParseException:
        return None


def try_normalize(raw: str, region: str = "ID") -> str | None:
    """E.164 for remote data, or None when the text cannot be read as a phone number at all.

    Lenient: accepts any *possible* number (remote records may hold landlines or numbers
    phonenumbers' metadata does not know yet); the planner compares raw digits for the rest.
    """
    text = raw.strip()
    if region.upper() == "ID":
        fast = _FAST_ID_MOBILE.fullmatch(text)
        if fast is not None and _is_id_mobile(fast.group(1)):
            # A valid Indonesian mobile: read as normalize reads it (the same parse, and a
            # valid number is a possible one), without phonenumbers: an import dedupes 100k
            # remote rows with this.
            return "+62" + fast.group(1)
    return _try_normalize_full(text, region)


def _try_normalize_full(text: str, region: str) -> str | None:
    if not text or len(text) > _MAX_LEN or not _ALLOWED.match(text):
        return None
    parsed = _parse(text, region)
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, PhoneNumberFormat.E164))


def to_gateway(e164: str) -> str:
    """The wire form the reference documents: international digits, no plus (``628…``)."""
    if not e164.startswith("+") or not e164[1:].isdigit():
        raise ValueError(f"not an E.164 number: {e164!r}")
    return e164[1:]


def to_national(e164: str) -> str:
    """The national form (``0812…``) for display, when the number is Indonesian; else E.164."""
    if e164.startswith("+62"):
        return "0" + e164[3:]
    return e164


def search_digits(e164: str) -> str:
    """The digits to search the gateway for (``81234567890`` for ``+6281234567890``): the
    national significant number, a substring of every spelling the gateway may hold (``08…``,
    ``628…``, ``+628…``), since its number search matches partially."""
    parsed = _parse(e164, "ZZ")
    return str(parsed.national_number) if parsed is not None else e164.lstrip("+")


def mask(number: str) -> str:
    """PII-safe display: keep the first 4 and last 3 digits (``0812****971``)."""
    s = number.strip()
    if len(s) <= 7:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 7) + s[-3:]
