"""What smsync remembers about sends must hold when only part of it survives: a killed run whose
ledger file alone was kept, a ledger lost after a retry, a gateway that answers a repeated trxid
with an error."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from smsync.broadcast import Ledger
from tests.support.broadcasts import write_contacts_broadcast
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, messages_to

KILL_AFTER_PENDING = textwrap.dedent("""
    import os, signal, sys
    from smsync.broadcast import Ledger
    ledger = Ledger(sys.argv[1])
    ledger.bind_gateway("demo@http://gw")
    ledger.record_pending(broadcast="libur", number="group:office", kind="group", channel="sms",
                          trxid=None, attempt=0, body="Kantor libur.", segments=1, recipients=2)
    os.kill(os.getpid(), signal.SIGKILL)  # before the request could leave
""")


def test_ledger_file_alone_holds_rows_committed_before_a_killed_send(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_PENDING, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # A CI cache that keeps just the .sqlite file (no -wal, no -shm, no -journal)
    saved = tmp_path / "cache" / "ledger.sqlite"
    saved.parent.mkdir()
    shutil.copyfile(path, saved)

    with sqlite3.connect(saved) as db:
        rows = db.execute("SELECT broadcast, number, state FROM sends").fetchall()
    assert rows == [("libur", "group:office", "pending")]
    with Ledger(saved) as ledger:
        assert ledger.get("libur", "group:office") is not None


def test_message_retried_after_a_refusal_is_not_sent_again_when_the_ledger_is_lost(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    write_contacts_broadcast(project)
    project.write_groups(group("Office", [contact(1)]), group("Lain", [contact(2)]))
    with project.manager().session() as session:
        # the credit runs out after the plan checked it: the send is refused with 1708
        first = session.apply(
            session.plan(), on_done=lambda _: sandbox.store.set_credit(USERNAME, 0)
        )
    assert first.broadcasts is not None and first.broadcasts.results[0].failed
    assert messages_to(sandbox, gw(1)) == 0
    sandbox.store.set_credit(USERNAME, 100)
    assert project.apply().exit_code == 0
    assert messages_to(sandbox, gw(1)) == 1

    shutil.rmtree(project.root / ".smsync")  # the ledger is lost (a new CI runner)
    again = project.apply()

    assert again.exit_code == 0, again.output
    assert messages_to(sandbox, gw(1)) == 1


def test_repeated_trxid_answered_with_an_error_is_outcome_unknown_until_resent_explicitly(
    make_sandbox: Any, make_project: Any
) -> None:
    # a gateway that remembers failed trxids answers a retry with the first failure again
    srv = make_sandbox(trxid_remembers_failures=True)
    project: Project = make_project(srv)
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    write_contacts_broadcast(project)
    project.write_groups(group("Office", [contact(1)]), group("Lain", [contact(2)]))
    with project.manager().session() as session:
        session.apply(session.plan(), on_done=lambda _: srv.store.set_credit(USERNAME, 0))
    srv.store.set_credit(USERNAME, 100)

    retried = project.apply()

    assert retried.exit_code == 1, retried.output
    assert "1 outcome unknown" in retried.output, retried.output
    with Ledger(project.root / ".smsync" / "ledger.sqlite") as ledger:
        assert [r.state for r in ledger.rows("rapat")] == ["pending"]
    assert messages_to(srv, gw(1)) == 0
    resent = project.apply("--resend-unknown")
    assert resent.exit_code == 0, resent.output
    assert messages_to(srv, gw(1)) == 1
    assert project.apply().exit_code == 0
    assert messages_to(srv, gw(1)) == 1
