"""Which mobile operator a number belongs to, from phonenumbers' carrier data.

The operator matters to a sender: the gateway reference says alpha-sender accounts' Unicode is
not delivered by Telkomsel and XL, delivery rates differ by operator, and accounts on this
platform are sometimes split by operator. The prefix tables are phonenumbers' (kept up to date
by its maintainers), never hand-written here. Indonesia has no mobile number portability, so
the prefix names the operator.
"""

from __future__ import annotations

__all__ = ["UNICODE_BLIND_ON_ALPHA", "UNKNOWN", "operator_names", "operator_of"]

#: What operator_of answers for a number the carrier data does not know (or cannot parse).
UNKNOWN = "unknown"

#: Operators that do not deliver Unicode (type 3) messages from alpha-sender accounts, as the
#: gateway reference says ("Alpha sender account, unicode is not supported by Telkomsel and XL").
UNICODE_BLIND_ON_ALPHA = frozenset({"Telkomsel", "XL"})


def operator_of(e164: str) -> str:
    """The operator's name (``Telkomsel``, ``XL``, ``Indosat Ooredoo Hutchison``…) for an E.164
    number, or :data:`UNKNOWN`. Memoised per (prefix, length): a plan of 100k recipients asks
    a few hundred full lookups, and each other number costs a dict lookup."""
    key = (e164[:_SHORT_CHARS], len(e164))
    name = _MEMO.get(key)
    if name is None:
        if e164[1:_SHORT_CHARS] in _deep_prefixes():
            key = (e164[:_LONG_CHARS], len(e164))
            name = _MEMO.get(key)
        if name is None:
            name = _MEMO[key] = _lookup(e164)
    return name


# Why (prefix, length) is enough: the carrier data names the operator by a number's longest
# prefix in it, and the lookup answers only for mobile numbers, a type that follows from the
# first digits and the length (Indonesia: 8[1-35-9] and 9 to 12 digits). Its Indonesian
# prefixes have 5 digits; where the data holds longer ones under a 5-digit prefix (found once,
# when first needed), the key is "+" and the longest prefix it can hold (9 digits).
_SHORT_CHARS = 6
_LONG_CHARS = 10
_MEMO: dict[tuple[str, int], str] = {}
_DEEP: frozenset[str] | None = None


def _deep_prefixes() -> frozenset[str]:
    """The 5-digit prefixes under which the carrier data holds longer ones."""
    global _DEEP
    if _DEEP is None:
        from phonenumbers.carrierdata import CARRIER_DATA

        cut = _SHORT_CHARS - 1
        _DEEP = frozenset(k[:cut] for k in CARRIER_DATA if len(k) > cut)
    return _DEEP


def operator_names(region: str) -> frozenset[str]:
    """Every operator name the carrier data holds for numbers of ``region``'s country code
    (ID: AXIS, Indosat Ooredoo Hutchison, Smartfren, Telkomsel, XL): the names a routing rule
    may use."""
    import phonenumbers
    from phonenumbers.carrierdata import CARRIER_DATA

    code = str(phonenumbers.country_code_for_region(region))
    return frozenset(
        name
        for prefix, names in CARRIER_DATA.items()
        if prefix.startswith(code)
        for name in [names.get("en")]
        if name
    )


def _lookup(e164: str) -> str:
    import phonenumbers
    from phonenumbers import carrier

    try:
        name = carrier.name_for_number(phonenumbers.parse(e164), "en")
    except phonenumbers.NumberParseException:
        return UNKNOWN
    return name or UNKNOWN
