"""The one error type broadcast planning and sending raise on purpose."""

from __future__ import annotations

from smsync.errors import SmsyncError


class BroadcastError(SmsyncError):
    """A broadcast cannot be planned or sent. The message names the broadcast (with the
    file:line of its spec) and, where one is involved, the recipient (masked number)."""

    def __init__(self, message: str, *, broadcast: str | None = None) -> None:
        self.broadcast = broadcast
        super().__init__(message)
