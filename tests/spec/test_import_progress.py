"""Import reports its progress through the client's result hook, not a proxy around it: every
row read is counted once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from smsync.importer import ImportOptions
from tests.support.numbers import gw
from tests.support.project import Project
from tests.support.sandbox import USERNAME


def test_import_progress_counts_every_row_read(project: Project, sandbox: Any) -> None:
    for i in range(25):
        sandbox.store.add_contact(USERNAME, f"Kontak {i}", gw(i), "Office" if i % 2 else "Sales")
    seen: Counter[str] = Counter()

    def progress(phase: str, n: int) -> None:
        seen[phase] += n

    result = project.manager().import_phonebook(
        ImportOptions(out_dir=project.root / "groups"), progress
    )

    assert result.contacts == 25
    assert seen["contacts"] == 25
