"""A request rate cap shared by the threads of one run (apply's writes, broadcast sends)."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """At most ``rate`` calls per second across all threads, evenly spaced (None: no cap)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)
