"""A long-running smsync command (``sandbox serve``, ``dlr serve``) run as a user runs it: a
subprocess that prints its URL on its first line and stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

URL = re.compile(r"http://127\.0\.0\.1:(\d+)")


@dataclass
class Served:
    """The running server; ``out``, ``err`` and ``returncode`` are filled once it stopped."""

    proc: subprocess.Popen[str]
    first: str  # the first line it printed
    url: str  # http://127.0.0.1:PORT, read from that line
    port: int
    out: str = ""  # the rest of its stdout
    err: str = ""
    returncode: int | None = field(default=None)


@contextmanager
def serving(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 20
) -> Iterator[Served]:
    """``smsync ARGS`` in a subprocess until the block ends, then stopped with SIGINT (killed
    if it does not stop within ``timeout``), its remaining output left in the ``Served``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = URL.search(first)
        if found is None:
            proc.kill()
            raise AssertionError(first + proc.communicate(timeout=timeout)[1])
        served = Served(proc, first, found[0], int(found[1]))
        try:
            yield served
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            served.out, served.err = proc.communicate(timeout=timeout)
            served.returncode = proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()  # reaps it and closes its pipes


@contextmanager
def sandbox_serve(*flags: str, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """``smsync sandbox serve --port 0 FLAGS`` (see :func:`serving`)."""
    with serving("sandbox", "serve", "--port", "0", *flags, env=env) as served:
        yield served
