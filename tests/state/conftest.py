"""Fixtures of the state suite: every behaviour test runs against each backend (KINDS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsync.state.git import KEY_ENV
from tests.support.state import KINDS, STATE_KEY, PostgresServer, start_postgres, state_url


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | str]:
    """A PostgreSQL server for the session (or why none could start: tests then skip)."""
    yield from start_postgres()


@pytest.fixture(params=KINDS)
def state(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``state:`` URL of each backend kind."""
    monkeypatch.setenv(KEY_ENV, STATE_KEY)
    pg = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    return state_url(request.param, pg, tmp_path)
