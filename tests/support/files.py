"""Writing files of a project tree from a test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

#: ``write("groups/a.yaml", text) -> path``: the ``write`` fixture's signature.
WriteFn = Callable[[str, str], Path]


def tree_writer(root: Path) -> WriteFn:
    """A ``WriteFn`` writing under ``root``: parents are created and ``text`` is dedented, so
    a test can give a file's content as an indented triple-quoted string."""

    def write(rel: str, text: str) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
