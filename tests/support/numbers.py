"""Phone numbers for tests: number ``i`` in each form smsync reads or writes.

Every helper builds the same subscriber (0812-3 followed by ``i`` in seven digits), so a test
can write a contact one way and look for it on the gateway another way."""

from __future__ import annotations


def number(i: int) -> str:
    """A valid Indonesian mobile number, written the local way (0812…)."""
    return f"08123{i:07d}"


def gw(i: int) -> str:
    """The same number in the form smsync sends to the gateway (628…)."""
    return f"628123{i:07d}"


def e164(i: int) -> str:
    """The same number in E.164 (+628…), the form broadcast plans and the ledger key it by."""
    return f"+628123{i:07d}"


def canon(mobile: str) -> str:
    """Gateway rows hold numbers as they were sent; compare them in one form (628…)."""
    digits = "".join(ch for ch in mobile if ch.isdigit())
    return "62" + digits[1:] if digits.startswith("0") else digits
