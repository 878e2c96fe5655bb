"""The broadcast ledger: what was sent to whom, so a broadcast reaches each recipient once.

The ``sends`` table of the project's state (:mod:`smsync.state`: by default the SQLite file
``.smsync/ledger.sqlite``; a git branch or a PostgreSQL database with ``state:``), one row per
``(broadcast, number)``. A per-contact row's ``number`` is the recipient's E.164 number; a group
send's row uses ``group:<group key>`` (:func:`smsync.gateway.names.group_key`; rows written
before that used the name as spelled, and are matched case-insensitively).

Durability: every write below is stored by the backend before the method returns (the local
file: a rollback journal and synchronous=FULL, so the ``.sqlite`` file alone holds every row
committed before a send; git: pushed; PostgreSQL: committed).

Row life cycle (``state``):

- ``pending``: written and committed BEFORE the request leaves. A pending row seen later means
  the outcome is unknown (the process died, the connection dropped). A per-contact row is sent
  again with the SAME trxid (the gateway deduplicates on it and answers the first send's body);
  a group row is not (SendSMSGroup has no trxid) unless explicitly requested.
- ``failed``: the gateway answered an error code (nothing was sent); ``error`` holds the code.
  A later run tries again with the SAME trxid (it is derived from the message, not from the
  ledger); an error answered to it then is an unknown outcome (some gateways replay a failed
  trxid's answer). Only an explicit resend (``resend_unknown``) uses a new trxid
  (``attempt`` + 1).
- ``SENT`` / ``DELIVRD`` / ``UNDELIVRD`` / ``REJECTED`` / ``EXPIRED``: accepted by the gateway
  (``msgid`` set); later states come from Report.aspx or delivery reports.

The ledger holds no secrets and, by default, no message bodies: a SHA-256 of the body, its
length and its segment count. ``keep_bodies=True`` (or ``SMSYNC_LEDGER_KEEP_BODIES=1``) keeps
the rendered body too, for audit.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from smsync.broadcast.errors import BroadcastError
from smsync.gateway.errors import InvalidNumber
from smsync.gateway.models import DeliveryState
from smsync.gateway.names import group_key
from smsync.state import Backend, StateError, Store
from smsync.state.local import LocalBackend, problem
from smsync.state.store import Touched


class SendState(enum.StrEnum):
    """A ``sends`` row's ``state`` (see the life cycle above); the values are what is stored.
    The accepted states are the gateway's :class:`DeliveryState` spellings."""

    PENDING = "pending"
    FAILED = "failed"
    SENT = DeliveryState.SENT.value
    DELIVRD = DeliveryState.DELIVRD.value
    UNDELIVRD = DeliveryState.UNDELIVRD.value
    REJECTED = DeliveryState.REJECTED.value
    EXPIRED = DeliveryState.EXPIRED.value

    @property
    def accepted(self) -> bool:
        """The gateway took the message: the recipient has been messaged."""
        return self not in (SendState.PENDING, SendState.FAILED)


#: States of a row the gateway accepted: the recipient has been messaged.
ACCEPTED_STATES = frozenset(s for s in SendState if s.accepted)
FINAL_STATES = frozenset(s for s in ACCEPTED_STATES if DeliveryState(s).is_final)
#: Error codes after which a recipient never gets the message, however often it is retried: a
#: `once` broadcast counts them as finished (complete without them).
FAILED_FOR_GOOD = frozenset({InvalidNumber.code})
KEEP_BODIES_ENV = "SMSYNC_LEDGER_KEEP_BODIES"
#: How long a write waits for another program holding the ledger before giving up (seconds).
BUSY_TIMEOUT_S = 30.0
#: Delivery reports held for msgids not known yet (see Ledger.receive_delivery_report).
MAX_EARLY_REPORTS = 10_000


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


GROUP_ROW_PREFIX = "group:"
#: meta key of a `once` broadcast found complete (Ledger.mark_complete)
COMPLETE_PREFIX = "complete:"


