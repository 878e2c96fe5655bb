"""Fixtures for broadcast tests: a project directory loaded through the real spec layer, and a
gateway client for the sandbox fixture (helpers in tests/support/project.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsync.gateway import Client
from smsync.sandbox import SandboxServer
from tests.support.project import BProject
from tests.support.sandbox import PASSWORD, USERNAME


@pytest.fixture
def bproject(tmp_path: Path) -> BProject:
    return BProject(tmp_path)


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[Client]:
    with Client(sandbox.url, USERNAME, PASSWORD, retries=2, backoff=0.01) as c:
        yield c
