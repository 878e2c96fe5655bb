"""``via:`` of a broadcast in the spec: how a group audience is sent. Bad values and
combinations are one line each, at the file:line:column of ``via``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.files import WriteFn


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smsync.yaml").write_text("# defaults\n")


def _problems() -> list[str]:
    r = run_cli("validate")
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    return [line for line in r.output.splitlines() if not line.endswith("found")]


def test_via_group_call_and_per_member_are_valid(write: WriteFn) -> None:
    write(
        "b.yaml",
        """\
        kind: Broadcast
        name: a
        audience: {group: Kantor}
        via: group-call
        template: Kantor libur
        ---
        kind: Broadcast
        name: b
        audience: {group: Kantor}
        via: per-member
        mode: ongoing
        template: Halo {{ name }}
        """,
    )
    r = run_cli("validate")
    assert r.exit_code == 0, r.output


def test_via_with_an_unknown_value_is_an_error_at_its_line(write: WriteFn) -> None:
    write(
        "b.yaml",
        "kind: Broadcast\nname: a\naudience: {group: Kantor}\nvia: groupcall\ntemplate: hi\n",
    )
    assert _problems() == [
        "b.yaml:4:6: via: 'groupcall' is not one of: per-member, group-call",
    ]


def test_via_group_call_needs_a_group_audience(write: WriteFn) -> None:
    write(
        "b.yaml",
        "kind: Broadcast\nname: a\naudience: {contacts: {groups: [Kantor]}}\n"
        "via: group-call\ntemplate: hi\n",
    )
    assert _problems() == [
        "b.yaml:4:6: via: 'via: group-call' is one SendSMSGroup call to a group: it needs "
        "audience.group",
    ]


@pytest.mark.parametrize("mode", ["ongoing", "recurring"])
def test_via_group_call_is_only_for_once_broadcasts(write: WriteFn, mode: str) -> None:
    schedule = "schedule: {on: birth}\n" if mode == "recurring" else ""
    write(
        "b.yaml",
        f"kind: Broadcast\nname: a\naudience: {{group: Kantor}}\nvia: group-call\n"
        f"mode: {mode}\n{schedule}template: hi\n",
    )
    assert _problems() == [
        f"b.yaml:4:6: via: 'via: group-call' is one call to the whole group, which mode {mode} "
        "cannot be (it sends per member): leave via out",
    ]
