"""The state as SQLite tables, written through to a backend.

Code that remembers things (the broadcast ledger, protection memory) reads and writes SQL
tables here, whatever the backend: for ``local`` the tables are the backend's own file; for
the others they are an in-memory copy read at open, and every write transaction ends with the
changed rows' images appended to the backend (durably) before it commits.

Tables and their keys are data (``TABLES``): the key of a row is how a record finds it again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from smsync.state.backend import Backend, Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    broadcast     TEXT NOT NULL,
    number        TEXT NOT NULL,      -- E.164, or 'group:<name>' for a group send
    kind          TEXT NOT NULL,      -- 'contact' | 'group'
    channel       TEXT NOT NULL,      -- channel of the current/last attempt: 'sms' | 'whatsapp'
    fallback_from TEXT,               -- 'whatsapp' when this is the SMS fallback
    trxid         TEXT,
    attempt       INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    msgid         TEXT,
    error         TEXT,               -- gateway code of the last definite failure
    body_sha256   TEXT NOT NULL,
    body_len      INTEGER NOT NULL,
    segments      INTEGER NOT NULL,
    body          TEXT,               -- only with keep_bodies
    recipients    INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (broadcast, number)
);
CREATE INDEX IF NOT EXISTS sends_msgid ON sends (msgid);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- delivery reports that arrived before the send's answer (and so before its msgid was known)
CREATE TABLE IF NOT EXISTS early_reports (
    msgid       TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    received_at TEXT NOT NULL
);
-- protection memory: groups ('group', key, '') and contacts ('contact', group key, number)
-- applied with `protect: true` and not yet applied without it
CREATE TABLE IF NOT EXISTS protected (
    kind        TEXT NOT NULL,
    grp         TEXT NOT NULL,
    number      TEXT NOT NULL,
    name        TEXT NOT NULL,        -- as spelled in the spec, for messages
    applied_at  TEXT NOT NULL,
    PRIMARY KEY (kind, grp, number)
);
-- the fixed audience of a `mode: once` broadcast: every recipient, written before its first
-- message leaves, so people who join later never get it (a killed first run fixed it too)
CREATE TABLE IF NOT EXISTS audiences (
    broadcast  TEXT NOT NULL,
    number     TEXT NOT NULL,         -- E.164
    fixed_at   TEXT NOT NULL,
    PRIMARY KEY (broadcast, number)
);
"""

#: Each table's key columns, in order.
TABLES: dict[str, tuple[str, ...]] = {
    "sends": ("broadcast", "number"),
    "meta": ("key",),
    "early_reports": ("msgid",),
    "protected": ("kind", "grp", "number"),
    "audiences": ("broadcast", "number"),
}


class Store:
    """One connection behind a lock; ``write`` is one transaction, appended before commit."""

    def __init__(self, backend: Backend, *, read_only: bool = False) -> None:
        self.backend = backend
        view = None if read_only and not backend.exists else backend.sqlite_view()
        self.in_place = view is not None
        self.db = (
            view
            if view is not None
            else sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        )
        self.lock = threading.Lock()
        self.db.executescript(SCHEMA)
        if not self.in_place and backend.exists:
            self.load(backend.read())

    def load(self, records: Iterable[Record]) -> None:
        for rec in records:
            self._put(rec)

    def _put(self, rec: Record) -> None:
        keys = TABLES.get(rec.table)
        if keys is None:
            return  # a table of a newer smsync: kept by the backend, unused here
        where = " AND ".join(f"{k}=?" for k in keys)
        self.db.execute(f"DELETE FROM {rec.table} WHERE {where}", rec.key)
        if rec.row is not None:
            cols = list(rec.row)
            self.db.execute(
                f"INSERT INTO {rec.table} ({', '.join(cols)}) VALUES "
                f"({', '.join('?' * len(cols))})",
                [rec.row[c] for c in cols],
            )

    def records(self) -> Iterator[Record]:
        """Every row of the view as records (for ``state migrate`` and ``show``)."""
        for table, keys in TABLES.items():
            cur = self.db.execute(f"SELECT * FROM {table} ORDER BY {', '.join(keys)}")
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(names, values, strict=True))
                yield Record(table, tuple(str(row[k]) for k in keys), row)

    def _image(self, table: str, key: tuple[str, ...]) -> Record:
        where = " AND ".join(f"{k}=?" for k in TABLES[table])
        cur = self.db.execute(f"SELECT * FROM {table} WHERE {where}", key)
        names = [d[0] for d in cur.description]
        found = cur.fetchone()
        row: dict[str, Any] | None = None if found is None else dict(zip(names, found, strict=True))
        return Record(table, key, row)

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Touched]:
        """A transaction: the caller names every key it touches; their new images reach the
        backend before the transaction commits (a failed append rolls it back).
        ``durable=False``: see :meth:`Backend.append`."""
        touched = Touched()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield touched
            if not self.in_place and touched.keys:
                self.backend.append([self._image(t, k) for t, k in touched.keys], durable=durable)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


class Touched:
    """The keys a write transaction changed, in order, each once."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, tuple[str, ...]]] = []

    def add(self, table: str, *key: object) -> None:
        item = (table, tuple(str(k) for k in key))
        if item not in self.keys:
            self.keys.append(item)
