"""Broadcasts: plan (render, count, check), send exactly once, track delivery.

Typical use (what ``smsync plan`` / ``smsync apply`` do)::

    with Ledger(project.ledger_path) as ledger:
        plans = plan_broadcasts(desired, project, ledger=ledger, now=now,
                                remote_members=lambda group: [...])   # only undeclared groups
        if any(p.unsafe for p in plans) and not force: ...            # exit 3
        report = send_broadcasts(client, plans, ledger, concurrency=4, rate=None, force=force)
"""

from typing import TYPE_CHECKING

from smsync._lazy import lazy_exports

if TYPE_CHECKING:
    from smsync.broadcast.dlr import DlrServer, check_token, make_dlr_server, serve_dlr
    from smsync.broadcast.errors import BroadcastError
    from smsync.broadcast.ledger import KEEP_BODIES_ENV, Ledger, LedgerRow
    from smsync.broadcast.model import BroadcastPlan, Limits, Recipient, Totals, make_trxid, masked
    from smsync.broadcast.plan import plan_broadcasts
    from smsync.broadcast.send import (
        BroadcastResult,
        Failure,
        SendProgress,
        SendReport,
        send_broadcasts,
    )
    from smsync.broadcast.status import STATE_ORDER, RefreshStats, ledger_status, refresh_status

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DlrServer": "smsync.broadcast.dlr",
        "check_token": "smsync.broadcast.dlr",
        "make_dlr_server": "smsync.broadcast.dlr",
        "serve_dlr": "smsync.broadcast.dlr",
        "BroadcastError": "smsync.broadcast.errors",
        "KEEP_BODIES_ENV": "smsync.broadcast.ledger",
        "Ledger": "smsync.broadcast.ledger",
        "LedgerRow": "smsync.broadcast.ledger",
        "BroadcastPlan": "smsync.broadcast.model",
        "Limits": "smsync.broadcast.model",
        "Recipient": "smsync.broadcast.model",
        "Totals": "smsync.broadcast.model",
        "make_trxid": "smsync.broadcast.model",
        "masked": "smsync.broadcast.model",
        "plan_broadcasts": "smsync.broadcast.plan",
        "BroadcastResult": "smsync.broadcast.send",
        "Failure": "smsync.broadcast.send",
        "SendProgress": "smsync.broadcast.send",
        "SendReport": "smsync.broadcast.send",
        "send_broadcasts": "smsync.broadcast.send",
        "STATE_ORDER": "smsync.broadcast.status",
        "RefreshStats": "smsync.broadcast.status",
        "ledger_status": "smsync.broadcast.status",
        "refresh_status": "smsync.broadcast.status",
    },
)

__all__ = [
    "KEEP_BODIES_ENV",
    "STATE_ORDER",
    "BroadcastError",
    "BroadcastPlan",
    "BroadcastResult",
    "DlrServer",
    "Failure",
    "Ledger",
    "LedgerRow",
    "Limits",
    "Recipient",
    "RefreshStats",
    "SendProgress",
    "SendReport",
    "Totals",
    "check_token",
    "ledger_status",
    "make_dlr_server",
    "make_trxid",
    "masked",
    "plan_broadcasts",
    "refresh_status",
    "send_broadcasts",
    "serve_dlr",
]
