"""Durable state: what smsync remembers between runs, and where (see :mod:`.backend`).

``state:`` in smsync.yaml or ``SMSYNC_STATE`` chooses the backend:

- ``local:PATH`` (default ``local:.smsync/ledger.sqlite``; ``ledger: PATH`` says the same);
- ``postgresql://USER@HOST/DB`` (psycopg 3: ``pip install smsync[postgresql]``);
- ``git:BRANCH`` (a branch of the project's repository, pushed to its ``origin``;
  ``git:BRANCH@REMOTE`` names another remote or URL).
"""

from __future__ import annotations

from pathlib import Path

from smsync.state.backend import (
    Backend,
    LockInfo,
    Record,
    StateError,
    StateLocked,
)
from smsync.state.store import TABLES, Store

__all__ = [
    "TABLES",
    "Backend",
    "LockInfo",
    "Record",
    "StateError",
    "StateLocked",
    "Store",
    "open_backend",
    "parse_state_url",
]

STATE_ENV = "SMSYNC_STATE"


def parse_state_url(url: str) -> tuple[str, str]:
    """``(kind, rest)`` of a ``state:`` value; StateError naming the setting otherwise."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql", url
    kind, sep, rest = url.partition(":")
    if kind == "local" and rest == ":memory:":
        # A state that vanishes at exit would send every group broadcast again on every run.
        raise StateError(
            "state 'local::memory:' is not durable: smsync must remember what it "
            "sent; name a file (local:PATH)"
        )
    if sep and kind in ("local", "git") and rest:
        return kind, rest
    shown = url.split("://", 1)[0][:20]
    raise StateError(
        f"state {shown!r} is not a state backend: use local:PATH, git:BRANCH or "
        "postgresql://USER@HOST/DB"
    )


def open_backend(url: str, root: Path) -> Backend:
    """The backend ``url`` names, relative paths under the project ``root``."""
    kind, rest = parse_state_url(url)
    if kind == "local":
        from smsync.state.local import LocalBackend

        path = Path(rest)
        return LocalBackend(path if path.is_absolute() else root / path)
    if kind == "postgresql":
        from smsync.state.postgresql import PostgresBackend

        return PostgresBackend(rest)
    from smsync.state.git import GitBackend

    branch, _, remote = rest.partition("@")
    return GitBackend(root, branch, remote or "origin")
