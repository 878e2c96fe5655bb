"""SQLite state of the sandbox gateway: accounts, groups, contacts, messages, trxids.

One connection (``check_same_thread=False``) guarded by one lock: every public method is a
single critical section, so concurrent HTTP requests see the same serial order a real server
would, and multi-step operations (credit check + send) are atomic. File databases use WAL so
``smsync sandbox show`` can read while a server writes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsync.sandbox import protocol as p

SCHEMA_VERSION = 1
DEFAULT_CREDIT = 1000
#: msgids are numbers; starting high makes them look like a real gateway's and never "0".
MSGID_BASE = 100_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(
    username TEXT PRIMARY KEY, password TEXT NOT NULL,
    credit INTEGER NOT NULL, dlr_url TEXT);
CREATE TABLE IF NOT EXISTS groups(
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
    name TEXT NOT NULL, name_key TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS groups_key ON groups(account, name_key);
CREATE TABLE IF NOT EXISTS contacts(
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
    name TEXT NOT NULL, name_key TEXT NOT NULL, mobile TEXT NOT NULL,
    group_id INTEGER NOT NULL, address TEXT NOT NULL DEFAULT '',
    birth TEXT, description TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS contacts_account ON contacts(account, id);
CREATE INDEX IF NOT EXISTS contacts_group ON contacts(group_id, id);
CREATE TABLE IF NOT EXISTS batches(
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
    group_name TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY, msgid TEXT NOT NULL UNIQUE, account TEXT NOT NULL,
    trxid TEXT, channel TEXT NOT NULL, mobile TEXT NOT NULL, type INTEGER NOT NULL,
    text TEXT NOT NULL, segments INTEGER NOT NULL, status TEXT NOT NULL,
    batch_id TEXT, created TEXT NOT NULL, due REAL NOT NULL);
CREATE INDEX IF NOT EXISTS messages_status ON messages(status);
CREATE TABLE IF NOT EXISTS trx(
    account TEXT NOT NULL, trxid TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY(account, trxid));
"""


class StoreError(Exception):
    """The database cannot be opened or is not a sandbox database."""


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    mobile: str
    group: str
    address: str
    birth: str | None  # ISO date
    desc: str


@dataclass(frozen=True)
class Outgoing:
    """One message to send: destination, text as the recipient sees it, cost."""

    mobile: str
    text: str
    type: int
    segments: int


@dataclass(frozen=True)
class Pending:
    """A sent message waiting for its final delivery state."""

    msgid: str
    mobile: str
    due: float


def _key(name: str) -> str:
    # Group and contact names compare case-insensitively, for any script (not just ASCII).
    return name.casefold()


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _birth_iso(birth: str | dt.date | None) -> str | None:
    if birth is None:
        return None
    if isinstance(birth, dt.date):
        return birth.isoformat()
    parsed = p.parse_birth(birth)
    return parsed.isoformat() if parsed else None


