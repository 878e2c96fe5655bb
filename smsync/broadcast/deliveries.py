"""What became of one broadcast's messages, as data: the delivery funnel, the outcomes by final
state and error code, a breakdown by operator, the times messages went out and their final
states came in, and the numbers worth sending to again.

Pure functions of ledger rows (no I/O): `smsync status` prints this, its JSON carries it, and
the HTML report draws it, so the three always agree.

The funnel's counts add up: ``planned = delivered + failed + pending``, and ``sent`` (accepted
by the gateway) lies between ``delivered`` and ``planned``:

- planned: the recipients smsync set out to message: its rows (a group send counts each member
  it reached) and, for a `once` broadcast, the members of its fixed audience not tried yet;
- failed: refused by the gateway (no message left) or ended UNDELIVRD, REJECTED or EXPIRED;
- pending: no outcome yet: accepted without a final state (SENT), sent with an unknown outcome
  (a ``pending`` row) or not tried yet.

Times are the ledger's: ``sent_at`` when the gateway accepted a message; for a final state, the
row's ``updated_at``, when smsync learned it (a delivery report as it arrived, or the Report.aspx
refresh that asked), which is not always when the handset got it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from smsync.broadcast.ledger import FAILED_FOR_GOOD, GROUP_ROW_PREFIX, LedgerRow, SendState
from smsync.broadcast.model import Lifecycle
from smsync.broadcast.schedule import OCCURRENCE_SEPARATOR
from smsync.gateway.errors import ERRORS_BY_CODE
from smsync.operators import operator_of
from smsync.spec.model import BroadcastMode

#: Accepted states that end a message undelivered.
UNDELIVERED = frozenset({SendState.UNDELIVRD, SendState.REJECTED, SendState.EXPIRED})
#: The label of an audience member with no row yet (the outcomes table's one non-ledger state).
NOT_TRIED = "not tried yet"


class Stage(enum.StrEnum):
    """The funnel's stages, in the order they are shown."""

    PLANNED = "planned"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class Funnel:
    planned: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0

    def __getitem__(self, stage: Stage) -> int:
        return int(getattr(self, stage.value))

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(*(self[s] + other[s] for s in Stage))

    def to_json(self) -> dict[str, int]:
        return {s.value: self[s] for s in Stage}


@dataclass(frozen=True)
class Retry:
    """A recipient worth messaging again: its message failed for a reason that may pass."""

    number: str  # E.164
    operator: str
    outcome: str  # the outcomes label (UNDELIVRD, "failed 1708 insufficient credit"...)
    occurrence: str | None = None


@dataclass
class Deliveries:
    """One broadcast (or one occurrence of a recurring broadcast) as `smsync status` shows it."""

    key: str  # the ledger's broadcast key (NAME, or NAME@DATE for an occurrence)
    funnel: Funnel
    #: outcome label -> recipients, in OUTCOME order (ledger states, error codes spelled out)
    outcomes: dict[str, int]
    operators: dict[str, Funnel]  # by operator, most recipients first (per-contact rows)
    retry: list[Retry]
    sent_times: list[datetime]  # when each accepted message was accepted, sorted
    delivered_times: list[datetime]  # when each DELIVRD state was learned, sorted
    failed_times: list[datetime]  # refusals and undelivered final states, sorted
    #: members reached by group sends: their delivery is only visible at the gateway
    group_members: int = 0

    @property
    def name(self) -> str:
        """The spec's broadcast name (an occurrence's key without its date)."""
        return split_key(self.key)[0]

    @property
    def occurrence(self) -> str | None:
        return split_key(self.key)[1]


@dataclass
class BroadcastStatus:
    """A broadcast of the spec (or of the ledger alone): its kind, lifecycle and deliveries;
    a recurring one's per occurrence (oldest first), summed in ``total``."""

    name: str
    kind: BroadcastMode | None  # None: not in the spec (any more)
    lifecycle: Lifecycle | None  # mode once only
    occurrences: list[Deliveries] = field(default_factory=list)

    @property
    def total(self) -> Deliveries:
        return merge(self.name, self.occurrences)


def split_key(key: str) -> tuple[str, str | None]:
    """``NAME@2026-12-01`` -> (``NAME``, ``2026-12-01``); a plain name has no occurrence."""
    name, sep, occurrence = key.rpartition(OCCURRENCE_SEPARATOR)
    if sep and _is_date(occurrence):
        return name, occurrence
    return key, None


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def outcome_of(row: LedgerRow) -> str:
    """How the outcomes table names a row's state: the ledger state, and for a refusal its
    code and meaning (``failed 1708 insufficient credit``)."""
    if row.state != SendState.FAILED:
        return str(row.state)
    code = row.error or "?"
    err = ERRORS_BY_CODE.get(code)
    return f"failed {code} {err.meaning}" if err is not None else f"failed {code}"


