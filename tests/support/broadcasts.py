"""Broadcast spec files for ``Project`` (tests/support/project.py): written into
``broadcasts/`` the way a user writes them, with ``smsync.yaml`` made to read them."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.project import Project


def write_broadcasts(project: Project, *docs: dict[str, Any]) -> None:
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    text = yaml.safe_dump_all([{"kind": "Broadcast", **d} for d in docs], sort_keys=False)
    (folder / "b.yaml").write_text(text)
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], ledger=str(project.root / "ledger.sqlite")
    )


def write_contacts_broadcast(project: Project) -> None:
    folder = project.root / "broadcasts"
    folder.mkdir(exist_ok=True)
    (folder / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
