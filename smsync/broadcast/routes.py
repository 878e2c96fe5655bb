"""Which gateway account a per-contact message went through, when not the main one.

With ``gateway.accounts`` (smsync.yaml), messages to some numbers go through another account of
the gateway. Exactly once still holds across accounts:

- the ledger keys a message by (broadcast, number) whatever account sent it, so a message one
  account accepted is never sent again, through it or through another;
- a message whose outcome is unknown (a pending row) is repeated with its trxid through the
  account it went to, because a gateway deduplicates trxids per account: sent through another
  one, the repeat would be a second message. So the account is recorded, durably, BEFORE the
  request leaves; a row without a record went through the main account.

What is recorded is the account itself (``username@endpoint``), not only the name smsync.yaml
gives it: a name later given to another username, or a second project sharing the state that
names another account so, is not the account that saw the trxid. A repeat goes only through a
declared account that IS that account; `smsync status` asks each message's own account.

The record sits in the state's ``meta`` table (key ``via:<broadcast>\\x1f<number>``), written
through the ledger's store as every ledger write is, so every state backend keeps it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import Ledger
from smsync.endpoint import public_endpoint
from smsync.spec.project import Account
from smsync.state.local import problem

_PREFIX = "via:"
_SEP = "\x1f"


@dataclass(frozen=True)
class Route:
    """The account a message goes through: ``name`` as gateway.accounts called it, and
    ``account``, the account itself (``username@endpoint``; ``username@`` for one on the main
    account's endpoint, which the ledger is bound to)."""

    name: str
    account: str

    @property
    def shown(self) -> str:
        return f"'{self.name}' ({self.account.removesuffix('@') or 'unknown account'})"


def route_of(account: Account) -> Route:
    endpoint = public_endpoint(account.endpoint) if account.endpoint else ""
    return Route(account.name, f"{account.username}@{endpoint}")


def same_account(route: Route, accounts: Iterable[Account]) -> Account | None:
    """The declared account that is the one ``route`` recorded (whatever it is called now)."""
    return next((a for a in accounts if route_of(a).account == route.account), None)


def _key(broadcast: str, number: str) -> str:
    return f"{_PREFIX}{broadcast}{_SEP}{number}"


def _route(value: str) -> Route:
    # (a record of the first version holds the name alone: no account, so never repeated)
    name, _, account = value.partition(_SEP)
    return Route(name, account)


@contextmanager
def _guard(ledger: Ledger) -> Iterator[None]:
    with ledger.store.lock:
        try:
            yield
        except sqlite3.Error as exc:
            raise BroadcastError(problem(ledger.where, exc)) from None


def _range(ledger: Ledger, broadcast: str) -> list[tuple[str, str]]:
    low = _key(broadcast, "")
    rows = ledger.store.db.execute(
        "SELECT key, value FROM meta WHERE key > ? AND key < ?", (low, low + "\x7f")
    ).fetchall()
    return [(str(k), str(v)) for k, v in rows]


def recorded_accounts(ledger: Ledger, broadcast: str) -> dict[str, Route]:
    """``{number: route}`` of ``broadcast``'s messages that went through another account
    than the main one (one indexed range read)."""
    cut = len(_key(broadcast, ""))
    with _guard(ledger):
        return {k[cut:]: _route(v) for k, v in _range(ledger, broadcast)}


def record_account(ledger: Ledger, broadcast: str, number: str, route: Route | None) -> None:
    """Record (durably) that the message of ``broadcast`` to ``number`` goes through
    ``route`` (None: the main account, which is recorded by having no record)."""
    key = _key(broadcast, number)
    with _guard(ledger), ledger.store.write() as touched:
        if route is not None:
            ledger.store.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (key, f"{route.name}{_SEP}{route.account}"),
            )
        else:
            ledger.store.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        touched.add("meta", key)


def forget_accounts(ledger: Ledger, broadcast: str) -> None:
    """Drop every record of ``broadcast`` (``smsync state forget``)."""
    with _guard(ledger), ledger.store.write() as touched:
        for key, _ in _range(ledger, broadcast):
            ledger.store.db.execute("DELETE FROM meta WHERE key = ?", (key,))
            touched.add("meta", key)
