"""A sending process really killed (SIGKILL) mid-broadcast, then re-run: every message reaches
its recipient exactly once (checked in the sandbox's own record of messages)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from smsync.broadcast import Ledger
from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import NOW, BProject, contacts
from tests.support.sandbox import messages

SCRIPT = textwrap.dedent("""
    import sys
    from datetime import datetime
    from pathlib import Path

    from smsync.broadcast import Ledger, plan_broadcasts, send_broadcasts
    from smsync.gateway import Client
    from smsync.spec import load_desired_state, load_project

    root, url, now = Path(sys.argv[1]), sys.argv[2], datetime.fromisoformat(sys.argv[3])
    project = load_project(root)
    desired = load_desired_state(project)
    with Ledger(project.ledger_path) as ledger, \\
            Client(url, "demo", "demo-pass", retries=2, backoff=0.01) as client:
        plans = plan_broadcasts(desired, project, ledger=ledger, now=now)
        print("START", flush=True)
        report = send_broadcasts(client, plans, ledger, concurrency=4)
        print("DONE", report.sent, report.already_sent, report.failed, flush=True)
""")

N = 24


def _run(
    script: Path, root: Path, url: str, kill_after: int | None, srv: SandboxServer
) -> str | None:
    """Run the sender; with ``kill_after``, SIGKILL it once the sandbox holds that many
    messages in total. Returns the DONE line of a run that finished."""
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(root), url, NOW.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        if kill_after is None:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            return next(line for line in out.splitlines() if line.startswith("DONE"))
        deadline = time.monotonic() + 30
        while len(messages(srv)) < kill_after and proc.poll() is None:
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)  # reaps it and closes its pipes
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()  # reaps it and closes its pipes


def test_killed_mid_broadcast_then_rerun_sends_each_message_once(
    bproject: BProject, make_sandbox: type, tmp_path: Path
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    srv = make_sandbox(
        latency_ms=15,
        latency_jitter_ms=25,
        seed=seed,
        no_wa_prefixes=tuple(gw(i) for i in range(0, N, 3)),
    )
    bproject.group("Office", contacts(N))
    bproject.broadcast("sms", "SMS for {{ name }}", {"contacts": {"groups": ["Office"]}})
    bproject.broadcast(
        "wa",
        "WA for {{ name }}",
        {"contacts": {"groups": ["Office"]}},
        channel="whatsapp",
        fallback="sms",
    )
    bproject.write()
    script = tmp_path / "sender.py"
    script.write_text(SCRIPT)

    # Two kills at random points of the run (the second one may land in the WhatsApp
    # broadcast and its SMS fallbacks), then a run to completion.
    first = rng.randrange(1, N)
    _run(script, bproject.root, srv.url, first, srv)
    after_first = len(messages(srv))
    assert 0 < after_first < 2 * N, f"seed {seed}: not killed mid-broadcast"
    _run(script, bproject.root, srv.url, rng.randrange(after_first + 1, 2 * N), srv)
    done = _run(script, bproject.root, srv.url, None, srv)
    assert done is not None

    sent = messages(srv)
    per = Counter((m["mobile"], m["text"].split()[0]) for m in sent)
    assert per == {(gw(i), kind): 1 for i in range(N) for kind in ("SMS", "WA")}, f"seed {seed}"
    no_wa = {gw(i) for i in range(0, N, 3)}
    for m in sent:
        if m["text"].startswith("WA"):
            assert m["channel"] == ("sms" if m["mobile"] in no_wa else "whatsapp"), f"seed {seed}"
    with Ledger(bproject.root / ".smsync" / "ledger.sqlite") as ledger:
        assert all(r.state == "SENT" for r in ledger.rows()), f"seed {seed}"
        assert len(ledger.rows()) == 2 * N
    # And one more run sends nothing at all.
    assert _run(script, bproject.root, srv.url, None, srv) == f"DONE 0 {2 * N} 0"
    assert len(messages(srv)) == 2 * N
