"""Fixtures shared by the whole test suite: sandbox gateways on ephemeral loopback ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsync.sandbox import SandboxConfig, SandboxServer

USERNAME = "demo"
PASSWORD = "demo-pass"
CREDIT = 1000


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Factory: ``make_sandbox(**config_overrides)`` -> a started server with the demo account
    (credit 1000, in-memory DB unless ``db_path`` is given). All are stopped at teardown."""
    servers: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxServer:
        srv = SandboxServer(SandboxConfig(**overrides)).start()
        servers.append(srv)
        srv.store.ensure_account(USERNAME, PASSWORD, credit=CREDIT)
        return srv

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A started in-memory sandbox with account demo/demo-pass and 1000 credits."""
    return make_sandbox()
