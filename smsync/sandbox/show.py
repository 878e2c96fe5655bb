"""Human view of a sandbox database (``smsync sandbox show``), using rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from smsync.sandbox.store import Store


def load_snapshot(db_path: str) -> dict[str, Any]:
    """The snapshot of a database file, opened read-only (StoreError when missing/invalid)."""
    store = Store(db_path, readonly=True)
    try:
        return store.snapshot()
    finally:
        store.close()


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=f"{title} ({len(rows)})", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    return table


def print_snapshot(snap: dict[str, Any], console: Console) -> None:
    console.print(
        _table(
            "Accounts",
            ["username", "credit", "dlr_url"],
            [[a["username"], a["credit"], a["dlr_url"]] for a in snap["accounts"]],
        )
    )
    console.print(
        _table(
            "Groups",
            ["id", "account", "name"],
            [[g["id"], g["account"], g["name"]] for g in snap["groups"]],
        )
    )
    console.print(
        _table(
            "Contacts",
            ["id", "account", "name", "mobile", "group", "address", "birth", "desc"],
            [
                [
                    c["id"],
                    c["account"],
                    c["name"],
                    c["mobile"],
                    c["group"],
                    c["address"],
                    c["birth"],
                    c["desc"],
                ]
                for c in snap["contacts"]
            ],
        )
    )
    console.print(
        _table(
            "Messages",
            [
                "id",
                "msgid",
                "account",
                "trxid",
                "channel",
                "mobile",
                "type",
                "segments",
                "status",
                "batch",
                "created",
            ],
            [
                [
                    m["id"],
                    m["msgid"],
                    m["account"],
                    m["trxid"],
                    m["channel"],
                    m["mobile"],
                    m["type"],
                    m["segments"],
                    m["status"],
                    m["batch_id"],
                    m["created"],
                ]
                for m in snap["messages"]
            ],
        )
    )
