"""The delivery-report receiver in the forms a provider may impose: the reference's fixed
``/dlr.php?msgid=…&status=…`` path, a ``token`` parameter, a source allowlist; and every final
state the sandbox can report, end to end."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from smsync.broadcast import Ledger, make_dlr_server, send_broadcasts
from smsync.cli import cli
from smsync.gateway import Client
from smsync.sandbox import SandboxServer
from tests.support.dlr import TOKEN, add_sent_row, request, running, wait_for
from tests.support.numbers import gw
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD, USERNAME

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def test_token_as_a_query_parameter_on_the_reference_path_is_accepted() -> None:
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        server = make_dlr_server(ledger, TOKEN)
        with running(server):
            assert (
                request(server, "/dlr.php?msgid=MSG1&status=DELIVRD&token=wrong-token-xxxxxx")[0]
                == 403
            )
            assert request(server, "/dlr.php?msgid=MSG1&status=DELIVRD")[0] == 403
            assert ledger.rows("b")[0].state == "SENT"
            ok = request(server, f"/dlr.php?msgid=MSG1&status=DELIVRD&token={TOKEN}")
            assert ok == (200, "OK\n")
        assert ledger.rows("b")[0].state == "DELIVRD"


def test_without_a_token_only_msgids_awaiting_their_final_state_are_accepted() -> None:
    logged: list[str] = []
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        server = make_dlr_server(ledger, None, log=logged.append, allow=LOOPBACK)
        assert server.url_template.endswith("/dlr.php?msgid=%id&status=%s")
        with running(server):
            # a msgid smsync never sent: refused, and not held for later either
            assert request(server, "/dlr.php?msgid=FORGED&status=DELIVRD")[0] == 404
            assert ledger.by_msgid("FORGED") == []
            assert request(server, "/dlr.php?msgid=MSG1&status=REJECTED") == (200, "OK\n")
            # a final state once known is never overwritten by an unauthenticated report
            assert request(server, "/dlr.php?msgid=MSG1&status=DELIVRD")[0] == 404
        assert ledger.rows("b")[0].state == "REJECTED"
    assert any("/dlr.php" in line for line in logged)


def test_a_source_address_outside_the_allowlist_is_refused() -> None:
    with Ledger(":memory:") as ledger:
        add_sent_row(ledger)
        elsewhere = [ipaddress.ip_network("203.0.113.0/24")]
        for token in (None, TOKEN):
            server = make_dlr_server(ledger, token, allow=elsewhere)
            with running(server):
                path = f"/dlr.php?msgid=MSG1&status=DELIVRD&token={TOKEN}"
                assert request(server, path)[0] == 403
        assert ledger.rows("b")[0].state == "SENT"


def test_the_sandbox_reports_all_four_final_states_to_the_reference_path(
    bproject: BProject, make_sandbox: Callable[..., SandboxServer]
) -> None:
    bproject.group("Office", contacts(4))
    bproject.broadcast("hello", "hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    with bproject.ledger() as ledger:
        server = make_dlr_server(ledger, None, allow=LOOPBACK)
        with running(server):
            port = server.server_address[1]
            srv = make_sandbox(
                dlr_url=f"http://127.0.0.1:{port}/dlr.php?msgid=%id&status=%s",
                # without a secret, no report is held for a msgid smsync has not recorded yet:
                # the reports come once the sends are recorded, as from a real network
                dlr_delay_ms=400,
                undeliverable_prefixes=(gw(1),),
                final_states=(f"{gw(2)}=REJECTED", f"{gw(3)}=expired"),
            )
            with Client(srv.url, USERNAME, PASSWORD) as client:
                assert send_broadcasts(client, bproject.plan(ledger), ledger).sent == 4
            wait_for(lambda: ledger.counts("hello").get("SENT", 0) == 0)
        assert ledger.counts("hello") == {"DELIVRD": 1, "UNDELIVRD": 1, "REJECTED": 1, "EXPIRED": 1}


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    (tmp_path / "smsync.yaml").write_text(
        f"version: 1\ngateway:\n  endpoint: http://127.0.0.1:1\n  username: {USERNAME}\n"
    )
    result = CliRunner().invoke(
        cli, ["dlr", "serve", str(tmp_path), *args], env={"SMSYNC_DLR_TOKEN": "", **(env or {})}
    )
    return result.exit_code, result.output + (result.stderr or "")


def test_dlr_serve_without_a_token_needs_an_allowlist(tmp_path: Path) -> None:
    code, out = _serve(tmp_path, "--no-token")
    assert code == 1
    assert "--no-token needs --allow CIDR" in out
    assert "Traceback" not in out


def test_dlr_serve_refuses_a_malformed_allow_and_a_token_with_no_token(tmp_path: Path) -> None:
    code, out = _serve(tmp_path, "--no-token", "--allow", "10.0.0.300/8")
    assert code == 1
    assert "--allow '10.0.0.300/8' is not an IP address or CIDR block" in out
    code, out = _serve(
        tmp_path, "--no-token", "--allow", "10.0.0.0/8", env={"SMSYNC_DLR_TOKEN": TOKEN}
    )
    assert code == 1
    assert "exclude each other" in out
    assert TOKEN not in out


def test_sandbox_refuses_an_unknown_final_state(make_sandbox: Callable[..., SandboxServer]) -> None:
    from smsync.sandbox import SandboxConfig
    from smsync.sandbox.config import ConfigError

    try:
        SandboxConfig(final_states=("628=LOST",))
    except ConfigError as exc:
        assert "final_states: '628=LOST'" in str(exc)
    else:
        raise AssertionError("accepted")