def group_row_key(group: str) -> str:
    """The ``number`` of a group send's row: one identity per gateway group."""
    return GROUP_ROW_PREFIX + group_key(group)


@dataclass(frozen=True)
class LedgerRow:
    broadcast: str
    number: str
    kind: str
    channel: str
    fallback_from: str | None
    trxid: str | None
    attempt: int
    state: str
    msgid: str | None
    error: str | None
    body_sha256: str
    body_len: int
    segments: int
    body: str | None
    recipients: int
    created_at: str
    sent_at: str | None
    updated_at: str

    @property
    def accepted(self) -> bool:
        """The gateway took the message: never send it again."""
        return self.state in ACCEPTED_STATES


_COLUMNS = ", ".join(LedgerRow.__dataclass_fields__)


@dataclass(frozen=True)
class Progress:
    """How far a broadcast got (Ledger.progress)."""

    sent: int  # messages accepted (a group send counts once per member it reached)
    group_sent: bool  # it went out as a group send
    #: the fixed audience's numbers not messaged yet, nor failed for good (None: no audience
    #: fixed yet)
    unsent: frozenset[str] | None
    failed_for_good: int = 0  # rows failed with a FAILED_FOR_GOOD code


def _conclusiveness(row: LedgerRow) -> int:
    """Sent beats unknown beats failed: what was sent must never be sent again."""
    return 2 if row.accepted else 1 if row.state == SendState.PENDING else 0


