"""Helpers behind ``smsync sandbox serve`` / ``show`` (the click layer stays thin)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType

from smsync.sandbox.config import SandboxConfig
from smsync.sandbox.server import SandboxServer


@dataclass(frozen=True)
class AccountSpec:
    username: str
    password: str
    credit: int | None

    def __repr__(self) -> str:  # the password must never reach a log or traceback
        return f"AccountSpec(username={self.username!r}, password='***', credit={self.credit})"


def parse_account(text: str) -> AccountSpec:
    """``USER:PASSWORD[:CREDIT]``; a numeric last part is the credit.

    The error message never repeats the text: it contains a password.
    """
    user, sep, rest = text.partition(":")
    if not sep or not user or not rest:
        raise ValueError("expected USER:PASSWORD[:CREDIT]")
    password, sep, credit = rest.rpartition(":")
    if sep and credit.isdigit() and password:
        return AccountSpec(user, password, int(credit))
    return AccountSpec(user, rest, None)


def serve_until_interrupted(
    config: SandboxConfig, accounts: Iterable[AccountSpec], echo: Callable[[str], None]
) -> None:
    """Start a server, create/update ``accounts``, print the URL, serve until SIGINT/SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    srv = SandboxServer(config)
    try:
        for account in accounts:
            srv.store.upsert_account(account.username, account.password, credit=account.credit)
        srv.start()
        echo(f"Sandbox web2sms gateway at {srv.url} (API under {srv.url}/web2sms/api/)")
        if config.proxy_port is not None:
            echo(f"~proxy/send.php and ~proxy/sendwa.php at {srv.proxy_url}")
        echo(f"Database: {config.db_path}. Stop with Ctrl-C.")
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("Sandbox stopped.")
