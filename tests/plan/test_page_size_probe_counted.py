"""A page-size probe is a request: the plan's read line counts it apart from the strategy's
minimum, so "N requests (minimum M)" never hides one, and says how to avoid it."""

from __future__ import annotations

import json
from typing import Any

from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME


def seed_office(server: Any, count: int) -> None:
    server.store.add_group(USERNAME, "Office")
    for i in range(count):
        server.store.add_contact(USERNAME, name=f"Kontak {i}", mobile=number(i), group="Office")


def test_probe_of_a_short_page_is_counted_and_explained(project: Project, sandbox: Any) -> None:
    # 15 rows: shorter than the 100 asked for, but not short enough (10, the reference's
    # default) to be trusted as the last page; the next page is read to be sure.
    seed_office(sandbox, 15)
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(15)]))

    as_json = project.run("plan", str(project.root), "--format", "json")
    text = project.plan()

    read = json.loads(as_json.stdout)["read"]
    assert (read["requests"], read["min_requests"], read["probes"]) == (3, 2, 1)
    assert "in 3 requests" in text.stdout
    assert "minimum 2, plus 1 page-size probe" in text.stdout
    assert "gateway.page_size" in text.stdout


def test_configured_page_size_makes_requests_equal_the_minimum(
    project: Project, sandbox: Any
) -> None:
    seed_office(sandbox, 15)
    project.write_config(gateway={"endpoint": sandbox.url, "username": USERNAME, "page_size": 100})
    project.write_groups(group("Office", [contact(i, f"Kontak {i}") for i in range(15)]))

    read = json.loads(project.run("plan", str(project.root), "--format", "json").stdout)["read"]

    assert read["requests"] == read["min_requests"] == 2 and read["probes"] == 0