def _stage(row: LedgerRow) -> Stage:
    if row.state == SendState.DELIVRD:
        return Stage.DELIVERED
    if row.state == SendState.FAILED or row.state in UNDELIVERED:
        return Stage.FAILED
    return Stage.PENDING


def _funnel(stages: Iterable[tuple[Stage, bool, int]]) -> Funnel:
    """From (final stage, accepted, recipients) triples."""
    c: Counter[Stage] = Counter()
    for stage, accepted, n in stages:
        c[Stage.PLANNED] += n
        c[stage] += n
        if accepted:
            c[Stage.SENT] += n
    return Funnel(*(c[s] for s in Stage))


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # a hand-edited row: left out of the timeline, counted everywhere else


def summarize(
    key: str, rows: Iterable[LedgerRow], audience: frozenset[str] = frozenset()
) -> Deliveries:
    """The deliveries of broadcast ``key`` from its ledger rows; ``audience``: its fixed
    audience (`once`), whose members without a row are planned and not tried yet."""
    rows = list(rows)
    tried = {r.number for r in rows}
    untried = sorted(audience - tried)
    stages = [(_stage(r), r.accepted, r.recipients) for r in rows]
    stages += [(Stage.PENDING, False, 1)] * len(untried)
    outcomes: Counter[str] = Counter()
    for r in rows:
        outcomes[outcome_of(r)] += r.recipients
    if untried:
        outcomes[NOT_TRIED] += len(untried)
    per_operator: dict[str, list[tuple[Stage, bool, int]]] = {}
    for r in rows:
        if r.kind == "contact":
            per_operator.setdefault(operator_of(r.number), []).append((_stage(r), r.accepted, 1))
    for number in untried:
        per_operator.setdefault(operator_of(number), []).append((Stage.PENDING, False, 1))
    operators = {op: _funnel(s) for op, s in per_operator.items()}
    retry = [
        Retry(r.number, operator_of(r.number), outcome_of(r), split_key(key)[1])
        for r in rows
        if r.kind == "contact" and _worth_retrying(r)
    ]
    sent = [t for r in rows if r.accepted for t in [_time(r.sent_at)] if t is not None]
    delivered = [
        t for r in rows if r.state == SendState.DELIVRD for t in [_time(r.updated_at)] if t
    ]
    failed = [t for r in rows if _stage(r) == Stage.FAILED for t in [_time(r.updated_at)] if t]
    return Deliveries(
        key=key,
        funnel=_funnel(stages),
        outcomes=_ordered(outcomes),
        operators=dict(sorted(operators.items(), key=lambda kv: (-kv[1].planned, kv[0]))),
        retry=sorted(retry, key=lambda r: (r.outcome, r.number)),
        sent_times=sorted(sent),
        delivered_times=sorted(delivered),
        failed_times=sorted(failed),
        group_members=sum(r.recipients for r in rows if r.number.startswith(GROUP_ROW_PREFIX)),
    )


def _worth_retrying(row: LedgerRow) -> bool:
    """Ended undelivered, or refused for a reason that may pass (not an invalid number)."""
    if row.state == SendState.FAILED:
        return (row.error or "") not in FAILED_FOR_GOOD
    return row.state in UNDELIVERED


#: Ledger states in the order the outcomes table lists them; refusals (by code) come after.
OUTCOME_ORDER: tuple[str, ...] = (
    SendState.DELIVRD,
    SendState.UNDELIVRD,
    SendState.REJECTED,
    SendState.EXPIRED,
    SendState.SENT,
    SendState.PENDING,
    NOT_TRIED,
)


def _ordered(outcomes: Counter[str]) -> dict[str, int]:
    def rank(label: str) -> tuple[int, str]:
        return (OUTCOME_ORDER.index(label), "") if label in OUTCOME_ORDER else (99, label)

    return {label: outcomes[label] for label in sorted(outcomes, key=rank)}


def merge(key: str, parts: list[Deliveries]) -> Deliveries:
    """The deliveries of several occurrences as one (a recurring broadcast's total)."""
    if len(parts) == 1:
        return parts[0]
    outcomes: Counter[str] = Counter()
    operators: dict[str, Funnel] = {}
    for p in parts:
        outcomes.update(p.outcomes)
        for op, f in p.operators.items():
            operators[op] = operators.get(op, Funnel()) + f
    funnel = sum((p.funnel for p in parts), Funnel())
    return Deliveries(
        key=key,
        funnel=funnel,
        outcomes=_ordered(outcomes),
        operators=dict(sorted(operators.items(), key=lambda kv: (-kv[1].planned, kv[0]))),
        retry=[r for p in parts for r in p.retry],
        sent_times=sorted(t for p in parts for t in p.sent_times),
        delivered_times=sorted(t for p in parts for t in p.delivered_times),
        failed_times=sorted(t for p in parts for t in p.failed_times),
        group_members=sum(p.group_members for p in parts),
    )
