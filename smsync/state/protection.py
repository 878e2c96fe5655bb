"""Protection memory: what was applied with ``protect: true``, remembered by the state.

``protect: true`` in a spec file guards an item only while the flag is there: a change that
removes the item together with its flag would otherwise delete it (Terraform's
``prevent_destroy`` has the same hole). The state remembers each item applied with the flag
until a run applies it *without* the flag, so that removal takes two reviewed changes. The
refusal itself is decided in :mod:`smsync.safety` (``Rule.REMEMBERED_PROTECTION``).

An item's identity: a group by its key (:func:`smsync.gateway.names.group_key`, given by the
caller), a contact by (group key, E.164 number).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from smsync.state.backend import StateError
from smsync.state.local import problem
from smsync.state.store import Store

GROUP = "group"
CONTACT = "contact"


@dataclass(frozen=True)
class Protected:
    kind: str  # GROUP | CONTACT
    group: str  # the group's key
    number: str  # E.164 for a contact, "" for a group
    name: str = ""  # as spelled in the spec when remembered (for messages)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.group, self.number)


def remembered(store: Store) -> dict[tuple[str, str, str], Protected]:
    """Every item the state remembers as protected, by key."""
    try:
        with store.lock:
            rows = store.db.execute("SELECT kind, grp, number, name FROM protected").fetchall()
    except sqlite3.Error as exc:
        raise StateError(problem(store.backend.where, exc)) from None
    return {(k, g, n): Protected(k, g, n, name) for k, g, n, name in rows}


def remember(
    store: Store, declared: Iterable[Protected], unprotected: Iterable[Protected], *, forget: bool
) -> None:
    """After an apply: remember every ``declared`` protected item; when ``forget`` (the
    apply succeeded), forget the ``unprotected`` ones (declared without the flag)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    known = remembered(store)
    add = [p for p in declared if p.key not in known]
    drop = [p for p in unprotected if p.key in known] if forget else []
    if not add and not drop:
        return
    try:
        with store.lock, store.write() as touched:
            for p in add:
                store.db.execute(
                    "INSERT OR REPLACE INTO protected (kind, grp, number, name, applied_at) "
                    "VALUES (?,?,?,?,?)",
                    (*p.key, p.name, now),
                )
                touched.add("protected", *p.key)
            for p in drop:
                store.db.execute("DELETE FROM protected WHERE kind=? AND grp=? AND number=?", p.key)
                touched.add("protected", *p.key)
    except sqlite3.Error as exc:
        raise StateError(problem(store.backend.where, exc)) from None
