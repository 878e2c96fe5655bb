"""Guarantee 5: a plan computed from a listing that changed while it was read is never applied.

Another client adds and deletes contacts (in the managed group and in an undeclared one) while
plan pages through the listing, and stops at a random moment. Apply then either refuses the
plan as stale (exit 4, nothing written) or, when the plan was read from a consistent listing,
leaves the gateway exactly as the spec says, with the undeclared group as the other client
left it."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from smsync.apply import Refused
from smsync.cli import cli
from smsync.manager import GatewayOptions, Manager
from smsync.sandbox import SandboxServer
from tests.reliability.scenarios import UNDECLARED, password_file
from tests.support.numbers import canon, gw, number
from tests.support.sandbox import PASSWORD, USERNAME

N = 40


def setup_project(root: Path, srv: SandboxServer, *, undeclared: bool) -> dict[str, str]:
    root.mkdir()
    for i in range(N + 10):  # 10 rows the spec drops
        srv.store.add_contact(USERNAME, f"Kontak {i}", gw(i), "Kantor")
    if undeclared:  # with an undeclared group plan reads by group, otherwise with list-all
        for i in range(500, 520):
            srv.store.add_contact(USERNAME, f"Lain {i}", gw(i), UNDECLARED)
    spec = {
        "kind": "Group",
        "name": "Kantor",
        "contacts": [{"name": f"Kontak {i}", "mobile": number(i)} for i in range(N)],
    }
    (root / "g.yaml").write_text(yaml.safe_dump(spec))
    (root / "smsync.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "gateway": {"endpoint": srv.url, "username": USERNAME, "page_size": 10},
                "safety": {"max_delete_share": 1.0, "max_update_share": 1.0},
            }
        )
    )
    return {gw(i): f"Kontak {i}" for i in range(N)}


class Writer(threading.Thread):
    """Another client: random adds and deletes, ``ops`` of them, a few ms apart."""

    def __init__(self, srv: SandboxServer, rng: random.Random, ops: int) -> None:
        super().__init__(daemon=True)
        self.srv, self.rng, self.ops = srv, rng, ops

    def run(self) -> None:
        store, rng = self.srv.store, self.rng
        for k in range(self.ops):
            group = rng.choice(["Kantor", "Kantor", UNDECLARED])
            rows = [c for c in store.snapshot()["contacts"] if c["group"] == group]
            if rows and rng.random() < 0.5:
                store.delete_contact(USERNAME, rng.choice(rows)["id"])
            else:
                i = rng.randrange(1000, 9000)
                store.add_contact(USERNAME, f"Baru {k}", gw(i), group)
            threading.Event().wait(0.002)


def members(srv: SandboxServer, group: str) -> list[tuple[str, str]]:
    return sorted(
        (canon(c["mobile"]), c["name"])
        for c in srv.store.snapshot()["contacts"]
        if c["group"] == group
    )


@pytest.mark.parametrize("undeclared", [True, False], ids=["by-group", "list-all"])
@pytest.mark.parametrize("seed", range(8))
def test_plan_read_during_concurrent_writes_is_correct_or_refused(
    seed: int, undeclared: bool, make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    rng = random.Random(seed)
    srv = make_sandbox(latency_ms=5, max_page_size=10)
    root = tmp_path / "p"
    want = setup_project(root, srv, undeclared=undeclared)
    manager = Manager(root, GatewayOptions(password_file=password_file(root)))
    writer = Writer(srv, rng, ops=rng.randrange(0, 40))
    with manager.session(retries=1, backoff=0.01) as session:
        writer.start()
        plan = session.plan()
        writer.join()
        other = members(srv, UNDECLARED)
        try:
            outcome = session.apply(plan)
        except Refused as exc:
            assert exc.kind == "stale", exc
            assert writer.ops > 0, "refused although nobody wrote"
            refused = True
        else:
            assert outcome.ok
            refused = False
    if refused:  # nothing was written by the refused apply; a fresh plan converges
        assert members(srv, UNDECLARED) == other
        with manager.session() as session:
            assert session.apply(session.plan()).ok
    assert members(srv, "Kantor") == sorted(want.items()), f"seed {seed}"
    assert members(srv, UNDECLARED) == other


def test_saved_plan_is_refused_when_the_remote_changed_since(
    make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    srv = make_sandbox()
    root = tmp_path / "p"
    setup_project(root, srv, undeclared=True)
    env = {"SMSYNC_PASSWORD": PASSWORD, "CI": "1"}
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    made = runner.invoke(cli, ["plan", str(root), "--out", str(plan_file)], env=env)
    assert made.exit_code == 0, made.output
    assert PASSWORD not in plan_file.read_text()
    srv.store.add_contact(USERNAME, "Menyusup", gw(7777), "Kantor")
    before = srv.store.snapshot()["contacts"]
    applied = runner.invoke(
        cli, ["apply", str(plan_file), "--project", str(root), "--auto-approve"], env=env
    )
    assert applied.exit_code == 4, applied.output
    assert "changed" in applied.output and PASSWORD not in applied.output
    assert srv.store.snapshot()["contacts"] == before
