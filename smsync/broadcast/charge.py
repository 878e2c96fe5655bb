"""What a run's sends cost, by the balance: the one signal of a repeat the gateway gives.

The gateway answers a repeated trxid exactly as it answered the first send (``1701,<msgid>``)
and sends nothing. After a lost ledger, apply sends again with the same trxids, and every
answer reads "accepted": the balance is then the only witness that those messages had been
sent before. Apply reads it once more after its sends and compares the fall with the segments
of the messages accepted in this run through the main account (other accounts have their own
balances; ``gateway.accounts``).

The comparison is an observation, not a proof: a top-up or another sender on the same account
during the run moves the balance too, and the text says "most likely".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from smsync.broadcast.ledger import Ledger
from smsync.broadcast.routes import recorded_accounts

__all__ = ["Charge", "accepted_keys", "segments_accepted_since"]


@dataclass(frozen=True)
class Charge:
    before: Decimal
    after: Decimal
    segments_accepted: int  # segments of the messages accepted in this run (main account)

    @property
    def charged(self) -> Decimal:
        return self.before - self.after

    @property
    def not_charged(self) -> int:
        """Segments the gateway accepted without charging: most likely repeats of messages it
        had already sent (never below 0: a balance that fell more says nothing of repeats)."""
        return max(0, self.segments_accepted - max(0, int(self.charged)))

    def line(self) -> str:
        before, after = f"{self.before:f}", f"{self.after:f}"
        n = self.segments_accepted
        if not self.not_charged:
            return (
                f"Balance: {before} → {after} ({self.charged:f} segments charged for the {n} "
                "accepted)."
            )
        return (
            f"Balance: {before} → {after}: the gateway charged {max(0, int(self.charged))} of "
            f"the {n} segments it accepted; the other {self.not_charged} were most likely "
            "messages it had already sent under the same trxid (it answers a repeat as it "
            "answered the first send, and sends nothing): counted as sent above, they reached "
            "nobody twice. A top-up or another sender on this account during the run would "
            "also explain it."
        )

    def to_json(self) -> dict[str, object]:
        return {
            "before": f"{self.before:f}",
            "after": f"{self.after:f}",
            "segments_accepted": self.segments_accepted,
            "charged": f"{self.charged:f}",
            "not_charged": self.not_charged,
        }


def accepted_keys(ledger: Ledger, broadcasts: Iterable[str]) -> set[tuple[str, str]]:
    """(broadcast, number) of every accepted row of ``broadcasts``."""
    return {(r.broadcast, r.number) for b in broadcasts for r in ledger.rows(b) if r.accepted}


def segments_accepted_since(
    ledger: Ledger, broadcasts: Iterable[str], before: set[tuple[str, str]]
) -> int:
    """Segments of the rows of ``broadcasts`` accepted since ``before`` was taken, through the
    main account (a group call's row counts once per member it reached)."""
    total = 0
    for b in broadcasts:
        routed = recorded_accounts(ledger, b)
        for r in ledger.rows(b):
            if not r.accepted or (r.broadcast, r.number) in before or r.number in routed:
                continue
            total += r.segments * (max(1, r.recipients) if r.kind == "group" else 1)
    return total
