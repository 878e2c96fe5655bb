"""Guarantees 1 and 3 over random specs and remote states (seeded): apply never deletes or
changes anything in a group the spec does not declare (those rows stay byte-identical, ids
included), never deletes a protected group or contact (a plan that would is refused whole,
leaving the gateway untouched), makes every declared group exactly what the spec says, and a
converged spec plans no changes and applies as a no-op."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from smsync.apply import Refused
from smsync.manager import GatewayOptions, Manager
from smsync.sandbox import SandboxServer
from tests.reliability.scenarios import password_file
from tests.support.numbers import canon, gw, number
from tests.support.sandbox import USERNAME

GROUPS = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
NAMES = ["Budi", "Siti", "Andi", "Dewi", "Joko", "Rina", "Agus", "Tuti"]


def random_world(rng: random.Random, srv: SandboxServer, root: Path) -> dict[str, Any]:
    """Seed a random remote, write a random spec; returns what the spec declares."""
    pool = rng.sample(range(1, 500), 30)
    remote_groups = rng.sample(GROUPS, rng.randint(1, 5))
    for g in remote_groups:
        for i in rng.sample(pool, rng.randint(0, 8)):
            for _ in range(2 if rng.random() < 0.1 else 1):  # now and then a duplicate row
                srv.store.add_contact(
                    USERNAME,
                    f"{rng.choice(NAMES)} {i}",
                    rng.choice([gw(i), number(i)]),
                    g,
                    desc=rng.choice(["", "Staf", "Bos"]),
                )
    declared = rng.sample(GROUPS, rng.randint(1, 4))
    docs: list[dict[str, Any]] = []
    spec: dict[str, Any] = {"present": {}, "absent": [], "protected": set()}
    for g in declared:
        if g in remote_groups and rng.random() < 0.2:
            docs.append(
                {"kind": "Group", "name": g.upper() if rng.random() < 0.3 else g, "state": "absent"}
            )
            spec["absent"].append(g)
            continue
        group_protect = rng.random() < 0.25
        contacts, members = [], {}
        for i in rng.sample(pool, rng.randint(0, 8)):
            c: dict[str, Any] = {"name": f"{rng.choice(NAMES)} {i}", "mobile": number(i)}
            if rng.random() < 0.3:
                c["desc"] = rng.choice(["Staf", "Bos"])
            if rng.random() < 0.2:
                c["protect"] = True
            if group_protect or c.get("protect"):
                spec["protected"].add((g.casefold(), gw(i)))
            contacts.append(c)
            members[gw(i)] = c["name"]
        doc: dict[str, Any] = {"kind": "Group", "name": g, "contacts": contacts}
        if group_protect:
            doc["protect"] = True
        docs.append(doc)
        spec["present"][g] = members
    (root / "spec.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (root / "smsync.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "gateway": {
                    "endpoint": srv.url,
                    "username": USERNAME,
                    "page_size": rng.choice([10, 100]),
                },
                "safety": {"max_delete_share": 1.0, "max_update_share": 1.0},
            }
        )
    )
    spec["declared"] = {g.casefold() for g in declared}
    return spec


def rows(srv: SandboxServer) -> list[dict[str, Any]]:
    return [c for c in srv.store.snapshot()["contacts"] if c["account"] == USERNAME]


@pytest.mark.parametrize("seed", range(30))
def test_random_specs_never_touch_undeclared_or_protected(
    seed: int, make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    rng = random.Random(seed)
    srv = make_sandbox()
    root = tmp_path / "p"
    root.mkdir()
    spec = random_world(rng, srv, root)
    before = rows(srv)
    groups_before = srv.store.snapshot()["groups"]
    # Protected rows that exist remotely: (group, number) pairs that must survive.
    protected_remote = {(c["group"].casefold(), canon(c["mobile"])) for c in before} & spec[
        "protected"
    ]
    manager = Manager(root, GatewayOptions(password_file=password_file(root)))
    with manager.session() as session:
        plan = session.plan()
        try:
            outcome = session.apply(plan)
        except Refused as exc:
            assert exc.kind == "unsafe" and plan.safety.protected_deletes, exc
            assert rows(srv) == before, f"seed {seed}: a refused apply wrote something"
            assert srv.store.snapshot()["groups"] == groups_before
            return
        assert outcome.ok, f"seed {seed}"
    after = rows(srv)
    undeclared_before = [c for c in before if c["group"].casefold() not in spec["declared"]]
    undeclared_after = [c for c in after if c["group"].casefold() not in spec["declared"]]
    assert undeclared_after == undeclared_before, f"seed {seed}"
    left = {(c["group"].casefold(), canon(c["mobile"])) for c in after}
    assert protected_remote <= left, f"seed {seed}: a protected contact was deleted"
    for g, members in spec["present"].items():
        got = sorted(
            (canon(c["mobile"]), c["name"]) for c in after if c["group"].casefold() == g.casefold()
        )
        assert got == sorted(members.items()), f"seed {seed}: {g}"
    names = {g["name"].casefold() for g in srv.store.snapshot()["groups"]}
    assert not names & {g.casefold() for g in spec["absent"]}
    # Guarantee 1: converged -> no changes; applying again writes nothing.
    with manager.session() as session:
        again = session.plan()
        assert not again.has_changes, f"seed {seed}: {[a.op for a in again.actions]}"
        requests = srv.stats()["requests"]
        session.apply(again)
        assert rows(srv) == after
        assert srv.stats()["requests"] - requests <= 2 * len(GROUPS) + 2  # reads only
