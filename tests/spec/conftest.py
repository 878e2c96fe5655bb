"""Fixtures for spec-layer tests (helpers in tests/support/files.py and tests/support/cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.files import WriteFn, tree_writer


@pytest.fixture
def write(tmp_path: Path) -> WriteFn:
    """write("groups/a.yaml", text) -> path; text is dedented."""
    return tree_writer(tmp_path)
