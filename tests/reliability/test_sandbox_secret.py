"""A `sandbox://PATH` endpoint neither uses nor stores the user's real password: the embedded
sandbox has its own fixed test secret, and a sandbox file that still holds another password for
the account (written by an older smsync) is rewritten so the old password is gone from its bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smsync.cli import cli
from smsync.endpoint import SANDBOX_PASSWORD
from smsync.sandbox import SandboxConfig, SandboxServer
from smsync.spec import load_project, resolve_credentials

#: Distinctive: any occurrence in the sandbox's files is the real password leaking into them.
REAL = "Real-Secret-7f3a9c-do-not-store"
USER = "demo"
GROUP = """\
kind: Group
name: Kantor
contacts:
  - {name: Andi, mobile: "081234567890"}
  - {name: Budi, mobile: "081234567891", desc: catatan}
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "smsync.yaml").write_text(
        f"gateway: {{endpoint: 'sandbox://.smsync/sandbox.sqlite', username: {USER}}}\n"
    )
    (root / "kantor.yaml").write_text(GROUP)
    return root


def run(*args: str, **env: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"CI": "1", **env})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert REAL not in result.output
    return result


def sandbox_bytes(root: Path) -> bytes:
    db = root / ".smsync" / "sandbox.sqlite"
    files = [db, *(db.with_name(db.name + s) for s in ("-wal", "-journal", "-shm"))]
    assert db.is_file()
    return b"".join(f.read_bytes() for f in files if f.exists())


def all_bytes_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.timeout(60)
def test_plan_and_apply_never_store_the_real_password_in_the_sandbox(tmp_path: Path) -> None:
    root = project(tmp_path)
    pw_file = tmp_path / "pw"
    pw_file.write_text(REAL + "\n")
    assert run("plan", str(root), SMSYNC_PASSWORD=REAL).exit_code == 0
    assert run("apply", str(root), "--auto-approve", SMSYNC_PASSWORD=REAL).exit_code == 0
    assert run("apply", str(root), "--auto-approve", "--password-file", str(pw_file)).exit_code == 0
    plan = run("plan", str(root), "--detailed-exitcode", SMSYNC_PASSWORD=REAL)
    assert plan.exit_code == 0, plan.output  # applied: the sandbox really was used
    assert REAL.encode() not in sandbox_bytes(root)
    assert REAL.encode() not in all_bytes_under(root)


@pytest.mark.timeout(60)
def test_an_old_sandbox_file_holding_a_real_password_is_rewritten(tmp_path: Path) -> None:
    root = project(tmp_path)
    db = root / ".smsync" / "sandbox.sqlite"
    db.parent.mkdir()
    # What an older smsync left behind: the account created with the user's real password,
    # then some churn so the value also sits in the file's history, not only in its live row.
    with SandboxServer(SandboxConfig(db_path=str(db))) as srv:
        srv.store.upsert_account(USER, REAL, credit=100)
        srv.store.upsert_account("other", REAL + "-other", credit=100)
        srv.store.add_group(USER, "Lama")
        srv.store.upsert_account(USER, REAL, credit=100)
    assert REAL.encode() in sandbox_bytes(root)
    result = run("plan", str(root), SMSYNC_PASSWORD=REAL)
    assert result.exit_code == 0, result.output
    held = sandbox_bytes(root)
    assert REAL.encode() + b"-other" in held  # other accounts are not ours to rewrite
    assert held.count(REAL.encode()) == held.count(REAL.encode() + b"-other")
    with SandboxServer(SandboxConfig(db_path=str(db))) as srv:
        assert srv.store.password_of(USER) == SANDBOX_PASSWORD


def test_sandbox_credentials_need_no_password_and_ignore_the_real_one(tmp_path: Path) -> None:
    root = project(tmp_path)
    p = load_project(root)
    missing = tmp_path / "no-such-file"
    for env in ({}, {"SMSYNC_PASSWORD": REAL}, {"SMSYNC_CREDENTIALS_FILE": str(missing)}):
        creds = resolve_credentials(p, env=env)
        assert creds.password == SANDBOX_PASSWORD
    pw_file = tmp_path / "pw"
    pw_file.write_text(REAL + "\n")
    assert resolve_credentials(p, password_file=pw_file, env={}).password == SANDBOX_PASSWORD
    assert SANDBOX_PASSWORD != REAL


def test_a_mistyped_password_file_is_reported_even_for_the_sandbox(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run("plan", str(root), "--password-file", str(tmp_path / "no-such-file"))
    assert result.exit_code == 1
    assert "password file" in result.output and "no-such-file" in result.output
