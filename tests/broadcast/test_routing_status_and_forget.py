"""gateway.accounts and the state after sending: `smsync status` asks each message's delivery state
of the account that sent it (a msgid is each account's own; another account may answer for
another message), and `smsync state forget` drops the accounts recorded for the broadcast.
Driven through the real CLI against sandboxes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.routing import (
    XL,
    XL_PASSWORD,
    XL_USER,
    run,
    run_apply,
    setup,
    xl_account,
)
from tests.support.sandbox import messages

# --- status asks each message's own account ---------------------------------------------------


def test_status_asks_a_routed_message_through_the_account_that_sent_it(
    make_project: Callable[[SandboxServer], Project],
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    sandbox = make_sandbox(dlr_delay_ms=0)
    project = make_project(sandbox)
    # the other account on another gateway, where XL messages end UNDELIVRD; the main
    # gateway's own msgids start at the same number, so asking it would answer for another
    # message
    other = make_sandbox(final_states=["62817=UNDELIVRD"], dlr_delay_ms=0)
    other.store.ensure_account(XL_USER, XL_PASSWORD, credit=100)
    setup(project, sandbox, [{**xl_account(), "endpoint": other.url}])
    assert run_apply(project).exit_code == 0
    assert [m["mobile"] for m in messages(other)] == [XL]

    status = run(project, "status", str(project.root), "--json")

    assert status.exit_code == 0, status.output
    (shown,) = json.loads(status.stdout)["broadcasts"]
    assert shown["states"] == {"DELIVRD": 3, "UNDELIVRD": 1}, shown


def test_status_of_a_message_through_an_undeclared_account_is_not_asked_of_another(
    make_project: Callable[[SandboxServer], Project],
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    sandbox = make_sandbox(dlr_delay_ms=0)
    project = make_project(sandbox)
    setup(project, sandbox, [xl_account()])
    assert run_apply(project).exit_code == 0
    setup(project, sandbox, None)

    status = run(project, "status", str(project.root), "--json")

    assert status.exit_code == 0, status.output
    (shown,) = json.loads(status.stdout)["broadcasts"]
    assert shown["states"] == {"DELIVRD": 3, "SENT": 1}, shown


# --- state forget ---------------------------------------------------------------------------


def test_state_forget_drops_the_accounts_recorded_for_the_broadcast(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    assert run_apply(project).exit_code == 0

    result = run(project, "state", "forget", "salam", "--project", str(project.root))

    assert result.exit_code == 0, result.output
    (ledger,) = [p for p in project.root.rglob("*") if p.suffix in (".db", ".sqlite")]
    with sqlite3.connect(ledger) as db:
        left = db.execute("SELECT key FROM meta WHERE key LIKE 'via:%'").fetchall()
    assert left == []
