"""Guarantee 7: the password never appears in output, logs, plan files, ledgers, exception
messages or reprs; a credentials file that group or others can read is refused.

(Every CLI run in tests/reliability also asserts the password is absent from its output.)"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smsync.cli import cli
from smsync.gateway import Client
from smsync.gateway.errors import SmsyncError
from smsync.manager import GatewayOptions, Manager
from smsync.sandbox import SandboxServer
from tests.reliability.scenarios import build_world, cli_env, converge, password_file
from tests.support.sandbox import PASSWORD, USERNAME
from tests.support.serve import sandbox_serve


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(
        cli,
        args,
        env={"CI": "1", "SMSYNC_PASSWORD": "", "SMSYNC_CREDENTIALS_FILE": "", **(env or {})},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert PASSWORD not in result.output
    return result


@pytest.fixture
def world_root(make_sandbox: Callable[..., SandboxServer], tmp_path: Path) -> Path:
    srv = make_sandbox(fault_rate=0.2, seed=3, fault_kinds=["1703", "drop", "drop-after"])
    return build_world(tmp_path / "project", srv, random.Random(3)).root


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
@pytest.mark.parametrize("form", ["yaml", "ini"])
def test_credentials_file_readable_by_others_is_refused(
    world_root: Path, mode: int, form: str
) -> None:
    creds = world_root.parent / "credentials"
    creds.write_text(
        f"{USERNAME}: {PASSWORD}\n" if form == "yaml" else f"[{USERNAME}]\npassword = {PASSWORD}\n"
    )
    creds.chmod(mode)
    result = invoke(["plan", str(world_root), "--credentials-file", str(creds)])
    assert result.exit_code == 1
    assert "chmod 600" in result.output and "group/others" in result.output
    creds.chmod(0o600)  # the same file, private: accepted
    assert invoke(["plan", str(world_root), "--credentials-file", str(creds)]).exit_code in (0, 1)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_plan_output_and_plan_file_hold_no_password(
    world_root: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "plan.json"
    pw = password_file(world_root)
    for _ in range(5):  # faults: some runs fail, and their errors are checked too
        result = invoke(
            [
                "plan",
                str(world_root),
                "--format",
                fmt,
                "--show-pii",
                "--out",
                str(out),
                "--password-file",
                str(pw),
            ]
        )
        if result.exit_code == 0:
            break
    assert result.exit_code == 0, result.output
    assert PASSWORD not in out.read_text()


def test_wrong_password_errors_quote_neither_password(
    make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    srv = make_sandbox()
    root = build_world(tmp_path / "project", srv, random.Random(1)).root
    wrong = "wr0ng-Secret-77"
    result = invoke(["apply", str(root), "--auto-approve"], env={"SMSYNC_PASSWORD": wrong})
    assert result.exit_code == 1 and "1702" in result.output
    assert wrong not in result.output


def test_logs_exceptions_reprs_and_ledger_hold_no_password(
    world_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    os.environ["SMSYNC_LEDGER_KEEP_BODIES"] = "1"
    try:
        converge(world_root, max_runs=12, retries=2, backoff=0.01)
    finally:
        del os.environ["SMSYNC_LEDGER_KEEP_BODIES"]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records and PASSWORD not in text
    for path in world_root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    manager = Manager(world_root, GatewayOptions(password_file=password_file(world_root)))
    with manager.session() as session:
        for obj in (manager, session, session.client, session.credentials, manager.project):
            assert PASSWORD not in repr(obj) and PASSWORD not in str(obj)
    with (
        Client("http://127.0.0.1:9", USERNAME, PASSWORD, retries=0) as client,
        pytest.raises(SmsyncError) as err,
    ):
        client.list_groups()
    chain = [err.value, err.value.__cause__, err.value.__context__]
    assert all(PASSWORD not in repr(e) and PASSWORD not in str(e) for e in chain)


def test_sandbox_serve_never_prints_account_passwords(tmp_path: Path) -> None:
    with sandbox_serve(
        "--account", f"{USERNAME}:{PASSWORD}:100", "--db", str(tmp_path / "s.sqlite"), env=cli_env()
    ) as served:
        pass
    assert "http://" in served.first
    assert PASSWORD not in served.first + served.out + served.err
    shown = invoke(["sandbox", "show", "--db", str(tmp_path / "s.sqlite"), "--json"])
    assert shown.exit_code == 0 and USERNAME in shown.output
