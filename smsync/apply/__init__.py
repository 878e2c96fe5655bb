"""Execute a Plan through the gateway: refuse what is unsafe or stale, then run it.

Public surface: :func:`check_plan`, :func:`apply_lock`, :class:`Executor`, :class:`ApplyResult`.
The refusals themselves are decided in :mod:`smsync.safety`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from smsync.apply.executor import ActionOutcome, ActionStatus, ApplyResult, Executor
from smsync.errors import SmsyncError
from smsync.plan.model import Plan
from smsync.safety import Refused, StalePlan, UnsafePlan, findings, raise_if_unsafe
from smsync.state import Backend, LockInfo, StateLocked

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
def apply_lock(state: Backend, account: str, *, timeout: float = 0.0) -> Iterator[LockInfo]:
    """One apply at a time per gateway account, as far as the state's lock reaches (the
    ``local`` backend: this machine; ``git`` and ``postgresql``: every machine using it).
    Waits up to ``timeout`` seconds, then raises ApplyLocked naming the holder."""
    try:
        info = state.lock(account, timeout)
    except StateLocked as exc:
        raise ApplyLocked(str(exc)) from None
    try:
        yield info
    finally:
        state.release(info)
