"""`smsync dlr serve` records delivery reports in the project's state, wherever `state:` puts
it: the same rows apply recorded the sends in, never a local ledger file beside them. The real
CLI (the server in a subprocess, stopped with Ctrl-C), the real sandbox calling it over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smsync.broadcast.ledger import Ledger
from smsync.manager import Manager
from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.serve import serving
from tests.support.state import PostgresServer, state_url

TOKEN = "dlr-token-0123456789abcdef"
MakeSandbox = Callable[..., SandboxServer]


def counts(project: Project) -> dict[str, int]:
    with Ledger(Manager(project.root).state(), read_only=True) as ledger:
        return dict(ledger.counts("kopi"))


@pytest.fixture(params=["local", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | str) -> str:
    """A `state:` that is not the default ledger file: a file elsewhere, or PostgreSQL."""
    return state_url(request.param, postgres if request.param == "postgresql" else None, tmp_path)


def test_delivery_reports_land_in_the_state_apply_recorded_the_sends_in(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project], state: str
) -> None:
    srv = make_sandbox()  # only to make the project; the sends go to the one below
    project = make_project(srv)
    project.write_groups(group("Office", [contact(1), contact(2)]))
    (project.root / "broadcasts").mkdir()
    (project.root / "broadcasts" / "b.yaml").write_text(
        "kind: Broadcast\nname: kopi\naudience:\n  contacts:\n    groups: [Office]\n"
        "template: Kopi jam 10.\n"
    )
    spec = ["groups/*.yaml", "broadcasts/*.yaml"]
    project.write_config(spec=spec, state=state)
    with serving(
        "dlr", "serve", str(project.root), "--port", "0", env={"SMSYNC_DLR_TOKEN": TOKEN}
    ) as served:
        gateway = make_sandbox(
            dlr_url=f"http://127.0.0.1:{served.port}/{TOKEN}/dlr?msgid=%id&status=%s",
            # After apply recorded the send: a report racing ahead of it is held only by a
            # receiver sharing the sender's store (the local file), not across processes on
            # PostgreSQL (then `smsync status` recovers it through Report.aspx).
            dlr_delay_ms=1500,
        )
        login = {"endpoint": gateway.url, "username": project.config["gateway"]["username"]}
        project.write_config(gateway=login, spec=spec, state=state)
        assert project.apply().exit_code == 0
        deadline = time.monotonic() + 10
        while counts(project) != {"DELIVRD": 2} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert counts(project) == {"DELIVRD": 2}
        assert gateway.stats()["dlr_callbacks_ok"] == 2
    output = served.first + served.out + served.err
    assert "Stopped; 2 delivery report(s) recorded." in output, output
    assert not (project.root / ".smsync" / "ledger.sqlite").exists()
