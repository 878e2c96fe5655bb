"""Fixtures for the sandbox tests (helpers in sandbox_http.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsync.sandbox import SandboxServer

# The test modules here import their raw-HTTP helpers from sandbox_http.py; pytest's import
# mode does not put this directory on sys.path, and tests/ is not a package.
sys.path.insert(0, str(Path(__file__).parent))

from sandbox_http import Gw


@pytest.fixture
def make_gw() -> Iterator[Callable[[SandboxServer], Gw]]:
    made: list[Gw] = []

    def make(srv: SandboxServer) -> Gw:
        made.append(Gw(srv))
        return made[-1]

    yield make
    for gw in made:
        gw.close()


@pytest.fixture
def gw(sandbox: SandboxServer, make_gw: Callable[[SandboxServer], Gw]) -> Gw:
    return make_gw(sandbox)
