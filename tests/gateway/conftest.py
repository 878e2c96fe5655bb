"""Gateway client test fixtures (the sandbox ones live in tests/conftest.py); the scripted
server itself is in tests/support/scripted_server.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import scripted_server
from tests.support.scripted_server import ScriptedServer


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    return scripted_server.closed_port_url()
