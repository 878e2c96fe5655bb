"""A contact the spec moved out of a declared group outside ``--target`` is found by searching
its number in the forms the gateway stores (``08…`` and ``628…``), whatever way the gateway
matches a search: a missed search would add a second copy instead of moving the first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw, number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, remote_contacts


@pytest.mark.parametrize("stored", [number, gw], ids=["stored-08", "stored-628"])
@pytest.mark.parametrize("match", ["prefix", "substring"])
def test_a_contact_moved_in_from_outside_the_target_is_moved_not_added_again(
    make_sandbox: Callable[..., SandboxServer],
    make_project: Callable[[SandboxServer], Project],
    stored: Callable[[int], str],
    match: str,
) -> None:
    srv = make_sandbox(search_match=match)
    project = make_project(srv)
    gateway: dict[str, Any] = {"endpoint": srv.url, "username": USERNAME, "page_size": 2}
    project.write_config(gateway=gateway)
    srv.store.add_group(USERNAME, "Baru")
    for i in range(1, 6):
        srv.store.add_contact(USERNAME, name=f"Kontak {i}", mobile=stored(i), group="Lama")
    # contact 5 leaves Lama for Baru; Lama is declared but outside --target
    project.write_groups(
        group("Lama", [contact(i) for i in range(1, 5)]),
        group("Baru", [contact(5)]),
    )
    planned = project.plan("--target", "Baru")
    assert "lookups" in planned.output, planned.output  # searched, not listed
    assert "> move #" in planned.output, planned.output
    assert "+ add" not in planned.output
    assert project.apply("--target", "Baru").exit_code == 0
    rows = [c for c in remote_contacts(srv) if c["name"] == "Kontak 5"]
    assert [c["group"] for c in rows] == ["Baru"]