class Store:
    """The sandbox's state. All methods are thread-safe."""

    def __init__(
        self,
        path: str = ":memory:",
        *,
        default_dlr_url: str | None = None,
        readonly: bool = False,
    ) -> None:
        self.path = path
        self.default_dlr_url = default_dlr_url
        self._lock = threading.RLock()
        if readonly:
            if path == ":memory:" or not Path(path).is_file():
                raise StoreError(f"{path}: no such sandbox database")
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            try:
                self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            except sqlite3.DatabaseError as exc:
                self._db.close()
                raise StoreError(f"{path}: not a sandbox database ({exc})") from None
            return
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open sandbox database ({exc})") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction under the store lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- accounts -------------------------------------------------------------------------

    def upsert_account(
        self,
        username: str,
        password: str,
        credit: int | None = None,
        dlr_url: str | None = None,
    ) -> None:
        """Create the account, or update its password (and credit / dlr_url when given).

        A new account gets ``credit`` (default 1000) and ``dlr_url`` (default: the server's).
        """
        with self._tx() as db:
            row = db.execute("SELECT 1 FROM accounts WHERE username = ?", (username,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO accounts VALUES (?, ?, ?, ?)",
                    (
                        username,
                        password,
                        DEFAULT_CREDIT if credit is None else credit,
                        dlr_url if dlr_url is not None else self.default_dlr_url,
                    ),
                )
                return
            db.execute("UPDATE accounts SET password = ? WHERE username = ?", (password, username))
            if credit is not None:
                db.execute("UPDATE accounts SET credit = ? WHERE username = ?", (credit, username))
            if dlr_url is not None:
                db.execute(
                    "UPDATE accounts SET dlr_url = ? WHERE username = ?", (dlr_url, username)
                )

    def ensure_account(
        self,
        username: str,
        password: str,
        credit: int = DEFAULT_CREDIT,
        dlr_url: str | None = None,
    ) -> None:
        """Create the account with ``credit`` if it does not exist; otherwise only make sure the
        password matches (its credit and messages are kept across runs)."""
        with self._lock:  # re-entrant: check and create as one step
            if self.password_of(username) is not None:
                self.upsert_account(username, password)
            else:
                self.upsert_account(username, password, credit=credit, dlr_url=dlr_url)

    def password_of(self, username: str) -> str | None:
        rows = self._query("SELECT password FROM accounts WHERE username = ?", (username,))
        return str(rows[0][0]) if rows else None

    def credit(self, username: str) -> int:
        rows = self._query("SELECT credit FROM accounts WHERE username = ?", (username,))
        if not rows:
            raise p.ApiError(p.BAD_AUTH)
        return int(rows[0][0])

    def set_credit(self, username: str, credit: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE accounts SET credit = ? WHERE username = ?", (credit, username))

    def change_password(self, username: str, new_password: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE accounts SET password = ? WHERE username = ?", (new_password, username)
            )

    # --- groups ---------------------------------------------------------------------------

    def _group_id(self, db: sqlite3.Connection, account: str, name: str) -> int | None:
        row = db.execute(
            "SELECT id FROM groups WHERE account = ? AND name_key = ?", (account, _key(name))
        ).fetchone()
        return None if row is None else int(row[0])

    def add_group(self, account: str, name: str) -> int:
        """New group id; ApiError(1711) when the name is empty or exists (any case)."""
        name = name.strip()
        with self._tx() as db:
            if not name or self._group_id(db, account, name) is not None:
                raise p.ApiError(p.BAD_GROUP_NAME)
            cur = db.execute(
                "INSERT INTO groups(account, name, name_key) VALUES (?, ?, ?)",
                (account, name, _key(name)),
            )
            return int(cur.lastrowid or 0)

    def edit_group(self, account: str, group_id: int, name: str) -> None:
        name = name.strip()
        with self._tx() as db:
            if not db.execute(
                "SELECT 1 FROM groups WHERE account = ? AND id = ?", (account, group_id)
            ).fetchone():
                raise p.ApiError(p.BAD_GROUP_ID)
            other = self._group_id(db, account, name) if name else None
            if not name or (other is not None and other != group_id):
                raise p.ApiError(p.BAD_GROUP_NAME)
            db.execute(
                "UPDATE groups SET name = ?, name_key = ? WHERE id = ?",
                (name, _key(name), group_id),
            )

    def delete_group(self, account: str, group_id: int) -> None:
        """Delete an empty group; 1712 when unknown, 1705 when it still has members."""
        with self._tx() as db:
            if not db.execute(
                "SELECT 1 FROM groups WHERE account = ? AND id = ?", (account, group_id)
            ).fetchone():
                raise p.ApiError(p.BAD_GROUP_ID)
            members = db.execute("SELECT 1 FROM contacts WHERE group_id = ? LIMIT 1", (group_id,))
            if members.fetchone():
                raise p.ApiError(p.FAILED)
            db.execute("DELETE FROM groups WHERE id = ?", (group_id,))

    def list_groups(self, account: str, page: int, size: int) -> list[tuple[int, str]]:
        rows = self._query(
            "SELECT id, name FROM groups WHERE account = ? ORDER BY id LIMIT ? OFFSET ?",
            (account, size, (page - 1) * size),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def find_groups(self, account: str, text: str, limit: int) -> list[tuple[int, str]]:
        rows = self._query(
            "SELECT id, name FROM groups WHERE account = ? AND instr(name_key, ?) > 0 "
            "ORDER BY id LIMIT ?",
            (account, _key(text), limit),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    # --- contacts -------------------------------------------------------------------------

    _CONTACT_SELECT = (
        "SELECT c.id, c.name, c.mobile, g.name, c.address, c.birth, c.description "
        "FROM contacts c JOIN groups g ON g.id = c.group_id "
    )

    @staticmethod
    def _contact(row: Any) -> Contact:
        return Contact(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])

    def add_contact(
        self,
        account: str,
        name: str,
        mobile: str,
        group: str,
        address: str = "",
        birth: str | dt.date | None = None,
        desc: str = "",
        *,
        create_group: bool = True,
    ) -> int:
        """New contact id. Direct callers get a missing group created (``create_group``); the
        HTTP API passes False and gets ApiError(1711) instead, like the real gateway."""
        birth_iso = _birth_iso(birth)
        with self._tx() as db:
            group_id = self._group_id(db, account, group)
            if group_id is None:
                if not create_group or not group.strip():
                    raise p.ApiError(p.BAD_GROUP_NAME)
                group_id = int(
                    db.execute(
                        "INSERT INTO groups(account, name, name_key) VALUES (?, ?, ?)",
                        (account, group.strip(), _key(group.strip())),
                    ).lastrowid
                    or 0
                )
            cur = db.execute(
                "INSERT INTO contacts(account, name, name_key, mobile, group_id, address, birth,"
                " description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (account, name, _key(name), mobile, group_id, address, birth_iso, desc),
            )
            return int(cur.lastrowid or 0)

    def bulk_add_contacts(self, account: str, rows: Iterable[tuple[str, str, str]]) -> None:
        """Insert many (name, mobile, group) rows in one transaction; missing groups are created."""
        with self._tx() as db:
            groups: dict[str, int] = {}
            for key, gid in db.execute(
                "SELECT name_key, id FROM groups WHERE account = ?", (account,)
            ):
                groups[key] = gid

            def records() -> Iterator[tuple[str, str, str, str, int]]:
                for name, mobile, group in rows:
                    key = _key(group)
                    if key not in groups:
                        groups[key] = int(
                            db.execute(
                                "INSERT INTO groups(account, name, name_key) VALUES (?, ?, ?)",
                                (account, group, key),
                            ).lastrowid
                            or 0
                        )
                    yield account, name, _key(name), mobile, groups[key]

            # Materialise first: a cursor cannot insert groups while executemany iterates.
            batch = list(records())
            db.executemany(
                "INSERT INTO contacts(account, name, name_key, mobile, group_id) "
                "VALUES (?, ?, ?, ?, ?)",
                batch,
            )

    def edit_contact(
        self,
        account: str,
        contact_id: int,
        *,
        name: str | None = None,
        mobile: str | None = None,
        group: str | None = None,
        address: str | None = None,
        birth: str | None = None,
        desc: str | None = None,
    ) -> None:
        """Change the given fields (None = keep). 1722 unknown id, 1711 unknown group."""
        birth_iso = _birth_iso(birth) if birth is not None else None
        with self._tx() as db:
            if not db.execute(
                "SELECT 1 FROM contacts WHERE account = ? AND id = ?", (account, contact_id)
            ).fetchone():
                raise p.ApiError(p.BAD_CONTACT_ID)
            updates: dict[str, Any] = {}
            if group is not None:
                group_id = self._group_id(db, account, group)
                if group_id is None:
                    raise p.ApiError(p.BAD_GROUP_NAME)
                updates["group_id"] = group_id
            if name is not None:
                updates["name"], updates["name_key"] = name, _key(name)
            if mobile is not None:
                updates["mobile"] = mobile
            if address is not None:
                updates["address"] = address
            if birth is not None:
                updates["birth"] = birth_iso
            if desc is not None:
                updates["description"] = desc
            if updates:
                sets = ", ".join(f"{col} = ?" for col in updates)
                db.execute(
                    f"UPDATE contacts SET {sets} WHERE id = ?", (*updates.values(), contact_id)
                )

    def delete_contact(self, account: str, contact_id: int) -> None:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM contacts WHERE account = ? AND id = ?", (account, contact_id)
            )
            if cur.rowcount == 0:
                raise p.ApiError(p.BAD_CONTACT_ID)

    def get_contact(self, account: str, contact_id: int) -> Contact | None:
        rows = self._query(
            self._CONTACT_SELECT + "WHERE c.account = ? AND c.id = ?", (account, contact_id)
        )
        return self._contact(rows[0]) if rows else None

    def list_contacts(
        self, account: str, page: int, size: int, group: str | None = None
    ) -> list[Contact]:
        # OFFSET walks the skipped rows: pick the page's ids from a covering index first so
        # deep pages of a 100k phonebook stay cheap, then join only those rows.
        if group is None:
            ids = "SELECT id FROM contacts WHERE account = ? ORDER BY id LIMIT ? OFFSET ?"
            args: tuple[Any, ...] = (account, size, (page - 1) * size)
        else:
            ids = (
                "SELECT id FROM contacts WHERE group_id = (SELECT id FROM groups"
                " WHERE account = ? AND name_key = ?) ORDER BY id LIMIT ? OFFSET ?"
            )
            args = (account, _key(group), size, (page - 1) * size)
        rows = self._query(self._CONTACT_SELECT + f"WHERE c.id IN ({ids}) ORDER BY c.id", args)
        return [self._contact(r) for r in rows]

    def find_contacts(
        self,
        account: str,
        *,
        name: str | None = None,
        mobile: str | None = None,
        limit: int = p.SEARCH_LIMIT,
        prefix: bool = False,
    ) -> list[Contact]:
        """Partial, case-insensitive match on the name or on the mobile as stored (``prefix``:
        the stored value must start with the text)."""
        column, text = ("c.name_key", _key(name)) if name is not None else ("c.mobile", mobile)
        where = f"instr({column}, ?) = 1" if prefix else f"instr({column}, ?) > 0"
        rows = self._query(
            self._CONTACT_SELECT + f"WHERE c.account = ? AND {where} ORDER BY c.id LIMIT ?",
            (account, text, limit),
        )
        return [self._contact(r) for r in rows]

    def group_members(self, account: str, group: str) -> list[str] | None:
        """Mobiles of a group's members in id order; None when the group does not exist."""
        with self._lock:
            group_id = self._group_id(self._db, account, group)
            if group_id is None:
                return None
            rows = self._db.execute(
                "SELECT mobile FROM contacts WHERE group_id = ? ORDER BY id", (group_id,)
            ).fetchall()
        return [str(r[0]) for r in rows]

    # --- messages -------------------------------------------------------------------------

    def send(
        self,
        account: str,
        channel: str,
        items: list[Outgoing],
        *,
        delay_s: float,
        success_body: Callable[[str], str],
        trxid: str | None = None,
        group_name: str | None = None,
    ) -> tuple[str, list[Pending]]:
        """Accept messages atomically: all or nothing, charged only on success.

        Returns the response body (``success_body(msgid or batch id)``) and the messages to
        finalise later. A repeated trxid returns the first body and sends nothing; 1708 when
        the credit does not cover every segment.
        """
        with self._tx() as db:
            if trxid:
                row = db.execute(
                    "SELECT body FROM trx WHERE account = ? AND trxid = ?", (account, trxid)
                ).fetchone()
                if row is not None:
                    return str(row[0]), []
            cost = sum(m.segments for m in items)
            (credit,) = db.execute(
                "SELECT credit FROM accounts WHERE username = ?", (account,)
            ).fetchone()
            if cost > credit:
                raise p.ApiError(p.NO_CREDIT)
            created = _now_iso()
            due = time.time() + delay_s
            batch_id = None
            if group_name is not None:
                batch_id = str(
                    db.execute(
                        "INSERT INTO batches(account, group_name, created) VALUES (?, ?, ?)",
                        (account, group_name, created),
                    ).lastrowid
                )
            (last,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()
            rows = []
            pending = []
            for i, m in enumerate(items, start=int(last) + 1):
                msgid = str(MSGID_BASE + i)
                rows.append(
                    (
                        i,
                        msgid,
                        account,
                        trxid or None,
                        channel,
                        m.mobile,
                        m.type,
                        m.text,
                        m.segments,
                        "SENT",
                        batch_id,
                        created,
                        due,
                    )
                )
                pending.append(Pending(msgid, m.mobile, due))
            db.executemany(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            db.execute(
                "UPDATE accounts SET credit = credit - ? WHERE username = ?", (cost, account)
            )
            body = success_body(batch_id if batch_id is not None else pending[0].msgid)
            if trxid:
                db.execute("INSERT INTO trx VALUES (?, ?, ?)", (account, trxid, body))
            return body, pending

    def remember_trxid(self, account: str, trxid: str, body: str) -> str:
        """Bind ``trxid`` to ``body`` unless it is bound already; the body it is bound to."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO trx VALUES (?, ?, ?)", (account, trxid, body))
            (bound,) = db.execute(
                "SELECT body FROM trx WHERE account = ? AND trxid = ?", (account, trxid)
            ).fetchone()
        return str(bound)

    def status(self, msgid: str) -> str | None:
        rows = self._query("SELECT status FROM messages WHERE msgid = ?", (msgid,))
        return str(rows[0][0]) if rows else None

    def set_status(self, msgid: str, status: str) -> str | None:
        """Set a message's status; returns its account's dlr_url (None if unknown/unset)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT a.dlr_url FROM messages m JOIN accounts a ON a.username = m.account "
                "WHERE m.msgid = ?",
                (msgid,),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE messages SET status = ? WHERE msgid = ?", (status, msgid))
            return None if row[0] is None else str(row[0])

    def pending(self) -> list[Pending]:
        """Messages still SENT (e.g. after a restart), to be finalised."""
        rows = self._query("SELECT msgid, mobile, due FROM messages WHERE status = 'SENT'")
        return [Pending(str(r[0]), str(r[1]), float(r[2])) for r in rows]

    # --- view -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data (the shape of ``smsync sandbox show --json``)."""
        with self._lock:
            db = self._db
            accounts = [
                {"username": r[0], "credit": r[1], "dlr_url": r[2]}
                for r in db.execute(
                    "SELECT username, credit, dlr_url FROM accounts ORDER BY username"
                )
            ]
            groups = [
                {"id": r[0], "account": r[1], "name": r[2]}
                for r in db.execute("SELECT id, account, name FROM groups ORDER BY id")
            ]
            contacts = [
                {
                    "id": r[0],
                    "account": r[1],
                    "name": r[2],
                    "mobile": r[3],
                    "group": r[4],
                    "address": r[5],
                    "birth": r[6],
                    "desc": r[7],
                }
                for r in db.execute(
                    "SELECT c.id, c.account, c.name, c.mobile, g.name, c.address, c.birth,"
                    " c.description FROM contacts c JOIN groups g ON g.id = c.group_id"
                    " ORDER BY c.id"
                )
            ]
            messages = [
                {
                    "id": r[0],
                    "msgid": r[1],
                    "account": r[2],
                    "trxid": r[3],
                    "channel": r[4],
                    "mobile": r[5],
                    "type": r[6],
                    "text": r[7],
                    "segments": r[8],
                    "status": r[9],
                    "batch_id": r[10],
                    "created": r[11],
                }
                for r in db.execute(
                    "SELECT id, msgid, account, trxid, channel, mobile, type, text, segments,"
                    " status, batch_id, created FROM messages ORDER BY id"
                )
            ]
        return {
            "schema": SCHEMA_VERSION,
            "accounts": accounts,
            "groups": groups,
            "contacts": contacts,
            "messages": messages,
        }
