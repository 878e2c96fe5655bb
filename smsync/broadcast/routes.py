"""Which gateway account a per-contact message went through, when not the main one.

With ``gateway.accounts`` (smsync.yaml), messages to some numbers go through another account of
the gateway. Exactly once still holds across accounts:

- the ledger keys a message by (broadcast, number) whatever account sent it, so a message one
  account accepted is never sent again, through it or through another;
- a message whose outcome is unknown (a pending row) is repeated with its trxid through the
  account it went to, because a gateway deduplicates trxids per account: sent through another
  one, the repeat would be a second message. So the account is recorded, durably, BEFORE the
  request leaves; a row without a record went through the main account.

The record sits in the state's ``meta`` table (key ``via:<broadcast>\\x1f<number>``), written
through the ledger's store as every ledger write is, so every state backend keeps it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import Ledger
from smsync.state.local import problem

_PREFIX = "via:"
_SEP = "\x1f"


def _key(broadcast: str, number: str) -> str:
    return f"{_PREFIX}{broadcast}{_SEP}{number}"


@contextmanager
def _guard(ledger: Ledger) -> Iterator[None]:
    with ledger.store.lock:
        try:
            yield
        except sqlite3.Error as exc:
            raise BroadcastError(problem(ledger.where, exc)) from None


def recorded_accounts(ledger: Ledger, broadcast: str) -> dict[str, str]:
    """``{number: account}`` of ``broadcast``'s messages that went through another account
    than the main one (one indexed range read)."""
    low = _key(broadcast, "")
    with _guard(ledger):
        rows = ledger.store.db.execute(
            "SELECT key, value FROM meta WHERE key > ? AND key < ?", (low, low + "\x7f")
        ).fetchall()
    return {str(k)[len(low) :]: str(v) for k, v in rows}


def record_account(ledger: Ledger, broadcast: str, number: str, account: str) -> None:
    """Record (durably) that the message of ``broadcast`` to ``number`` goes through
    ``account`` ("": the main account, which is recorded by having no record)."""
    key = _key(broadcast, number)
    with _guard(ledger), ledger.store.write() as touched:
        if account:
            ledger.store.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, account)
            )
        else:
            ledger.store.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        touched.add("meta", key)
