"""Delivery status of sent broadcasts: ledger counts, refreshed through Report.aspx, and each
broadcast's kind, lifecycle and deliveries (:mod:`smsync.broadcast.deliveries`)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from smsync.broadcast.deliveries import BroadcastStatus, split_key, summarize
from smsync.broadcast.ledger import Ledger, LedgerRow, SendState
from smsync.broadcast.model import Lifecycle
from smsync.broadcast.routes import Route, recorded_accounts
from smsync.errors import SmsyncError
from smsync.gateway.provider import Sender
from smsync.spec.model import BroadcastSpec

#: Order in which states are shown.
STATE_ORDER: tuple[str, ...] = tuple(SendState)


@dataclass
class RefreshStats:
    queried: int = 0
    updated: int = 0
    errors: int = 0  # rows whose status could not be read (unknown msgid, transport errors)


def ledger_status(ledger: Ledger, names: list[str] | None = None) -> dict[str, Counter[str]]:
    """Counts by state per broadcast, from the ledger alone (a group send counts each member
    it reached)."""
    return {name: ledger.counts(name) for name in (names or ledger.broadcasts())}


def refresh_status(
    client: Sender,
    ledger: Ledger,
    names: list[str] | None = None,
    *,
    concurrency: int = 8,
    stats: RefreshStats | None = None,
    via: Callable[[Route], Sender | None] | None = None,
) -> dict[str, Counter[str]]:
    """Ask Report.aspx about every accepted, not yet final row (only those), update the ledger,
    and return the counts by state per broadcast (all broadcasts of the ledger by default).

    A row that went through another account (smsync.broadcast.routes) is asked of that account,
    ``via(route)``: a msgid means something only to the account that gave it. One whose account
    ``via`` does not know is not asked (counted in ``stats.errors``)."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    stats = stats if stats is not None else RefreshStats()
    wanted = names or ledger.broadcasts()
    # Group sends are left out: their msgid is a batch id, and members' own msgids are unknown
    # to smsync (their delivery can only be seen at the gateway).
    rows = [
        r
        for name in wanted
        for r in ledger.rows(name)
        if r.msgid and r.kind == "contact" and r.state == SendState.SENT
    ]
    routes = {name: recorded_accounts(ledger, name) for name in {r.broadcast for r in rows}}
    asked: dict[Route, Sender | None] = {}
    for r in rows:
        route = routes[r.broadcast].get(r.number)
        if route is not None and route not in asked:
            asked[route] = via(route) if via is not None else None

    lock = threading.Lock()

    def one(row: LedgerRow) -> None:
        assert row.msgid is not None
        route = routes[row.broadcast].get(row.number)
        sender = client if route is None else asked[route]
        if sender is None:  # never asked of another account: it would answer for another
            with lock:
                stats.errors += 1
            return
        try:
            status = sender.report(row.msgid)
        except SmsyncError:
            with lock:
                stats.errors += 1  # one bad row must not hide the others' status
            return
        if status.state.is_final:
            ledger.update_state(row.broadcast, row.number, status.state)
            with lock:
                stats.updated += 1

    stats.queried = len(rows)
    if rows:
        with ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="smsync-report"
        ) as pool:
            list(pool.map(one, rows))
    return ledger_status(ledger, wanted)


def broadcast_statuses(
    ledger: Ledger,
    keys: list[str],
    specs: Mapping[str, BroadcastSpec],
    suppression: frozenset[str],
    now: datetime,
) -> list[BroadcastStatus]:
    """The broadcasts of the ledger ``keys``, an occurrence's key under its broadcast: kind
    from the spec (``specs`` by name; a broadcast no longer there has its occurrences, if any,
    told by their keys), lifecycle for `once` ones, deliveries from the rows."""
    found: dict[str, BroadcastStatus] = {}
    for key in keys:
        name, occurrence = (key, None) if key in specs else split_key(key)
        spec = specs.get(name)
        kind = spec.mode if spec is not None else "recurring" if occurrence else None
        fixed = ledger.audience(key) if kind in ("once", None) else None
        deliveries = summarize(key, ledger.rows(key), fixed or frozenset())
        if name not in found:
            found[name] = BroadcastStatus(name, kind, None)
        found[name].occurrences.append(deliveries)
        if kind == "once":
            found[name].lifecycle = _lifecycle(ledger, key, spec, suppression, now)
    for status in found.values():
        status.occurrences.sort(key=lambda d: d.occurrence or "")
    return list(found.values())


def _lifecycle(
    ledger: Ledger,
    key: str,
    spec: BroadcastSpec | None,
    suppression: frozenset[str],
    now: datetime,
) -> Lifecycle:
    """As plan judges it (broadcast.plan._settled), from the ledger alone."""
    progress = ledger.completed(key) or ledger.progress(key)
    unsent = progress.unsent
    if progress.group_sent or (unsent is not None and unsent <= suppression):
        return "complete"
    if spec is not None and spec.not_after is not None and now >= spec.not_after:
        return "closed"
    return "open"
