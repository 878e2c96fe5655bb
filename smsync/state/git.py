"""The ``git`` backend (not written yet)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from smsync.state.backend import Backend, LockInfo, Record, StateError


class GitBackend(Backend):
    KIND = "git"

    def __init__(self, root: Path, branch: str, remote: str) -> None:
        raise StateError("state: git:BRANCH is not available yet: use local:PATH or "
                         "postgresql://")

    @property
    def where(self) -> str:
        return ""

    def read(self) -> Iterator[Record]:
        return iter(())

    def append(self, records: Sequence[Record]) -> None:
        pass

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        return None

    def release(self, info: LockInfo) -> None:
        pass

    def locks(self) -> list[LockInfo]:
        return []

    def unlock(self, lock_id: str) -> LockInfo:
        raise StateError("no lock")
