"""How the gateway tells names apart: the one group identity every layer keys on.

The gateway compares group names case-insensitively (SQL Server's default collation): `Office`
and `OFFICE` are one group there. Every key built from a group name — the diff's index, apply's
checks, a broadcast's audience, the ledger row of a group send — goes through
:func:`group_key`, so that a case-only change in the spec can neither split one group into two
nor make a group send look new.
"""

from __future__ import annotations


def group_key(name: str) -> str:
    """The identity of the group called ``name`` on the gateway."""
    return name.casefold()


def same_group(a: str, b: str) -> bool:
    return group_key(a) == group_key(b)
