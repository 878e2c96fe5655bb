"""Every test in tests/reliability/ is ``slow``: seeded chaos, crash and fuzz trials over real
servers and subprocesses, minutes in all (``pytest -m 'not slow'`` leaves them out)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the items of the whole session, not only of this directory.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
