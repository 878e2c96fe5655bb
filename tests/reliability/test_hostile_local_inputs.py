"""Local inputs other than spec files: the suppression list, --password-file, `dlr serve
--token-file`, non-UTF-8 credentials and `import --out`. A device, a FIFO, a directory, a missing
file or undecodable bytes each give one clear line and exit 1: never a traceback, never a hang,
never a read without end, and never a hint of the secret (not even a position inside it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxServer
from tests.support.sandbox import PASSWORD, USERNAME

#: An endpoint nothing listens on: credentials are checked before any request is made.
NOWHERE = "http://127.0.0.1:9"
SANDBOX = 'version: 1\ngateway: {endpoint: "sandbox://.smsync/s.sqlite", username: demo}\n'
KINDS = ["dev_zero", "fifo", "directory", "missing", "not_utf8"]
#: What each kind of path is called in the error.
REASONS = {
    "dev_zero": "is not a regular file",
    "fifo": "is not a regular file",
    "directory": "is a directory",
    "missing": "does not exist",
    "not_utf8": "is not UTF-8 text",
}
#: A password file, token or variable holding bytes that are not UTF-8, after two good bytes.
BAD_BYTES = b"pa\xff\xfess-" + PASSWORD.encode()


def hostile(tmp_path: Path, kind: str) -> Path:
    """A path of the given kind (a FIFO nobody writes to blocks whoever opens it to read)."""
    path = tmp_path / f"hostile-{kind}"
    if kind == "dev_zero":
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero here")
        return Path("/dev/zero")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "not_utf8":
        path.write_bytes(BAD_BYTES + b"\n")
    return path


def run(*args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, list(args), env={"CI": "1", "SMSYNC_CREDENTIALS_FILE": "", **env}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    out = result.output
    assert "Traceback" not in out
    assert PASSWORD not in out and "position" not in out, out
    return result.exit_code, out


def plan_against_nowhere(root: Path, *args: str, **env: str) -> tuple[int, str]:
    """``smsync plan ROOT ARGS`` for the test user at an endpoint nothing listens on."""
    return run("plan", str(root), "--endpoint", NOWHERE, "--username", USERNAME, *args, **env)


def one_error_line(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.strip() and not ln.endswith("found")]
    assert len(lines) == 1, out
    return lines[0]


def empty_project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    return root


def assert_one_line_names_the_file(code: int, out: str, what: str, path: Path, kind: str) -> None:
    """Exit 1 with one error line naming ``what`` (e.g. "password file"), the path and why."""
    assert code == 1, out
    line = one_error_line(out)
    assert what in line and str(path) in line, line
    assert REASONS[kind] in line, line


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_hostile_suppression_file_is_one_clear_error(
    tmp_path: Path, kind: str, command: str
) -> None:
    root = empty_project(tmp_path)
    target = hostile(tmp_path, kind)
    (root / "smsync.yaml").write_text(SANDBOX + f'suppression_file: "{target}"\n')
    # plan reads the suppression list for broadcasts only.
    (root / "g.yaml").write_text(
        'kind: Group\nname: Kantor\ncontacts: [{name: Andi, mobile: "081234567890"}]\n---\n'
        'kind: Broadcast\nname: halo\naudience: {group: Kantor}\ntemplate: "Halo semua"\n'
    )
    code, out = run(command, str(root))
    assert_one_line_names_the_file(code, out, "suppression_file", target, kind)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_password_file_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    root = empty_project(tmp_path)
    target = hostile(tmp_path, kind)
    code, out = plan_against_nowhere(root, "--password-file", str(target))
    if kind == "directory":
        # click itself refuses a directory for --password-file (a usage error, exit 2).
        assert code in (1, 2) and f"'{target}' is a directory" in out, out
        return
    assert_one_line_names_the_file(code, out, "password file", target, kind)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_credentials_file_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    root = empty_project(tmp_path)
    target = hostile(tmp_path, kind)
    if kind == "not_utf8":
        target.chmod(0o600)
    code, out = plan_against_nowhere(root, SMSYNC_CREDENTIALS_FILE=str(target))
    assert_one_line_names_the_file(code, out, "credentials file", target, kind)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_dlr_token_file_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    root = empty_project(tmp_path)
    target = hostile(tmp_path, kind)
    code, out = run("dlr", "serve", str(root), "--port", "0", "--token-file", str(target))
    assert_one_line_names_the_file(code, out, "token file", target, kind)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("variable", ["SMSYNC_PASSWORD", "SMSYNC_USERNAME"])
def test_non_utf8_credentials_from_the_environment_are_one_clear_error(
    tmp_path: Path, sandbox: SandboxServer, variable: str
) -> None:
    root = empty_project(tmp_path)
    # What Python makes of a variable holding bytes that are not UTF-8 (PEP 383).
    value = os.fsdecode(BAD_BYTES)
    env = {"SMSYNC_PASSWORD": PASSWORD, "SMSYNC_USERNAME": USERNAME, variable: value}
    code, out = run("plan", str(root), "--endpoint", sandbox.url, **env)
    assert code == 1, out
    line = one_error_line(out)
    assert variable in line and "UTF-8" in line, line


@pytest.mark.timeout(30)
def test_non_utf8_username_option_is_one_clear_error(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    root = empty_project(tmp_path)
    code, out = run(
        "plan",
        str(root),
        "--endpoint",
        sandbox.url,
        "--username",
        os.fsdecode(b"de\xffmo"),
        SMSYNC_PASSWORD=PASSWORD,
    )
    assert code == 1, out
    assert "username" in one_error_line(out) and "UTF-8" in out


@pytest.mark.timeout(30)
@pytest.mark.parametrize("out", ["groups", "groups/sub"])
def test_import_out_that_is_or_is_under_a_regular_file_is_one_clear_error(
    tmp_path: Path, make_sandbox: Callable[..., SandboxServer], out: str
) -> None:
    root = empty_project(tmp_path)
    srv = make_sandbox()
    srv.store.add_group(USERNAME, "Kantor")
    srv.store.add_contact(USERNAME, name="Andi", mobile="081234567890", group="Kantor")
    a_file = root / "groups"
    a_file.write_text("not a directory\n")
    code, output = run(
        "import",
        str(root),
        "--endpoint",
        srv.url,
        "--username",
        USERNAME,
        "--out",
        str(root / out),
        SMSYNC_PASSWORD=PASSWORD,
    )
    assert code == 1, output
    line = one_error_line(output)
    assert str(root / out) in line and "not a directory" in line.lower(), line
    assert a_file.read_text() == "not a directory\n"
