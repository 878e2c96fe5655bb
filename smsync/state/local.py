"""The ``local`` backend: one SQLite file on this machine (default ``.smsync/ledger.sqlite``).

Durability: a rollback journal (not WAL) and synchronous=FULL, so every row committed before a
send is in the ``.sqlite`` file itself, which survives a crash of the process or the machine
(in WAL mode committed rows may live only in the ``-wal`` file beside it).

The file is the state itself (:meth:`LocalBackend.sqlite_view`): writes go to it in place, and
another process on this machine (``smsync dlr serve``) sees them at once.

Its lock is a lock file beside it (``<file>.apply.lock``, with the holder in
``<file>.apply.lock.json``): it stops a second apply **on this machine only**. Runs on two
machines each with their own file are not stopped, and would not share what they sent; use a
shared backend (``git:``, ``postgresql://``) for that.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from smsync.state.backend import Backend, LockInfo, Record, StateError
from smsync.state.store import SCHEMA, TABLES

if TYPE_CHECKING:
    from filelock import FileLock

#: How long a write waits for another program holding the file before giving up (seconds).
BUSY_TIMEOUT_S = 30.0


def problem(where: str, exc: sqlite3.Error) -> str:
    """One clear line for an SQLite failure of the state file."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return (
            f"the ledger {where} is busy: another program (another smsync run?) holds it; "
            "nothing more was sent: run again when it is done"
        )
    return (
        f"the ledger {where} cannot be used ({exc}): it is not a smsync ledger or it is "
        "damaged; restore it from a backup (moving it away would send again every group "
        "broadcast it recorded)"
    )


def _check_path(path: Path) -> None:
    """A ledger is a regular file (or not there yet) in a directory: SQLite on a directory,
    a device or a FIFO fails late, hangs, or loses every row (/dev/null)."""
    if path.exists() and not path.is_file():
        raise StateError(
            f"the ledger {path} is not a regular file; `ledger:` (or `state:`) in "
            "smsync.yaml must name a file"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the ledger's folder {path.parent}: {exc.strerror or exc}"
        ) from None


class LocalBackend(Backend):
    KIND = "local"
    LOCK_SCOPE = "machine"

    def __init__(self, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self._memory = str(path) == ":memory:"
        self.busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None
        self._held: dict[str, FileLock] = {}

    @property
    def where(self) -> str:
        return str(self.path)

    @property
    def exists(self) -> bool:
        return self._memory or self.path.exists()

    def sqlite_view(self) -> sqlite3.Connection:
        if self._db is None:
            if not self._memory:
                _check_path(self.path)
            try:
                db = sqlite3.connect(
                    str(self.path),
                    check_same_thread=False,
                    isolation_level=None,
                    timeout=self.busy_timeout,
                )
                db.execute("PRAGMA journal_mode=DELETE")  # not WAL: see the module docstring
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(SCHEMA)
                for table in TABLES:
                    db.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                raise StateError(problem(self.where, exc)) from None
            self._db = db
        return self._db

    def read(self) -> Iterator[Record]:
        from smsync.state.store import Store

        try:
            yield from Store(self).records()
        except sqlite3.Error as exc:
            raise StateError(problem(self.where, exc)) from None

    def append(self, records: Sequence[Record], *, durable: bool = True) -> None:
        from smsync.state.store import Store

        store = Store(self)
        try:
            with store.write():
                store.load(records)
        except sqlite3.Error as exc:
            raise StateError(problem(self.where, exc)) from None

    # ---- the lock: this machine only ---------------------------------------------------

    def _lock_file(self, account: str) -> Path:
        # one file per state file: one state file belongs to one gateway account
        return Path(str(self.path) + ".apply.lock")

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        if self._memory:
            return None
        lock_path = self._lock_file(info.account)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        # imported here: only apply and state commands lock; a plan starts faster without it
        from filelock import FileLock, Timeout

        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return self._holder(lock_path) or LockInfo(
                "unknown", info.account, "another process on this machine", "?", "?"
            )
        self._held[info.id] = lock
        Path(str(lock_path) + ".json").write_text(info.to_json(), encoding="utf-8")
        return None

    def _holder(self, lock_path: Path) -> LockInfo | None:
        try:
            return LockInfo.from_json(Path(str(lock_path) + ".json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None

    def release(self, info: LockInfo) -> None:
        lock = self._held.pop(info.id, None)
        if lock is not None:
            Path(str(lock.lock_file) + ".json").unlink(missing_ok=True)
            lock.release()

    def locks(self) -> list[LockInfo]:
        lock_path = self._lock_file("")
        info = self._holder(lock_path)
        if info is None:
            return []
        from filelock import FileLock, Timeout

        probe = FileLock(str(lock_path))
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return [info]
        probe.release()
        return []  # a record left by a killed run: its lock ended with its process

    def unlock(self, lock_id: str) -> LockInfo:
        held = [i for i in self.locks() if i.id == lock_id]
        if held:
            raise StateError(
                f"lock {lock_id} is held by a live process ({held[0].who}): a local lock ends "
                "with its process; stop that run instead"
            )
        info = self._holder(self._lock_file(""))
        if info is None or info.id != lock_id:
            raise StateError(f"no lock {lock_id} in {self.where}")
        Path(str(self._lock_file("")) + ".json").unlink(missing_ok=True)
        return info

    def close(self) -> None:
        for lock in self._held.values():
            lock.release()
        self._held.clear()
        if self._db is not None:
            self._db.close()
            self._db = None