class Ledger:
    """The ledger of a state backend; thread-safe. Use as a context manager.

    ``Ledger(path)`` is the local backend's file (``":memory:"``: a throw-away one)."""

    def __init__(
        self,
        state: Backend | Path | str,
        *,
        keep_bodies: bool | None = None,
        read_only: bool = False,
    ) -> None:
        if not isinstance(state, Backend):
            # read at call time: tests shorten it
            state = LocalBackend(state, busy_timeout=BUSY_TIMEOUT_S)
        self.backend = state
        #: the local file (the per-machine send lock sits beside it); ":memory:" otherwise
        self.path = state.path if isinstance(state, LocalBackend) else Path(":memory:")
        if keep_bodies is None:
            keep_bodies = os.environ.get(KEEP_BODIES_ENV, "").strip().lower() in (
                "1",
                "true",
                "yes",
            )
        self.keep_bodies = keep_bodies
        try:
            self._store = Store(state, read_only=read_only)
        except StateError as exc:
            raise BroadcastError(str(exc)) from None
        except sqlite3.Error as exc:
            raise BroadcastError(problem(self.where, exc)) from None
        self._db = self._store.db

    @property
    def where(self) -> str:
        return self.backend.where

    @property
    def store(self) -> Store:
        return self._store

    @contextmanager
    def _access(self) -> Iterator[None]:
        """One thread at a time; a storage failure becomes a BroadcastError naming the ledger."""
        with self._store.lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise BroadcastError(problem(self.where, exc)) from None
            except StateError as exc:
                raise BroadcastError(str(exc)) from None

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[Touched]:
        """One transaction, stored by the backend before it returns (``durable=False``: a
        write whose loss is safe, which a costly backend may batch: Backend.append)."""
        with self._access(), self._store.write(durable=durable) as touched:
            yield touched

    def close(self) -> None:
        with self._store.lock:
            self.backend.close()
            if not self._store.in_place:
                self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.where!r})"

    # ---- the gateway account this ledger belongs to --------------------------------------

    def bind_gateway(
        self, identity: str, *, claim: bool = True, formerly: Callable[[str], bool] | None = None
    ) -> None:
        """Tie the ledger to one gateway account (``user@endpoint``, no secrets).

        A ledger records what one account sent: read against another account it would skip
        recipients who never got the message there. So a ledger that already belongs to
        another account is refused with a clear error. An unbound ledger is bound to
        ``identity`` when ``claim`` (a run that sends), and left as it is otherwise (a plan).
        ``formerly``: whether a bound identity is this one as spelled before (it is rebound).
        """
        with self._access():
            row = self._db.execute("SELECT value FROM meta WHERE key='gateway'").fetchone()
        if row is None:
            if claim:
                with self._write() as touched:
                    self._db.execute(
                        "INSERT INTO meta (key, value) VALUES ('gateway', ?)", (identity,)
                    )
                    touched.add("meta", "gateway")
            return
        if row[0] != identity and formerly is not None and formerly(row[0]):
            if claim:
                with self._write() as touched:
                    self._db.execute("UPDATE meta SET value = ? WHERE key = 'gateway'", (identity,))
                    touched.add("meta", "gateway")
            return
        if row[0] != identity:
            raise BroadcastError(
                f"the ledger {self.where} records broadcasts sent through {row[0]}, not "
                f"{identity}: give each gateway account its own ledger (`ledger:` or `state:` "
                "in smsync.yaml), or move this one away to start afresh"
            )

    def gateway(self) -> str | None:
        """The account this ledger belongs to (None: not bound yet)."""
        with self._access():
            row = self._db.execute("SELECT value FROM meta WHERE key='gateway'").fetchone()
        return None if row is None else str(row[0])

    # ---- reads ---------------------------------------------------------------------------

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[LedgerRow]:
        with self._access():
            cur = self._db.execute(sql, tuple(args))
            return [LedgerRow(*r) for r in cur.fetchall()]

    def group_row(self, broadcast: str, group: str) -> LedgerRow | None:
        """The row of ``broadcast``'s send to ``group``, whatever case it was spelled in when
        recorded (the most conclusive one if case variants were recorded separately).

        A broadcast is one announcement: when it already went out (or may have) as a group
        send to another group — its audience was renamed or changed since — that row is
        returned, so the announcement is not sent again."""
        key = group_key(group)
        rows = [r for r in self.rows(broadcast) if r.kind == "group"]
        same = [r for r in rows if group_key(r.number.removeprefix(GROUP_ROW_PREFIX)) == key]
        if same:
            return max(same, key=_conclusiveness)
        other = max(rows, key=_conclusiveness, default=None)
        return other if other is not None and _conclusiveness(other) > 0 else None

    def get(self, broadcast: str, number: str) -> LedgerRow | None:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM sends WHERE broadcast=? AND number=?", (broadcast, number)
        )
        return rows[0] if rows else None

    def rows(self, broadcast: str | None = None) -> list[LedgerRow]:
        if broadcast is None:
            return self._rows(f"SELECT {_COLUMNS} FROM sends ORDER BY broadcast, number")
        return self._rows(
            f"SELECT {_COLUMNS} FROM sends WHERE broadcast=? ORDER BY number", (broadcast,)
        )

    def by_msgid(self, msgid: str) -> list[LedgerRow]:
        return self._rows(f"SELECT {_COLUMNS} FROM sends WHERE msgid=?", (msgid,))

    def broadcasts(self) -> list[str]:
        with self._access():
            cur = self._db.execute("SELECT DISTINCT broadcast FROM sends ORDER BY broadcast")
            return [r[0] for r in cur.fetchall()]

    def audience(self, broadcast: str) -> frozenset[str] | None:
        """The fixed audience of a ``mode: once`` broadcast (None: not sent yet, so not fixed).

        A broadcast sent before audiences were recorded has its recorded recipients (its
        per-contact rows, whatever their state) as its audience: what it reached then."""
        with self._access():
            cur = self._db.execute("SELECT number FROM audiences WHERE broadcast=?", (broadcast,))
            fixed = frozenset(r[0] for r in cur.fetchall())
            if not fixed:
                cur = self._db.execute(
                    "SELECT number FROM sends WHERE broadcast=? AND kind='contact'", (broadcast,)
                )
                fixed = frozenset(r[0] for r in cur.fetchall())
        return fixed or None

    def progress(self, broadcast: str) -> Progress:
        """How far ``broadcast`` got, in a few queries (no row objects: a plan asks this of
        every broadcast a repository keeps, complete ones included)."""
        accepted = ",".join("?" * len(ACCEPTED_STATES))
        states = sorted(ACCEPTED_STATES)
        final = ",".join("?" * len(FAILED_FOR_GOOD))
        codes = sorted(FAILED_FOR_GOOD)
        done = f"(s.state IN ({accepted}) OR (s.state=? AND COALESCE(s.error, '') IN ({final})))"
        with self._access():
            db = self._db
            hopeless = db.execute(
                f"SELECT COUNT(*) FROM sends WHERE broadcast=? AND state=? AND error IN ({final})",
                (broadcast, SendState.FAILED, *codes),
            ).fetchone()[0]
            sent, group_sent = db.execute(
                "SELECT COALESCE(SUM(recipients), 0), COALESCE(MAX(kind='group'), 0) FROM sends "
                f"WHERE broadcast=? AND state IN ({accepted})",
                (broadcast, *states),
            ).fetchone()
            if db.execute(
                "SELECT 1 FROM audiences WHERE broadcast=? LIMIT 1", (broadcast,)
            ).fetchone():
                cur = db.execute(
                    "SELECT a.number FROM audiences a WHERE a.broadcast=? AND NOT EXISTS "
                    "(SELECT 1 FROM sends s WHERE s.broadcast=a.broadcast AND s.number=a.number "
                    f"AND {done})",
                    (broadcast, *states, SendState.FAILED, *codes),
                )
                unsent: frozenset[str] | None = frozenset(r[0] for r in cur.fetchall())
            elif db.execute(
                "SELECT 1 FROM sends WHERE broadcast=? AND kind='contact' LIMIT 1", (broadcast,)
            ).fetchone():
                # sent before audiences were recorded: its recorded recipients are its audience
                cur = db.execute(
                    "SELECT number FROM sends s WHERE broadcast=? AND kind='contact' "
                    f"AND NOT {done}",
                    (broadcast, *states, SendState.FAILED, *codes),
                )
                unsent = frozenset(r[0] for r in cur.fetchall())
            else:
                unsent = None
        return Progress(int(sent), bool(group_sent), unsent, int(hopeless))

    def completed(self, broadcast: str) -> Progress | None:
        """The progress recorded when ``broadcast`` (mode once) was found complete, or None."""
        with self._access():
            row = self._db.execute(
                "SELECT value FROM meta WHERE key=?", (COMPLETE_PREFIX + broadcast,)
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return Progress(int(data["sent"]), False, frozenset(), int(data["failed_for_good"]))

    def mark_complete(self, broadcast: str, sent: int, failed_for_good: int) -> None:
        """Record that ``broadcast`` is complete, so that later plans read one row instead of
        checking its whole audience (written once: apply records it when a plan found it)."""
        if self.completed(broadcast) is not None:
            return
        value = json.dumps({"sent": sent, "failed_for_good": failed_for_good, "at": _now()})
        with self._write() as touched:
            key = COMPLETE_PREFIX + broadcast
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            touched.add("meta", key)

    def has_rows(self, broadcast: str) -> bool:
        with self._access():
            found = self._db.execute(
                "SELECT 1 FROM sends WHERE broadcast=? LIMIT 1", (broadcast,)
            ).fetchone()
        return found is not None

    def rows_by_broadcast(self) -> Counter[str]:
        """How many rows each broadcast has (one query, whatever the number of broadcasts)."""
        with self._access():
            cur = self._db.execute("SELECT broadcast, COUNT(*) FROM sends GROUP BY broadcast")
            return Counter({name: int(n) for name, n in cur.fetchall()})

    def counts(self, broadcast: str) -> Counter[str]:
        """Rows of ``broadcast`` by state (a group send counts once per member it reached)."""
        with self._access():
            cur = self._db.execute(
                "SELECT state, SUM(recipients) FROM sends WHERE broadcast=? GROUP BY state",
                (broadcast,),
            )
            return Counter({state: int(n) for state, n in cur.fetchall()})

    # ---- writes (each one committed before returning) ------------------------------------

    def fix_audience(self, broadcast: str, numbers: Iterable[str]) -> bool:
        """Record ``numbers`` as the audience of ``broadcast`` unless one is recorded already
        (True: recorded now). One durable write, before the broadcast's first message leaves:
        a run killed after it has fixed the audience for good."""
        now = _now()
        with self._write() as touched:
            if self._db.execute(
                "SELECT 1 FROM audiences WHERE broadcast=? LIMIT 1", (broadcast,)
            ).fetchone():
                return False
            for number in sorted(set(numbers)):
                touched.add("audiences", broadcast, number)
                self._db.execute(
                    "INSERT INTO audiences (broadcast, number, fixed_at) VALUES (?,?,?)",
                    (broadcast, number, now),
                )
            return True

    def record_pending(
        self,
        *,
        broadcast: str,
        number: str,
        kind: str,
        channel: str,
        trxid: str | None,
        attempt: int,
        body: str,
        segments: int,
        recipients: int = 1,
        fallback_from: str | None = None,
    ) -> None:
        """Insert or reset the row as pending (call this BEFORE sending)."""
        now = _now()
        with self._write() as touched:
            touched.add("sends", broadcast, number)
            self._db.execute(
                "INSERT INTO sends (broadcast, number, kind, channel, fallback_from, trxid, "
                "attempt, state, msgid, error, body_sha256, body_len, segments, body, "
                "recipients, created_at, sent_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,NULL,NULL,?,?,?,?,?,?,NULL,?) "
                "ON CONFLICT (broadcast, number) DO UPDATE SET kind=excluded.kind, "
                "channel=excluded.channel, fallback_from=excluded.fallback_from, "
                "trxid=excluded.trxid, attempt=excluded.attempt, state=excluded.state, "
                "msgid=NULL, error=NULL, body_sha256=excluded.body_sha256, "
                "body_len=excluded.body_len, segments=excluded.segments, body=excluded.body, "
                "recipients=excluded.recipients, updated_at=excluded.updated_at",
                (
                    broadcast,
                    number,
                    kind,
                    channel,
                    fallback_from,
                    trxid,
                    attempt,
                    SendState.PENDING,
                    body_hash(body),
                    len(body),
                    segments,
                    body if self.keep_bodies else None,
                    recipients,
                    now,
                    now,
                ),
            )

    def record_sent(self, broadcast: str, number: str, msgid: str | None) -> None:
        now = _now()
        # Lost, a per-contact row stays pending and is sent again with the same trxid, which
        # the gateway answers with the first send's result: safe to batch. A group send has
        # no trxid: its outcome is stored at once.
        with self._write(durable=number.startswith(GROUP_ROW_PREFIX)) as touched:
            touched.add("sends", broadcast, number)
            self._db.execute(
                "UPDATE sends SET state=?, msgid=?, error=NULL, sent_at=?, updated_at=? "
                "WHERE broadcast=? AND number=?",
                (SendState.SENT, msgid, now, now, broadcast, number),
            )
            if msgid is None:
                return
            early = self._db.execute(
                "SELECT state FROM early_reports WHERE msgid=?", (msgid,)
            ).fetchone()
            if early is not None:
                self._db.execute(
                    "UPDATE sends SET state=?, updated_at=? WHERE broadcast=? AND number=?",
                    (early[0], now, broadcast, number),
                )
                self._db.execute("DELETE FROM early_reports WHERE msgid=?", (msgid,))
                touched.add("early_reports", msgid)

    def record_failed(self, broadcast: str, number: str, code: str) -> None:
        with self._write() as touched:
            touched.add("sends", broadcast, number)
            self._db.execute(
                "UPDATE sends SET state=?, error=?, updated_at=? WHERE broadcast=? AND number=?",
                (SendState.FAILED, code, _now(), broadcast, number),
            )

    def update_state(self, broadcast: str, number: str, state: DeliveryState) -> None:
        """A newer delivery state (Report.aspx) of an accepted row; SENT changes nothing."""
        if not state.is_final:
            return
        placeholders = ",".join("?" * len(ACCEPTED_STATES))
        with self._write(durable=False) as touched:  # a report asked again if lost
            touched.add("sends", broadcast, number)
            self._db.execute(
                f"UPDATE sends SET state=?, updated_at=? WHERE broadcast=? AND number=? "
                f"AND state IN ({placeholders})",
                (state.value, _now(), broadcast, number, *sorted(ACCEPTED_STATES)),
            )

    def receive_delivery_report(self, msgid: str, state: DeliveryState) -> bool:
        """Record a delivery report; False when its msgid is unknown.

        A gateway may report a delivery before its answer to the send reached smsync, so
        before the ledger knows the msgid: while a send is in flight (a pending row exists), a
        final report for an unknown msgid is held (at most MAX_EARLY_REPORTS) and applied when
        the send is recorded."""
        if self.apply_delivery_report(msgid, state):
            return True
        if not state.is_final:
            return False
        with self._write(durable=False) as touched:
            # Again, in the transaction that would hold it: the send may have been recorded
            # since the try above, and a report held after that would never be applied.
            if self._set_state_by_msgid(touched, msgid, state):
                return True
            in_flight = self._db.execute(
                "SELECT 1 FROM sends WHERE state=? LIMIT 1", (SendState.PENDING,)
            ).fetchone()
            held = self._db.execute("SELECT COUNT(*) FROM early_reports").fetchone()[0]
            if in_flight is None or held >= MAX_EARLY_REPORTS:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO early_reports (msgid, state, received_at) VALUES (?,?,?)",
                (msgid, state.value, _now()),
            )
            touched.add("early_reports", msgid)
            return True

    def apply_delivery_report(self, msgid: str, state: DeliveryState) -> int:
        """Set the state of the accepted row(s) with ``msgid``; the number of rows updated
        (0: unknown msgid)."""
        with self._write(durable=False) as touched:
            return self._set_state_by_msgid(touched, msgid, state)

    def _set_state_by_msgid(self, touched: Touched, msgid: str, state: DeliveryState) -> int:
        placeholders = ",".join("?" * len(ACCEPTED_STATES))
        for key in self._db.execute(
            "SELECT broadcast, number FROM sends WHERE msgid=?", (msgid,)
        ).fetchall():
            touched.add("sends", *key)
        cur = self._db.execute(
            f"UPDATE sends SET state=?, updated_at=? WHERE msgid=? AND state IN ({placeholders})",
            (state.value, _now(), msgid, *sorted(ACCEPTED_STATES)),
        )
        return cur.rowcount

    def forget(self, broadcast: str) -> int:
        """Delete every row of ``broadcast`` (``smsync state forget``: allow sending it
        again); the number of rows deleted."""
        with self._write() as touched:
            keys = self._db.execute(
                "SELECT broadcast, number FROM sends WHERE broadcast=?", (broadcast,)
            ).fetchall()
            for key in keys:
                touched.add("sends", *key)
            self._db.execute("DELETE FROM sends WHERE broadcast=?", (broadcast,))
            fixed = self._db.execute(
                "SELECT broadcast, number FROM audiences WHERE broadcast=?", (broadcast,)
            ).fetchall()
            for key in fixed:
                touched.add("audiences", *key)
            self._db.execute("DELETE FROM audiences WHERE broadcast=?", (broadcast,))
            self._db.execute("DELETE FROM meta WHERE key=?", (COMPLETE_PREFIX + broadcast,))
            touched.add("meta", COMPLETE_PREFIX + broadcast)
            return len(keys)
