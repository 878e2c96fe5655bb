"""Fixtures for the sandbox tests (raw-HTTP helpers in tests/support/raw_http.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from smsync.sandbox import SandboxServer
from tests.support.raw_http import Gw


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
