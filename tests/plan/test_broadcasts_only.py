"""``--broadcasts-only``: what a scheduled job runs to send the broadcasts due now. No phonebook
change is planned or made; the phonebook is read only where an audience needs it; the state
(and so exactly once) is the same as the push job's."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, messages


def _setup(project: Project, members: list[int], *, template: str = "Rapat jam 10") -> None:
    project.write_groups(group("Office", [contact(i) for i in members]))
    doc = {"kind": "Broadcast", "name": "rapat", "audience": {"group": "Office"}}
    project.write_documents("broadcasts/b.yaml", [{**doc, "template": template}])
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])


def _contacts_on_gateway(srv: SandboxServer) -> list[str]:
    return sorted(c["mobile"] for c in srv.store.snapshot()["contacts"])


def test_apply_broadcasts_only_sends_what_is_due_and_changes_no_contact(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    assert project.apply().exit_code == 0
    _setup(project, [1, 2, 3])  # a newcomer in the spec, not applied yet

    scheduled = project.apply("--broadcasts-only")

    assert scheduled.exit_code == 0, scheduled.output
    assert "Group Office" not in scheduled.output  # no phonebook change planned
    assert _contacts_on_gateway(sandbox) == [gw(1), gw(2)]
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2), gw(3)]
    pushed = project.apply()  # the push job: the phonebook change, nothing sent twice
    assert pushed.exit_code == 0, pushed.output
    assert _contacts_on_gateway(sandbox) == [gw(1), gw(2), gw(3)]
    assert len(messages(sandbox)) == 3


def test_plan_broadcasts_only_reads_no_phonebook(project: Project, sandbox: SandboxServer) -> None:
    _setup(project, [1, 2])
    before = sandbox.stats()["requests"]
    plan = project.plan("--broadcasts-only")
    assert plan.exit_code == 2, plan.output  # changes: 2 messages to send
    assert "--broadcasts-only: the phonebook is not planned" in plan.output
    assert "Broadcast rapat (sms, per member of Office): 2 recipients: 2 to send" in plan.output
    assert sandbox.stats()["requests"] - before == 1  # the balance, for the sends; no listing
    assert sandbox.store.snapshot()["groups"] == []
    data = json.loads(
        project.run("plan", str(project.root), "--broadcasts-only", "--format", "json").stdout
    )
    schema = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["scope"]["only"] == ["broadcasts"] and data["actions"] == []


def test_saved_broadcasts_only_plan_is_applied_as_it_was_reviewed(
    project: Project, sandbox: SandboxServer, tmp_path: Path
) -> None:
    project.write_groups(group("Office", [contact(1)]))
    assert project.apply().exit_code == 0
    _setup(project, [1, 2])
    out = tmp_path / "plan.json"
    assert project.plan("--broadcasts-only", "--out", str(out)).exit_code == 2
    applied = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2)]
    assert _contacts_on_gateway(sandbox) == [gw(1)]


def test_group_call_in_a_broadcasts_only_run_reaches_the_group_as_the_gateway_holds_it(
    project: Project, sandbox: SandboxServer
) -> None:
    sandbox.store.add_group(USERNAME, "Office")
    sandbox.store.add_contact(USERNAME, name="Ada", mobile=gw(1), group="Office")
    _setup(project, [1, 2])
    doc = {"kind": "Broadcast", "name": "rapat", "audience": {"group": "Office"}}
    project.write_documents(
        "broadcasts/b.yaml", [{**doc, "via": "group-call", "template": "Rapat jam 10"}]
    )
    plan = project.plan("--broadcasts-only")
    # the spec's second member is not on the gateway yet: the one call reaches one member
    assert "group call to Office): 1 recipient: 1 to send" in plan.output, plan.output
    assert project.apply("--broadcasts-only").exit_code == 0
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]


def test_broadcasts_only_with_target_or_no_broadcasts_is_a_one_line_error(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1])
    for extra in (("--target", "Office"), ("--no-broadcasts",)):
        result = project.run("apply", str(project.root), "--broadcasts-only", *extra)
        assert result.exit_code == 1, result.output
        assert "--broadcasts-only" in result.output and "Traceback" not in result.output
    assert messages(sandbox) == []


def test_group_call_to_a_group_not_on_the_gateway_yet_names_broadcasts_only(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1])
    doc = {"kind": "Broadcast", "name": "rapat", "audience": {"group": "Office"}}
    project.write_documents(
        "broadcasts/b.yaml", [{**doc, "via": "group-call", "template": "Rapat jam 10"}]
    )
    result = project.run("apply", str(project.root), "--broadcasts-only", "--auto-approve")
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.output.splitlines() if "Office" in x]
    assert "is not on the gateway yet" in line and "--broadcasts-only" in line
    assert messages(sandbox) == []


def test_broadcasts_only_run_does_not_give_up_recipients_the_spec_drops_but_the_phonebook_holds(
    project: Project, sandbox: SandboxServer
) -> None:
    _setup(project, [1, 2, 3])

    def sent(progress: Any) -> None:
        if progress.outcome == "sent":
            sandbox.store.set_credit(USERNAME, 0)

    with project.manager().session() as session:
        session.apply(session.plan(), concurrency=1, on_sent=sent)
    sandbox.store.set_credit(USERNAME, 1000)
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]
    # a spec mistake drops two members: the push job's apply refuses it (or is never run),
    # and the scheduled job must not take them as having left the broadcast for good
    _setup(project, [1])
    scheduled = project.apply("--broadcasts-only")
    assert scheduled.exit_code == 0, scheduled.output
    assert "complete" not in scheduled.output
    assert [m["mobile"] for m in messages(sandbox)] == [gw(1)]

    _setup(project, [1, 2, 3])  # the mistake is reverted
    assert project.apply("--broadcasts-only").exit_code == 0
    assert sorted(m["mobile"] for m in messages(sandbox)) == [gw(1), gw(2), gw(3)]
