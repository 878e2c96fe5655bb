"""Fixtures shared by the whole test suite: sandbox gateways on ephemeral loopback ports, and
project directories driven through the real CLI (helpers in tests/support/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.sandbox import start_sandbox


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Factory: ``make_sandbox(**config_overrides)`` -> a started server with the demo account
    (credit 1000, in-memory DB unless ``db_path`` is given). All are stopped at teardown."""
    servers: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxServer:
        servers.append(start_sandbox(**overrides))
        return servers[-1]

    yield make
    for srv in servers:
        srv.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A started in-memory sandbox with account demo/demo-pass and 1000 credits."""
    return make_sandbox()


@pytest.fixture
def project(tmp_path: Path, sandbox: SandboxServer) -> Project:
    """A project in ``tmp_path`` whose gateway is the ``sandbox`` (tests/plan, tests/safety)."""
    return Project(tmp_path, sandbox.url)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[SandboxServer], Project]:
    """Factory: ``make_project(server)`` -> a project of its own whose gateway is ``server``."""

    def make(server: SandboxServer) -> Project:
        root = tmp_path / f"p{server.url.rsplit(':', 1)[1]}"
        root.mkdir()
        return Project(root, server.url)

    return make
