"""A plan file edited by hand, however oddly, is refused with one clear line — never a
traceback, never a write, never a send."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.numbers import gw
from tests.support.project import Project, contact, group

Mutation = Callable[[Any], Any]


def setitem(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: Any) -> Any:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return data

    return mutate


MUTATIONS: dict[str, Mutation] = {
    "safety null": setitem(("safety",), None),
    "scope a string": setitem(("scope",), "x"),
    "scope null": setitem(("scope",), None),
    "scope target a string": setitem(("scope", "target"), "Office"),
    "scope target numbers": setitem(("scope", "target"), [5]),
    "credit null": setitem(("credit",), None),
    "credit a string": setitem(("credit",), "x"),
    "broadcasts a string": setitem(("broadcasts",), "x"),
    "broadcast a string": setitem(("broadcasts", 0), "x"),
    "broadcast name a number": setitem(("broadcasts", 0, "name"), 5),
    "broadcast name a list": setitem(("broadcasts", 0, "name"), ["rapat"]),
    "broadcast not_before garbage": setitem(("broadcasts", 0, "not_before"), "garbage"),
    "broadcast limits null": setitem(("broadcasts", 0, "limits"), None),
    "broadcast recipients null": setitem(("broadcasts", 0, "recipients"), None),
    "broadcast finding with an unknown rule": setitem(
        ("broadcasts", 0, "findings"), [{"rule": "nope", "message": "x"}]
    ),
    "broadcast listed twice": lambda d: {**d, "broadcasts": d["broadcasts"] * 2},
    "action op unknown": setitem(("actions", 0, "op"), "nuke"),
    "action id a string": setitem(("actions", 0, "id"), "5"),
    "action id huge": setitem(("actions", 0, "id"), 10**30),
    "action group null": setitem(("actions", 0, "group"), None),
    "action after a string": setitem(("actions", 0, "after"), "x"),
    "action record with an extra field": setitem(("actions", 0, "after", "zz"), 1),
    "read with an extra field": setitem(("read", "zz"), 1),
    "version a string": setitem(("version",), "1"),
    "version true": setitem(("version",), True),
    "the whole plan in a list": lambda d: [d],
    "endpoint a number": setitem(("endpoint",), 5),
    "endpoint empty": setitem(("endpoint",), ""),
    "fingerprint a number": setitem(("fingerprint",), 5),
    "actions null": setitem(("actions",), None),
    "actions an object": setitem(("actions",), {}),
    "duplicates strings": setitem(("duplicates",), ["x"]),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_oddly_edited_plan_file_is_refused_cleanly(
    project: Project, sandbox: Any, tmp_path: Path, mutation: str
) -> None:
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    project.write_groups(group("Office", [contact(1), contact(2)]))
    (project.root / "broadcasts").mkdir()
    (project.root / "broadcasts" / "b.yaml").write_text(
        "kind: Broadcast\nname: rapat\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Rapat jam 10.\n"
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    plan_file = tmp_path / "plan.json"
    assert project.run("plan", str(project.root), "--out", str(plan_file)).exit_code == 0
    plan_file.write_text(json.dumps(MUTATIONS[mutation](json.loads(plan_file.read_text()))))
    before = sandbox.store.snapshot()["contacts"]

    # project.run re-raises anything but SystemExit: a traceback fails the test
    applied = project.run("apply", str(plan_file), "--project", str(project.root), "--auto-approve")

    assert applied.exit_code in (1, 4), applied.output
    assert sandbox.store.snapshot()["contacts"] == before
    assert sandbox.store.snapshot()["messages"] == []
    assert gw(2) not in {c["mobile"] for c in before}
