"""Execute a Plan through the gateway: refuse what is unsafe or stale, then run it.

Public surface: :func:`check_plan`, :func:`apply_lock`, :class:`Executor`, :class:`ApplyResult`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from smsync.apply.executor import ApplyResult, Executor, Outcome
from smsync.gateway.errors import SmsyncError
from smsync.plan.model import Plan

__all__ = [
    "ApplyLocked",
    "ApplyResult",
    "Executor",
    "Outcome",
    "Refused",
    "apply_lock",
    "check_plan",
]


class Refused(SmsyncError):
    """Apply refuses a plan. ``kind`` is "unsafe" (exit 3) or "stale" (exit 4)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class ApplyLocked(SmsyncError):
    pass


def check_plan(plan: Plan, *, force: bool) -> None:
    """Refuse protected deletes always, and other unsafe plans unless forced."""
    if plan.safety.protected_deletes:
        raise Refused(
            "unsafe",
            f"the plan deletes {plan.safety.protected_deletes} protected group(s) or contact(s); "
            "this is refused even with --force: drop `protect: true` from the spec first",
        )
    if plan.safety.unsafe and not force:
        reasons = "; ".join(plan.safety.reasons)
        raise Refused("unsafe", f"the plan is unsafe ({reasons}); re-run with --force to apply it")


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
