"""The ``postgresql`` backend: the state as rows of a PostgreSQL database (psycopg 3).

``state: postgresql://USER@HOST/DB`` (the password from the URL, ``PGPASSWORD`` or
``~/.pgpass``; it is never shown: messages name the URL without it). Two tables, created on
first write:

- ``smsync_state (tbl, key, row)``: one row per state row, written row by row (an upsert or a
  delete per record, one transaction per write, committed before ``append`` returns);
- ``smsync_locks``: who holds the apply lock of each gateway account. The lock itself is a
  session advisory lock (``pg_try_advisory_lock``) on a connection held for the whole apply: the
  server drops it when that connection ends (a killed runner), so a lock cannot outlive its run
  for longer than the server takes to see the connection gone; ``smsync state unlock ID``
  ends that connection at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from smsync.state.backend import Backend, LockInfo, Record, StateError

# The advisory lock serialises the DDL: two runners creating the tables at once would race
# inside PostgreSQL ("duplicate key value violates unique constraint pg_type_typname_nsp_index",
# a known CREATE TABLE IF NOT EXISTS race); it ends with the transaction.
_SCHEMA = """
SELECT pg_advisory_xact_lock(hashtextextended('smsync:schema', 0));
CREATE TABLE IF NOT EXISTS smsync_state (
    tbl        text NOT NULL,
    key        text NOT NULL,
    row        jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tbl, key)
);
CREATE TABLE IF NOT EXISTS smsync_locks (
    account text PRIMARY KEY,
    id      text NOT NULL,
    who     text NOT NULL,
    since   text NOT NULL,
    expires text NOT NULL,
    pid     integer NOT NULL
);
"""


def masked_url(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresBackend(Backend):
    KIND = "postgresql"
    LOCK_SCOPE = "shared"

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None
        self._lock_conn: Any = None

    @property
    def where(self) -> str:
        return masked_url(self.url)

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise StateError(
                "the postgresql state backend needs psycopg: pip install 'smsync[postgresql]'"
            ) from None
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StateError(
                f"cannot reach the state database {self.where}: "
                f"{first.replace(self.url, self.where)}"
            ) from None

    @property
    def conn(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        for attempt in (1, 2):
            try:
                cur = self.conn.execute(sql, args)
                return list(cur.fetchall()) if cur.description else []
            except psycopg.OperationalError as exc:
                # the server restarted or the connection dropped: every statement here is
                # a read or an idempotent write, so one more try on a new connection is safe
                self._drop()
                if attempt == 2:
                    raise StateError(
                        f"the state database {self.where} failed: {_first_line(exc)}"
                    ) from None
            except psycopg.Error as exc:
                self._drop()
                raise StateError(
                    f"the state database {self.where} failed: {_first_line(exc)}"
                ) from None
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def exists(self) -> bool:
        return bool(self._run("SELECT to_regclass('smsync_state') IS NOT NULL")[0][0])

    def _ensure(self) -> None:
        self._run(_SCHEMA)

    def read(self) -> Iterator[Record]:
        if not self.exists:
            return
        for tbl, key, row in self._run("SELECT tbl, key, row FROM smsync_state ORDER BY tbl, key"):
            yield Record(tbl, tuple(json.loads(key)), row)

    def append(self, records: Sequence[Record], *, durable: bool = True) -> None:
        import psycopg
        from psycopg.types.json import Jsonb

        self._ensure()
        for attempt in (1, 2):
            try:
                with self.conn.transaction():
                    for rec in records:
                        key = json.dumps(list(rec.key))
                        if rec.row is None:
                            self.conn.execute(
                                "DELETE FROM smsync_state WHERE tbl=%s AND key=%s", (rec.table, key)
                            )
                        else:
                            self.conn.execute(
                                "INSERT INTO smsync_state (tbl, key, row) VALUES (%s, %s, %s) "
                                "ON CONFLICT (tbl, key) DO UPDATE SET row=excluded.row, "
                                "updated_at=now()",
                                (rec.table, key, Jsonb(rec.row)),
                            )
                return
            except psycopg.OperationalError as exc:
                # row images: writing them again is harmless, so a dropped connection (a
                # restarted server) gets one more try on a new one
                self._drop()
                if attempt == 2:
                    raise StateError(
                        f"the state database {self.where} did not store the "
                        f"write: {_first_line(exc)}"
                    ) from None
            except psycopg.Error as exc:
                self._drop()
                raise StateError(
                    f"the state database {self.where} did not store the write: {_first_line(exc)}"
                ) from None

    # ---- the lock: an advisory lock held by a connection of its own ----------------------

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        import psycopg

        self._ensure()
        conn = self._lock_conn or self._connect()
        self._lock_conn = conn
        try:
            got = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", ("smsync:" + info.account,)
            ).fetchone()[0]
            if not got:
                row = conn.execute(
                    "SELECT id, account, who, since, expires FROM smsync_locks WHERE account=%s",
                    (info.account,),
                ).fetchone()
                return (
                    LockInfo(*row)
                    if row
                    else LockInfo("unknown", info.account, "another session", "?", "?")
                )
            conn.execute(
                "INSERT INTO smsync_locks (account, id, who, since, expires, pid) "
                "VALUES (%s,%s,%s,%s,%s,pg_backend_pid()) ON CONFLICT (account) DO UPDATE SET "
                "id=excluded.id, who=excluded.who, since=excluded.since, "
                "expires=excluded.expires, pid=excluded.pid",
                (info.account, info.id, info.who, info.since, info.expires),
            )
        except psycopg.Error as exc:
            raise StateError(
                f"cannot lock the state database {self.where}: {str(exc).strip().splitlines()[0]}"
            ) from None
        return None

    def release(self, info: LockInfo) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        try:
            conn.execute("DELETE FROM smsync_locks WHERE id=%s", (info.id,))
        finally:
            conn.close()  # ends the session: the advisory lock with it

    def locks(self) -> list[LockInfo]:
        if not self.exists:
            return []
        return [
            LockInfo(*row)
            for row in self._run(
                "SELECT l.id, l.account, l.who, l.since, l.expires FROM smsync_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid ORDER BY l.account"
            )
        ]

    def unlock(self, lock_id: str) -> LockInfo:
        rows = (
            self._run(
                "SELECT id, account, who, since, expires, pid FROM smsync_locks WHERE id=%s",
                (lock_id,),
            )
            if self.exists
            else []
        )
        if not rows:
            raise StateError(f"no lock {lock_id} in {self.where}")
        *fields, pid = rows[0]
        self._run("SELECT pg_terminate_backend(%s)", (pid,))
        self._run("DELETE FROM smsync_locks WHERE id=%s", (lock_id,))
        return LockInfo(*fields)

    def close(self) -> None:
        self._drop()
        if self._lock_conn is not None:
            self._lock_conn.close()
            self._lock_conn = None
