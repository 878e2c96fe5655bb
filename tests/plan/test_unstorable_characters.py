"""A gateway that lists its records in a Latin-1 body (``--separator bytes``) cannot store
characters outside Latin-1: it lists each as ``?``. Plan says so once and leaves the field
alone, instead of editing it again on every apply."""

from __future__ import annotations

from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import remote_contacts


def test_a_name_the_gateway_cannot_store_is_said_once_not_edited_forever(
    make_sandbox: Callable[..., SandboxServer],
    make_project: Callable[[SandboxServer], Project],
) -> None:
    srv = make_sandbox(separator="bytes")
    project = make_project(srv)
    project.write_groups(
        group("Office", [contact(1, "Budi ✓", desc="Ketua ☎"), contact(2, "Siti Aminah")])
    )
    assert project.apply().exit_code == 0, "first apply adds them"
    again = project.plan()
    assert again.exit_code == 0, again.output  # nothing to change: it would change nothing
    notes = [line for line in again.output.splitlines() if "cannot store" in line]
    assert len(notes) == 1, again.output
    assert "1 contact(s)" in notes[0] and "name, desc" in notes[0]
    # a real change to such a contact still goes through, without the unstorable field
    project.write_groups(
        group("Office", [contact(1, "Budi ✓", desc="Ketua"), contact(2, "Siti Aminah")])
    )
    changed = project.plan()
    assert changed.exit_code == 2, changed.output
    assert 'desc: "Ketua ?" → "Ketua"' in changed.output
    assert "name:" not in changed.output
    assert project.apply().exit_code == 0
    assert project.plan().exit_code == 0
    budi = next(c for c in remote_contacts(srv) if c["name"].startswith("Budi"))
    assert (budi["name"], budi["desc"]) == ("Budi ✓", "Ketua")  # the edit sent the spec's name
