"""Execute a Plan through the gateway: refuse what is unsafe or stale, then run it.

Public surface: :func:`check_plan`, :func:`apply_lock`, :class:`Executor`, :class:`ApplyResult`.
The refusals themselves are decided in :mod:`smsync.safety`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from smsync.apply.executor import ActionOutcome, ActionStatus, ApplyResult, Executor
from smsync.errors import SmsyncError
from smsync.plan.model import Plan
from smsync.safety import Refused, StalePlan, UnsafePlan, findings, raise_if_unsafe

__all__ = [
    "ActionOutcome",
    "ActionStatus",
    "ApplyLocked",
    "ApplyResult",
    "Executor",
    "Refused",
    "StalePlan",
    "UnsafePlan",
    "apply_lock",
    "check_plan",
]


class ApplyLocked(SmsyncError):
    pass


def check_plan(plan: Plan, *, force: bool) -> None:
    """Refuse (UnsafePlan) a plan that breaks a safety rule; see :mod:`smsync.safety`."""
    raise_if_unsafe(findings(plan), force=force)


@contextmanager
def apply_lock(project_root: Path) -> Iterator[None]:
    """One apply at a time per project directory."""
    state_dir = project_root / ".smsync"
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(state_dir / "apply.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ApplyLocked(
            f"another smsync apply is running in {project_root} (lock {state_dir / 'apply.lock'})"
        ) from None
    try:
        yield
    finally:
        lock.release()
