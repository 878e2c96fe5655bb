"""`smsync status` and `smsync dlr serve` through the real command line."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from smsync.broadcast import send_broadcasts
from smsync.cli import cli
from smsync.gateway import Client
from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.serve import serving

TOKEN = "cli-token-0123456789abcdef"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"SMSYNC_PASSWORD": PASSWORD, "CI": "1"})
    assert PASSWORD not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_status_refreshes_through_report(
    bproject: BProject, make_sandbox: Callable[..., SandboxServer]
) -> None:
    srv = make_sandbox(dlr_delay_ms=0, undeliverable_prefixes=(gw(1),))
    bproject.group("Office", contacts(3))
    bproject.broadcast("hello", "hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    bproject.broadcast("other", "yo", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger, Client(srv.url, USERNAME, PASSWORD) as client:
        send_broadcasts(client, bproject.plan(ledger), ledger)
    root = str(bproject.root)

    code, out, _ = _run("status", root, "--no-refresh", "--json")
    assert code == 0 and _states(out) == {"hello": {"SENT": 3}, "other": {"SENT": 3}}
    deadline = time.monotonic() + 5  # the sandbox finalises messages after dlr_delay_ms
    while any(m["status"] == "SENT" for m in srv.store.snapshot()["messages"]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    code, out, err = _run("status", root, "hello", "--endpoint", srv.url)
    assert code == 0, err
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["hello", "once,", "complete"]
    assert ["outcomes:", "DELIVRD", "2,", "UNDELIVRD", "1"] in lines
    assert "Refreshed 3 message(s)" in err
    code, out, _ = _run("status", root, "--no-refresh", "--json")
    assert _states(out)["hello"] == {"DELIVRD": 2, "UNDELIVRD": 1}

    code, _, err = _run("status", root, "nope", "--no-refresh")
    assert code == 1 and "broadcast 'nope' is not in the ledger" in err


def _states(out: str) -> dict[str, dict[str, int]]:
    return {b["name"]: b["states"] for b in json.loads(out)["broadcasts"]}


def test_status_without_ledger_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = _run("status", str(tmp_path), "--no-refresh")
    assert code == 1 and "no ledger at" in err and "Traceback" not in err


def test_dlr_serve_prints_template_records_and_stops_on_ctrl_c(
    bproject: BProject, sandbox: SandboxServer, client: Client
) -> None:
    bproject.group("Office", contacts(1))
    bproject.broadcast("hello", "hi", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        send_broadcasts(client, bproject.plan(ledger), ledger)
        [row] = ledger.rows("hello")
    env = {"SMSYNC_DLR_TOKEN": TOKEN, "PYTHONPATH": str(Path.cwd())}
    with serving("dlr", "serve", str(bproject.root), "--port", "0", env=env) as served:
        line = served.first
        assert line.startswith("Receiving delivery reports on http://127.0.0.1:"), line
        assert TOKEN not in line and "/<token>/dlr?msgid=%id&status=%s" in line
        base = line.split(" on ", 1)[1].split("/<token>")[0]
        url = f"{base}/{TOKEN}/dlr?msgid={row.msgid}&status=DELIVRD"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.status == 200
        try:
            urllib.request.urlopen(
                f"{base}/wrong-token-0123456789/dlr?msgid=1&status=DELIVRD", timeout=5
            )
            raise AssertionError("a wrong token was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 403
    out, err = served.out, served.err
    assert served.returncode == 0, err
    assert "Stopped; 1 delivery report(s) recorded." in out
    assert TOKEN not in out + err and "Traceback" not in err
    with bproject.ledger() as ledger:
        assert ledger.rows("hello")[0].state == "DELIVRD"


def test_dlr_serve_requires_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["dlr", "serve", str(tmp_path)], env={"SMSYNC_DLR_TOKEN": ""})
    assert result.exit_code == 1 and "a token is required" in result.stderr
    result = CliRunner().invoke(cli, ["dlr", "serve", str(tmp_path), "--token", "weak"])
    assert result.exit_code == 1 and "at least 16 characters" in result.stderr
