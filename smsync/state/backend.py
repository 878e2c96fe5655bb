"""The state backend interface: what every place smsync keeps its state in must do.

smsync remembers between runs what it sent (the broadcast ledger), what it was told never to
delete (protection memory) and the gateway account all of it belongs to. That state is a set of
rows in a few tables (:mod:`smsync.state.schema`); a backend stores them and hands them back:

- ``read()``: the row images, as :class:`Record` s, in the order written;
- ``append(records)``: new row images, **durable before it returns** (a send's *pending* row
  must outlive a killed process before the request leaves); ``durable=False`` marks records
  whose loss is safe, which a costly backend may batch;
- ``lock(account, timeout)`` / ``unlock(lock_id)``: one apply at a time per gateway account.

A record is a whole row image (or a deletion), never a delta: replaying records in order and
keeping the last image of each key rebuilds the state, so an append-only journal (git) and a
row store (SQLite, PostgreSQL) hold the same thing. Capabilities are declared, not discovered:
``LOCK_SCOPE`` says how far a backend's lock reaches.
"""

from __future__ import annotations

import abc
import getpass
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from smsync.errors import SmsyncError

#: A lock not renewed for this long may be taken over (git: an entry, not a live session).
LOCK_TTL = timedelta(hours=2)


class StateError(SmsyncError):
    """The state cannot be read or written (unreachable, damaged, misconfigured)."""


class StateLocked(StateError):
    """Another apply holds the lock of this gateway account."""

    def __init__(self, holder: LockInfo, waited: float) -> None:
        self.holder = holder
        super().__init__(
            f"another smsync apply holds the state lock of {holder.account}: lock {holder.id}, "
            f"held by {holder.who} since {holder.since}"
            + (f" (waited {waited:g}s)" if waited else "")
            + f"; wait for it (--lock-timeout SECONDS), or if that run is dead: "
            f"smsync state unlock {holder.id}"
        )


@dataclass(frozen=True)
class Record:
    """One row image: ``row`` None deletes the key."""

    table: str
    key: tuple[str, ...]
    row: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "key": list(self.key), "row": self.row}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(str(data["table"]), tuple(str(k) for k in data["key"]), data["row"])


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or held) an apply lock: shown when another run is refused."""

    id: str
    account: str
    who: str
    since: str
    expires: str

    @classmethod
    def new(cls, account: str) -> LockInfo:
        now = datetime.now(UTC)
        return cls(
            id=uuid.uuid4().hex[:12],
            account=account,
            who=f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"
            + (f" ({os.environ['GITHUB_RUN_ID']})" if os.environ.get("GITHUB_RUN_ID") else ""),
            since=now.isoformat(timespec="seconds"),
            expires=(now + LOCK_TTL).isoformat(timespec="seconds"),
        )

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires) < datetime.now(UTC)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        return cls(**json.loads(text))


class Backend(abc.ABC):
    """Where the state lives. Use as a context manager (``close`` on exit)."""

    #: "machine": the lock stops runs on this machine only; "shared": runs anywhere.
    LOCK_SCOPE: ClassVar[str] = "shared"
    #: The backend's name in ``state:`` URLs.
    KIND: ClassVar[str]

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """Where the state is, for messages (no password)."""

    @property
    def exists(self) -> bool:
        """Whether anything was ever written (planning creates nothing)."""
        return True

    @abc.abstractmethod
    def read(self) -> Iterator[Record]:
        """Every row image, in the order written: replayed, the last image of each key is
        the state (a journal may hold older ones too)."""

    @abc.abstractmethod
    def append(self, records: Sequence[Record], *, durable: bool = True) -> None:
        """Store ``records`` durably before returning. ``durable=False``: a record whose loss
        is safe (an outcome after the send: lost, the row stays *pending*, an unknown outcome
        that is never sent twice); a backend whose writes are costly (git) may hold it until
        the next durable write or ``close``."""

    @abc.abstractmethod
    def try_lock(self, info: LockInfo) -> LockInfo | None:
        """Take the lock of ``info.account``; the holder's info when someone else has it."""

    @abc.abstractmethod
    def release(self, info: LockInfo) -> None:
        """Give back a lock this process took."""

    @abc.abstractmethod
    def locks(self) -> list[LockInfo]:
        """The locks held now (as recorded)."""

    @abc.abstractmethod
    def unlock(self, lock_id: str) -> LockInfo:
        """Break the lock ``lock_id`` (a dead run's); StateError when there is none."""

    def sqlite_view(self) -> sqlite3.Connection | None:
        """An SQLite database that IS the state (written in place), or None: then the state
        is read into memory and every write appended here."""
        return None

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to close
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(
        self, account: str, timeout: float = 0.0, sleep: Callable[[float], None] = time.sleep
    ) -> LockInfo:
        """Take the apply lock of ``account``, waiting up to ``timeout`` seconds; StateLocked
        naming the holder otherwise."""
        info = LockInfo.new(account)
        start = time.monotonic()
        while True:
            holder = self.try_lock(info)
            if holder is None:
                return info
            waited = time.monotonic() - start
            if waited >= timeout:
                raise StateLocked(holder, round(waited, 1))
            sleep(min(0.5, timeout - waited))
