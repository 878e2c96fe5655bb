"""The base error of smsync, apart from any layer: every package raises its own subclasses of
:class:`SmsyncError`, and the CLI turns any of them into one clear line and exit 1 (or the exit
code its refusal maps to), never a traceback."""

from __future__ import annotations


class SmsyncError(Exception):
    """Base of every error smsync raises on purpose (a user-facing message, no traceback)."""
