"""Where smsync's log records go when the command line runs: stderr, as text or JSON lines.

Verbosity comes from ``-v`` (info), ``-vv``/``--debug`` (debug, with every HTTP request), or
``SMSYNC_LOG`` (a level name); the options win over the variable. The default shows warnings
only, one message a line, as before. ``--log-format json`` (or ``SMSYNC_LOG_FORMAT=json``)
writes one JSON object a line, for CI log collectors. stdout never carries a log line: it
holds the command's report (and JSON output) alone.

Secrets: the gateway transport masks secret parameters in its request lines before any
handler sees them (``auth=***``); every message is escaped of control characters, as
everything else printed.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

from smsync.textsafe import escape_controls

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
#: The loggers smsync configures (its HTTP requests are smsync.gateway.transport's, at debug).
LOGGERS = ("smsync",)


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = escape_controls(record.getMessage())
        if record.levelno >= logging.WARNING:
            return message  # as they always read: "warning: ..." is in the message itself
        return f"{record.levelname.lower()}: {record.name}: {message}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": escape_controls(record.getMessage()),
        }
        return json.dumps(entry, ensure_ascii=False)


def level_for(verbose: int, debug: bool, env: str | None) -> int:
    """The level the options and ``SMSYNC_LOG`` ask for. Raises ValueError on a bad name."""
    if debug or verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    if env:
        try:
            return LEVELS[env.strip().lower()]
        except KeyError:
            raise ValueError(
                f"SMSYNC_LOG={env[:20]!r} is not a level: use one of {', '.join(LEVELS)}"
            ) from None
    return logging.WARNING


def setup(level: int, fmt: str) -> None:
    """Send smsync's records to stderr; idempotent."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


def env_level() -> str | None:
    return os.environ.get("SMSYNC_LOG")
