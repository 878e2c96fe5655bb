"""A plan counts each message's segments the way the client will send it: text outside ASCII
(é, €) goes as Unicode unless ``gateway.gsm7_as_type0``, so it costs what the gateway bills
for Unicode, and the balance check judges that cost. Real sandbox (which bills what it
receives), real HTTP, the real CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

EXIT_UNSAFE = 3
# 99 characters, one é: a single GSM-7 segment (160), two Unicode ones (70 each)
MESSAGE = (
    "Kopi di Café jam 10 pagi untuk semua anggota kantor; "
    "jangan lupa bawa gelas sendiri dan kartu nama."
)


def write_broadcast(project: Project, sandbox: SandboxServer, **gateway: object) -> None:
    assert 70 < len(MESSAGE) <= 160
    project.write_groups(group("Office", [contact(1), contact(2)]))
    (project.root / "broadcasts").mkdir(exist_ok=True)
    (project.root / "broadcasts" / "b.yaml").write_text(
        "kind: Broadcast\nname: kopi\naudience:\n  contacts:\n    groups: [Office]\n"
        f"template: {json.dumps(MESSAGE, ensure_ascii=False)}\n",
        encoding="utf-8",
    )
    project.write_config(
        gateway={"endpoint": sandbox.url, "username": USERNAME, **gateway},
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
    )


def planned(project: Project) -> dict[str, Any]:
    result = project.run("plan", str(project.root), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(("gsm7_as_type0", "per_message"), [(False, 2), (True, 1)])
def test_planned_segments_are_the_segments_the_gateway_bills(
    sandbox: SandboxServer, project: Project, gsm7_as_type0: bool, per_message: int
) -> None:
    write_broadcast(project, sandbox, gsm7_as_type0=gsm7_as_type0)
    data = planned(project)
    [broadcast] = data["broadcasts"]
    assert [r["segments"] for r in broadcast["recipients"]] == [per_message, per_message]
    assert data["credit"]["needed"] == 2 * per_message
    assert project.apply().exit_code == 0
    billed = [m["segments"] for m in sandbox.store.snapshot()["messages"]]
    assert billed == [per_message, per_message]
    assert sandbox.store.credit(USERNAME) == 1000 - 2 * per_message


def test_a_balance_that_pays_for_gsm7_but_not_for_unicode_is_refused_before_sending(
    sandbox: SandboxServer, project: Project
) -> None:
    write_broadcast(project, sandbox)
    sandbox.store.set_credit(USERNAME, 3)  # 2 messages: 2 segments as GSM-7, 4 as sent
    plan = project.plan()
    assert plan.exit_code == EXIT_UNSAFE, plan.output
    assert "the sends need 4 segments" in plan.output, plan.output
    assert project.apply("--force").exit_code == EXIT_UNSAFE
    assert sandbox.store.snapshot()["messages"] == []
