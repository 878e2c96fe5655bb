"""One broadcast sent through `smsync apply` to recipients of every operator and settled at the
sandbox (some delivered, some not): what the delivery report (`smsync status`) tests read, with
the ledger's and the sandbox's own records to check the report against."""

from __future__ import annotations

import time
from collections.abc import Callable

from smsync.broadcast import Ledger
from smsync.sandbox import SandboxServer
from tests.support.project import Project, group
from tests.support.sandbox import messages

#: Recipients by operator (the numbers' prefixes say so: Indonesia has no number portability).
BY_OPERATOR = {
    "Telkomsel": ["081230000001", "081230000002", "081230000003"],
    "XL": ["081710000001", "081710000002"],
    "Indosat Ooredoo Hutchison": ["085710000001", "085710000002"],
    "Smartfren": ["088120000001"],
}
#: How the sandbox ends some of them (the rest are delivered).
FINAL_STATES = ("6281710000001=UNDELIVRD", "6285710000002=EXPIRED", "628812=REJECTED")
UNDELIVERED = {"081710000001": "UNDELIVRD", "085710000002": "EXPIRED", "088120000001": "REJECTED"}
BROADCAST = "promo"


def delivered_project(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> tuple[Project, SandboxServer]:
    """The recipients above sent one broadcast through `smsync apply`, every message settled at
    the sandbox (some delivered, some not)."""
    srv = make_sandbox(dlr_delay_ms=0, final_states=FINAL_STATES)
    project = make_project(srv)
    contacts = [
        {"name": f"{op} {i}", "mobile": mobile}
        for op, numbers in BY_OPERATOR.items()
        for i, mobile in enumerate(numbers)
    ]
    project.write_groups(group("Pelanggan", contacts))
    project.write_documents(
        "groups/zz-broadcasts.yaml",
        [
            {
                "kind": "Broadcast",
                "name": BROADCAST,
                "audience": {"contacts": {"groups": ["Pelanggan"]}},
                "template": "Halo {{ name }}",
            }
        ],
    )
    applied = project.apply()
    assert applied.exit_code == 0, applied.output + applied.stderr
    settle(srv)
    return project, srv


def settle(srv: SandboxServer) -> None:
    deadline = time.monotonic() + 10
    while any(m["status"] == "SENT" for m in messages(srv)):
        assert time.monotonic() < deadline, "the sandbox did not finalise its messages"
        time.sleep(0.02)


def national(e164: str) -> str:
    return "0" + e164.removeprefix("+62")


def sandbox_states(srv: SandboxServer) -> dict[str, str]:
    """The sandbox's own record: final state by national number."""
    return {"0" + m["mobile"].removeprefix("62"): m["status"] for m in messages(srv)}


def ledger_rows(project: Project) -> dict[str, str]:
    with Ledger(project.root / ".smsync" / "ledger.sqlite") as ledger:
        return {national(r.number): r.state for r in ledger.rows(BROADCAST)}
