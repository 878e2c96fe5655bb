"""``gateway.gsm7_as_type0`` and ``gateway.md5_charset`` in smsync.yaml reach the client every
command opens: what `smsync doctor` prints for a gateway is a project file that works there.
Real sandbox, real HTTP, the real CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from smsync.cli import cli
from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

MakeSandbox = Callable[..., SandboxServer]
NON_ASCII_PASSWORD = "pässwörd"


def run(*args: str, password: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"SMSYNC_PASSWORD": password, "CI": ""})
    assert password not in result.output
    assert result.exit_code in (0, 2), result.output
    return result.output


def test_the_settings_doctor_prints_for_a_cp1252_gateway_sign_every_later_request(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    server = make_sandbox(md5_charset="cp1252")
    server.store.ensure_account(USERNAME, NON_ASCII_PASSWORD)
    out = run(
        "doctor",
        str(tmp_path),
        "--endpoint",
        server.url,
        "--username",
        USERNAME,
        password=NON_ASCII_PASSWORD,
    )
    start = out.rindex("\n", 0, out.index("gateway:\n")) + 1  # with its indent
    block = textwrap.dedent(out[start:].split("\n\n")[0])
    # a setting, not a comment
    assert any(line.startswith("  md5_charset: cp1252") for line in block.splitlines()), block
    # the printed block, as it is, is the project's smsync.yaml
    (tmp_path / "smsync.yaml").write_text(f"version: 1\n{block}\nspec: [groups/*.yaml]\n")
    (tmp_path / "groups").mkdir()
    (tmp_path / "groups" / "g.yaml").write_text("kind: Group\nname: Office\ncontacts: []\n")
    out = run("apply", str(tmp_path), "--auto-approve", password=NON_ASCII_PASSWORD)
    assert [g["name"] for g in server.store.snapshot()["groups"]] == ["Office"], out


def write_broadcast(project: Project, template: str) -> None:
    project.write_groups(group("Office", [contact(1)]))
    (project.root / "broadcasts").mkdir(exist_ok=True)
    (project.root / "broadcasts" / "b.yaml").write_text(
        "kind: Broadcast\nname: kafe\naudience:\n  contacts:\n    groups: [Office]\n"
        f"template: {template}\n",
        encoding="utf-8",
    )


def test_gsm7_as_type0_sends_accented_text_as_type_0(
    sandbox: SandboxServer, project: Project
) -> None:
    write_broadcast(project, "Kopi di Café jam 10")
    project.write_config(
        gateway={"endpoint": sandbox.url, "username": USERNAME, "gsm7_as_type0": True},
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
    )
    assert project.apply().exit_code == 0
    [message] = sandbox.store.snapshot()["messages"]
    assert message["type"] == 0 and message["text"] == "Kopi di Café jam 10"


def test_by_default_accented_text_goes_as_unicode(sandbox: SandboxServer, project: Project) -> None:
    write_broadcast(project, "Kopi di Café jam 10")
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])
    assert project.apply().exit_code == 0
    [message] = sandbox.store.snapshot()["messages"]
    assert message["type"] != 0


def test_an_unknown_md5_charset_is_refused_naming_the_file_and_field(project: Project) -> None:
    project.write_config(
        gateway={"endpoint": project.endpoint, "username": USERNAME, "md5_charset": "latin-9"}
    )
    result = project.plan()
    assert result.exit_code == 1
    first = result.output.strip().splitlines()[0]
    assert "smsync.yaml:" in first and "gateway.md5_charset" in first, result.output
    assert "Traceback" not in result.output
