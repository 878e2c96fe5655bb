"""Project file loading and credential resolution (order, sources, permission checks, secrecy);
mistakes in either (an unknown region, a spec glob matching nothing, broken YAML credentials)
are named, never passed over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smsync.spec import CredentialsError, Project, load_project, resolve_credentials
from smsync.spec.errors import SpecErrors
from smsync.spec.loader import discover_spec_files
from smsync.spec.project import SANDBOX_DEFAULT_PASSWORD, Safety, read_credentials_file
from tests.support.files import WriteFn

SECRET = "s3cr3t-Pa55"


def project(
    tmp_path: Path,
    endpoint: str | None = "http://gw.example:8080",
    username: str | None = "yaml-user",
) -> Project:
    return Project(root=tmp_path, endpoint=endpoint, username=username)


def test_load_project_defaults_without_file(tmp_path: Path) -> None:
    p = load_project(tmp_path)
    assert p.config_file is None and p.region == "ID" and p.safety == Safety()
    assert p.ledger_path == tmp_path.resolve() / ".smsync/ledger.sqlite"


def test_load_project_reads_every_setting(tmp_path: Path, write: WriteFn) -> None:
    write(
        "smsync.yaml",
        """\
        version: 1
        gateway: {endpoint: "sandbox://.smsync/sb.sqlite", username: demo, page_size: 50}
        defaults: {region: sg}
        spec: ["g/*.yaml"]
        safety: {max_delete_share: 0.5, min_existing: 3, max_recipients: 10}
        suppression_file: stop.txt
        ledger: state/ledger.sqlite
        """,
    )
    p = load_project(tmp_path)
    root = tmp_path.resolve()
    assert p.endpoint == f"sandbox://{root}/.smsync/sb.sqlite"  # relative to the project
    assert (p.username, p.page_size, p.region, p.spec_globs) == ("demo", 50, "SG", ["g/*.yaml"])
    assert p.safety == Safety(max_delete_share=0.5, min_existing=3, max_recipients=10)
    assert p.suppression_file == root / "stop.txt"
    assert p.ledger_path == root / "state/ledger.sqlite"


def test_order_cli_then_env_then_yaml(tmp_path: Path) -> None:
    env = {
        "SMSYNC_ENDPOINT": "https://env.example",
        "SMSYNC_USERNAME": "env-user",
        "SMSYNC_PASSWORD": SECRET,
    }
    c = resolve_credentials(project(tmp_path), env=env)
    assert (c.endpoint, c.username, c.password) == ("https://env.example", "env-user", SECRET)
    c = resolve_credentials(
        project(tmp_path), endpoint="http://cli.example", username="cli", env=env
    )
    assert (c.endpoint, c.username) == ("http://cli.example", "cli")
    c = resolve_credentials(project(tmp_path), env={"SMSYNC_PASSWORD": SECRET})
    assert (c.endpoint, c.username) == ("http://gw.example:8080", "yaml-user")


def test_password_never_in_repr_or_str(tmp_path: Path) -> None:
    c = resolve_credentials(project(tmp_path), env={"SMSYNC_PASSWORD": SECRET})
    assert SECRET not in repr(c) and SECRET not in str(c)


def test_password_file_wins_over_env(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("from-file\n")
    c = resolve_credentials(project(tmp_path), password_file=pw, env={"SMSYNC_PASSWORD": "env"})
    assert c.password == "from-file"
    pw.write_text("")
    with pytest.raises(CredentialsError, match="is empty"):
        resolve_credentials(project(tmp_path), password_file=pw, env={})


@pytest.mark.parametrize(
    "text",
    [
        f"yaml-user: '{SECRET}'\nother: x\n",
        f"[yaml-user]\npassword = {SECRET}\n",
        f"yaml-user = {SECRET}\n",
    ],
)
def test_credentials_file_formats(tmp_path: Path, text: str) -> None:
    f = tmp_path / "creds"
    f.write_text(text)
    f.chmod(0o600)
    c = resolve_credentials(project(tmp_path), credentials_file=f, env={})
    assert c.password == SECRET


def test_credentials_file_keeps_numeric_passwords_verbatim(tmp_path: Path) -> None:
    f = tmp_path / "creds"
    f.write_text("yaml-user: 0123\n")  # YAML 1.1 would read an octal 83
    f.chmod(0o600)
    assert resolve_credentials(project(tmp_path), credentials_file=f, env={}).password == "0123"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_credentials_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "creds"
    f.write_text(f"yaml-user: {SECRET}\n")
    f.chmod(0o644)
    with pytest.raises(CredentialsError) as e:
        resolve_credentials(project(tmp_path), credentials_file=f, env={})
    assert "mode 0644" in str(e.value) and "chmod 600" in str(e.value)
    assert SECRET not in str(e.value)


def test_credentials_file_from_env_and_default_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "xdg" / "smsync" / "credentials"
    f.parent.mkdir(parents=True)
    f.write_text(f"yaml-user: {SECRET}\n")
    f.chmod(0o600)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert resolve_credentials(project(tmp_path), env={}).password == SECRET
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    env = {"SMSYNC_CREDENTIALS_FILE": str(f)}
    assert resolve_credentials(project(tmp_path), env=env).password == SECRET


def test_garbled_credentials_file_error_does_not_quote_it(tmp_path: Path) -> None:
    f = tmp_path / "creds"
    f.write_text(f"- [{SECRET}\n")
    f.chmod(0o600)
    with pytest.raises(CredentialsError) as e:
        resolve_credentials(project(tmp_path), credentials_file=f, env={})
    assert SECRET not in str(e.value)


def test_missing_pieces_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(CredentialsError, match="no gateway endpoint"):
        resolve_credentials(project(tmp_path, endpoint=None), env={})
    with pytest.raises(CredentialsError, match="no username"):
        resolve_credentials(project(tmp_path, username=None), env={})
    with pytest.raises(CredentialsError, match="no password for user 'yaml-user'"):
        resolve_credentials(project(tmp_path), env={})
    with pytest.raises(CredentialsError, match="must start with"):
        resolve_credentials(project(tmp_path), endpoint="gw.example", env={})
    with pytest.raises(CredentialsError, match="does not exist"):
        resolve_credentials(project(tmp_path), credentials_file=tmp_path / "nope", env={})


def test_sandbox_needs_no_password_and_paths_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    c = resolve_credentials(project(tmp_path), endpoint="sandbox://db.sqlite", env={})
    assert c.password == SANDBOX_DEFAULT_PASSWORD
    assert c.endpoint == f"sandbox://{tmp_path.resolve()}/db.sqlite"


def test_unknown_region_is_named(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\ndefaults: {region: XX}\n")
    with pytest.raises(SpecErrors, match=r"defaults.region: unknown region 'XX'"):
        load_project(tmp_path)


def test_a_spec_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\nspec: [grups/*.yaml]\n")
    with pytest.raises(SpecErrors, match=r"spec: pattern 'grups/\*.yaml' matches no file"):
        discover_spec_files(load_project(tmp_path))


def test_broken_yaml_credentials_are_not_read_as_ini(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("demo: [\n")
    creds.chmod(0o600)
    with pytest.raises(CredentialsError, match="neither a YAML mapping"):
        read_credentials_file(creds)
