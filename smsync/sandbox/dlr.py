"""Delivery reports: move SENT messages to their final state and call the account's DLR URL.

A single daemon thread keeps a heap of due times (loaded from the database at start, so a
restart finishes what the previous run left SENT). The callback GETs run in a small thread
pool with a bounded timeout so a slow receiver never delays other messages; their failures are
logged and ignored, as a real gateway would.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from smsync.sandbox import protocol as p
from smsync.sandbox.store import Pending, Store

log = logging.getLogger(__name__)


def callback_url(template: str, msgid: str, status: str) -> str:
    return template.replace("%id", urllib.parse.quote(msgid)).replace(
        "%s", urllib.parse.quote(status)
    )


class DlrWorker:
    def __init__(
        self,
        store: Store,
        undeliverable_prefixes: Iterable[str],
        timeout_s: float = 2.0,
        final_states: Iterable[str] = (),
    ) -> None:
        """``final_states``: ``PREFIX=STATE`` rules (SandboxConfig.final_states)."""
        self._store = store
        rules = [(prefix, "UNDELIVRD") for prefix in undeliverable_prefixes]
        for rule in final_states:
            prefix, _, state = rule.partition("=")
            rules.append((prefix, state.upper()))
        # the longest prefix decides, so a rule can carve an exception out of a wider one
        self._rules = sorted(rules, key=lambda r: len(r[0]), reverse=True)
        self._timeout = timeout_s
        self._heap: list[tuple[float, str, str]] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sandbox-dlr", daemon=True)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-dlr-get")
        self.callbacks_ok = 0
        self.callbacks_failed = 0

    def start(self) -> None:
        self.schedule(self._store.pending())
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def schedule(self, items: Iterable[Pending]) -> None:
        with self._cond:
            for item in items:
                heapq.heappush(self._heap, (item.due, item.msgid, item.mobile))
            self._cond.notify_all()

    def final_status(self, mobile: str) -> str:
        digits = p.normalise_mobile(mobile)
        return next(
            (state for prefix, state in self._rules if digits.startswith(prefix)), "DELIVRD"
        )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.time()):
                    timeout = self._heap[0][0] - time.time() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                due: list[tuple[float, str, str]] = []
                now = time.time()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
            for _, msgid, mobile in due:
                self._finalise(msgid, mobile)

    def _finalise(self, msgid: str, mobile: str) -> None:
        status = self.final_status(mobile)
        try:
            url = self._store.set_status(msgid, status)
        except Exception:  # a closed store during shutdown must not kill the thread noisily
            log.debug("could not finalise %s", msgid, exc_info=True)
            return
        if url:
            with contextlib.suppress(RuntimeError):  # pool already shut down
                self._pool.submit(self._call, callback_url(url, msgid, status))

    def _call(self, url: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as resp:
                resp.read(65536)
            self.callbacks_ok += 1
        except Exception as exc:
            self.callbacks_failed += 1
            log.warning("delivery report GET failed: %s", type(exc).__name__)
