"""Which mobile operator a number belongs to, from phonenumbers' carrier data.

The operator matters to a sender: the gateway reference says alpha-sender accounts' Unicode is
not delivered by Telkomsel and XL, delivery rates differ by operator, and accounts on this
platform are sometimes split by operator. The prefix tables are phonenumbers' (kept up to date
by its maintainers), never hand-written here. Indonesia has no mobile number portability, so
the prefix names the operator.
"""

from __future__ import annotations

__all__ = ["UNICODE_BLIND_ON_ALPHA", "UNKNOWN", "operator_of"]

#: What operator_of answers for a number the carrier data does not know (or cannot parse).
UNKNOWN = "unknown"

#: Operators that do not deliver Unicode (type 3) messages from alpha-sender accounts, as the
#: gateway reference says ("Alpha sender account, unicode is not supported by Telkomsel and XL").
UNICODE_BLIND_ON_ALPHA = frozenset({"Telkomsel", "XL"})


def operator_of(e164: str) -> str:
    """The operator's name (``Telkomsel``, ``XL``, ``Indosat Ooredoo Hutchison``…) for an E.164
    number, or :data:`UNKNOWN`. Memoised per prefix: the carrier data is keyed by prefixes of at
    most 9 digits (``CARRIER_LONGEST_PREFIX``), and a 100k-recipient plan has a few hundred
    distinct ones."""
    prefix = e164[:_PREFIX_CHARS]
    name = _BY_PREFIX.get(prefix)
    if name is None:
        name = _BY_PREFIX[prefix] = _lookup(e164)
    return name


# "+" and the carrier data's longest prefix (9 digits): numbers sharing these characters share
# their operator, whatever follows.
_PREFIX_CHARS = 10
_BY_PREFIX: dict[str, str] = {}


def _lookup(e164: str) -> str:
    import phonenumbers
    from phonenumbers import carrier

    try:
        name = carrier.name_for_number(phonenumbers.parse(e164), "en")
    except phonenumbers.NumberParseException:
        return UNKNOWN
    return name or UNKNOWN
