"""`smsync doctor` against the sandbox in combinations of its dialect switches: it must recover
each switch exactly, print settings and sandbox flags that mimic the gateway, change nothing,
and a project planned with the settings it prints must converge. Real HTTP, the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from smsync.cli import cli
from smsync.doctor import diagnose
from smsync.sandbox import SandboxServer
from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, USERNAME

MakeSandbox = Callable[..., SandboxServer]

# Every value of every switch the doctor reads, each appearing at least once (the switches
# cycle at different lengths, so the combinations differ from row to row).
SWITCH_VALUES: dict[str, list[Any]] = {
    "paths": ["both", "camel", "underscore"],
    "number_param": ["both", "no", "number"],
    "credits_path": ["both", "api", "root"],
    "list_form": ["full", "short"],
    "separator": ["unicode", "cp1252", "bytes"],
    "birth_form": ["yyyymmdd", "dmy", "iso", "slash"],
    "error_suffix": ["", "<html><body>error</body></html>"],
    "max_page_size": [25, 40, 100],
}
COMBINATIONS = [
    {name: values[(i + k) % len(values)] for k, (name, values) in enumerate(SWITCH_VALUES.items())}
    for i in range(6)
]
CONTACTS = 45  # more than a small cap, so the cap shows


@dataclass
class Creds:
    endpoint: str
    username: str = USERNAME
    password: str = PASSWORD


def seed(server: SandboxServer, count: int = CONTACTS) -> None:
    server.store.add_group(USERNAME, "Office")
    for i in range(count):
        server.store.add_contact(
            USERNAME,
            name=f"Kontak {i}",
            mobile=number(i),
            group="Office",
            birth="1990-08-17" if i % 2 == 0 else None,
        )


def test_every_switch_value_is_covered() -> None:
    for name, values in SWITCH_VALUES.items():
        assert {c[name] for c in COMBINATIONS} == set(values), name
    assert len({tuple(c.values()) for c in COMBINATIONS}) == len(COMBINATIONS)


@pytest.mark.parametrize(
    "switches", COMBINATIONS, ids=["-".join(str(v)[:6] for v in c.values()) for c in COMBINATIONS]
)
def test_doctor_recovers_each_switch_exactly(
    make_sandbox: MakeSandbox, switches: dict[str, Any]
) -> None:
    server = make_sandbox(**switches)
    seed(server)
    found = diagnose(Creds(server.url)).sandbox_switches()
    expected = dict(switches)
    if expected["max_page_size"] >= CONTACTS:  # a cap above the phonebook cannot show
        del expected["max_page_size"]
    assert found == expected


def test_doctor_reads_the_md5_charset_when_the_password_can_tell(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(md5_charset="cp1252")
    server.store.ensure_account("ani", "pässwörd")
    found = diagnose(Creds(server.url, "ani", "pässwörd"))
    assert found.dialect.md5_charset == "cp1252"
    assert "md5_charset: cp1252" in found.gateway_settings()


def test_doctor_changes_nothing(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox()
    seed(server)
    before = server.store.snapshot()
    diagnose(Creds(server.url))
    assert server.store.snapshot() == before


def test_doctor_on_an_empty_phonebook_says_what_it_cannot_settle(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox()
    found = diagnose(Creds(server.url))
    assert found.dialect.balance == 1000
    assert found.dialect.unsettled["list_form"] == "the phonebook is empty"
    assert "list_form" not in found.sandbox_switches()


def run(
    project_dir: Path, endpoint: str, *args: str, password: str = PASSWORD, input: str | None = None
) -> Result:
    """``smsync doctor PROJECT_DIR --endpoint ENDPOINT --username USERNAME ARGS``."""
    return CliRunner().invoke(
        cli,
        ["doctor", str(project_dir), "--endpoint", endpoint, "--username", USERNAME, *args],
        env={"SMSYNC_PASSWORD": password},
        input=input,
    )


def test_doctor_command_prints_findings_settings_and_flags(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    server = make_sandbox(paths="underscore", max_page_size=25, error_suffix="<br>")
    seed(server)
    result = run(tmp_path, server.url + "/web2sms/api")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "phbk_getList only" in out and "at most 25 rows a page" in out
    assert "  page_size: 25" in out and f"endpoint: {server.url}\n" in out
    assert "--paths underscore" in out and "--error-suffix '<br>'" in out
    assert PASSWORD not in out
    data = json.loads(run(tmp_path, server.url, "--json").output)
    assert data["sandbox"]["max_page_size"] == 25 and data["balance"] == "1000"
    assert data["version"] == 1


def test_doctor_with_a_wrong_password_is_one_clear_line(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    server = make_sandbox()
    result = run(tmp_path, server.url, password="not-the-password")
    assert result.exit_code == 1
    assert "1702" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "not-the-password" not in result.output


def test_a_project_planned_with_the_printed_settings_converges(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project]
) -> None:
    server = make_sandbox(
        paths="underscore",
        number_param="number",
        list_form="short",
        separator="bytes",
        birth_form="dmy",
        max_page_size=7,
        error_suffix="<br>",
    )
    seed(server, 12)
    found = diagnose(Creds(server.url))
    assert found.dialect.max_page_size == 7
    project = make_project(server)
    project.write_config(
        gateway={
            "endpoint": server.url,
            "username": USERNAME,
            "page_size": found.dialect.max_page_size,
        }
    )
    members = [contact(i, birth="1990-08-17") for i in range(0, 12, 2)]
    members += [contact(i) for i in range(1, 12, 2)] + [contact(20)]
    project.write_groups(group("Office", members))
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    again = project.plan()
    assert again.exit_code == 0, again.output  # no changes left


@pytest.mark.parametrize("add_success", ["comma", "bare"])
def test_write_probe_reads_the_add_answer_and_leaves_nothing_behind(
    make_sandbox: MakeSandbox, add_success: str
) -> None:
    server = make_sandbox(add_success=add_success)
    seed(server, 3)
    before = server.store.snapshot()
    found = diagnose(Creds(server.url), write_probe=True)
    assert found.sandbox_switches()["add_success"] == add_success
    assert found.dialect.name_round_trip == "Doctor Probe Ωμέγα 名前"
    assert found.dialect.group_delete_with_members == "refused"  # the sandbox answers 1705
    after = server.store.snapshot()
    assert (after["groups"], after["contacts"]) == (before["groups"], before["contacts"])
    assert after["messages"] == []


def test_without_write_probe_the_write_answers_are_not_settled(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    server = make_sandbox()
    seed(server, 3)
    result = run(tmp_path, server.url, "--json")
    assert json.loads(result.output)["writes"]["add_success"] is None
    result = run(tmp_path, server.url, "--write-probe")
    assert result.exit_code == 0, result.output
    assert "add answers                1701,<new id>" in result.output
    assert "--add-success comma" in result.output


def test_record_writes_a_redacted_transcript(make_sandbox: MakeSandbox, tmp_path: Any) -> None:
    server = make_sandbox(paths="underscore")
    seed(server, 12)
    transcript = tmp_path / "doctor.json"
    result = run(tmp_path, server.url, "--record", str(transcript))
    assert result.exit_code == 0, result.output
    text = transcript.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["version"] == 1 and data["endpoint"] == server.url
    exchanges = data["exchanges"]
    assert any(e["path"].endswith("phbk_getList.aspx") and e["status"] == 200 for e in exchanges)
    assert any(e["status"] == 404 for e in exchanges)  # the camelCase spelling, refused
    assert all("auth" not in e["params"] for e in exchanges)
    assert PASSWORD not in text
    for i in range(12):
        assert number(i) not in text  # every number masked...
    assert number(0)[:4] + "******" in text  # ...recognisably


def test_record_is_written_when_the_credentials_are_refused(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    server = make_sandbox()
    transcript = tmp_path / "doctor.json"
    result = run(tmp_path, server.url, "--record", str(transcript), password="wrong-secret")
    assert result.exit_code == 1
    text = transcript.read_text(encoding="utf-8")
    assert "1702" in text and "wrong-secret" not in text


def test_a_sandbox_endpoint_is_shown_as_written(tmp_path: Any) -> None:
    endpoint = f"sandbox://{tmp_path / 'sb.sqlite'}"
    found = diagnose(Creds(endpoint, USERNAME, "sandbox"))
    assert found.endpoint == endpoint and f"endpoint: {endpoint}\n" in found.gateway_settings()
    assert found.dialect.unsettled["max_page_size"] == "the phonebook is empty"


@pytest.mark.parametrize(
    ("remembers", "send_success"),
    [(False, "comma"), (False, "concat"), (False, "pipe"), (False, "bare"), (True, "colon")],
)
def test_sms_probe_reads_what_a_trxid_binds(
    make_sandbox: MakeSandbox, tmp_path: Any, remembers: bool, send_success: str
) -> None:
    server = make_sandbox(trxid_remembers_failures=remembers, send_success=send_success)
    seed(server, 3)
    result = run(tmp_path, server.url, "--sms-to", number(7), "--json", input="y\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    switches = data["sandbox"]
    assert switches["trxid_remembers_failures"] is remembers
    sent = server.store.snapshot()["messages"]
    if remembers:
        assert sent == [] and "send_success" not in switches
    else:
        assert switches["send_success"] == send_success
        assert data["writes"]["trxid_repeat_same"] is True
        assert [m["mobile"] for m in sent] == [number(7)]  # one SMS, whatever was repeated


def test_sms_probe_asks_first_and_sends_nothing_when_refused(
    make_sandbox: MakeSandbox, tmp_path: Any
) -> None:
    server = make_sandbox()
    result = run(tmp_path, server.url, "--sms-to", number(7), input="n\n")
    assert result.exit_code == 1 and number(7) in result.output
    assert server.store.snapshot()["messages"] == []
    assert server.stats()["requests"] == 0
