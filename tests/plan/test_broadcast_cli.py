"""Broadcasts through `smsync plan` / `smsync apply`: the real CLI against the sandbox."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tests.support.broadcasts import write_broadcasts
from tests.support.numbers import gw, number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME, messages


def send_one_broadcast(project: Project) -> None:
    """Office with one contact, and a per-contact broadcast to it, applied (so: sent)."""
    project.write_groups(group("Office", [contact(1)]))
    write_broadcasts(
        project,
        {"name": "b", "audience": {"contacts": {"groups": ["Office"]}}, "template": "Halo"},
    )
    assert project.apply().exit_code == 0


def test_per_contact_broadcast_plans_sends_once(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1, "Budi"), contact(2, "Siti")]))
    write_broadcasts(
        project,
        {
            "name": "rapat",
            "audience": {"contacts": {"groups": ["Office"]}},
            "template": "Halo {{ name }}, rapat jam {{ time }}.",
            "vars": {"time": "10:00"},
        },
    )
    plan = project.plan()
    assert plan.exit_code == 2, plan.output
    assert "Broadcast rapat (sms, per contact): 2 recipients: 2 to send" in plan.output
    assert '"Halo Budi, rapat jam 10:00."' in plan.output  # --show-pii: exact samples
    # the group is created by the same apply: recipients come from the desired state
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert "Broadcast rapat: 2 sent" in applied.output
    sent = messages(sandbox)
    assert sorted(m["mobile"] for m in sent) == [gw(1), gw(2)]
    assert {m["text"] for m in sent} == {
        "Halo Budi, rapat jam 10:00.",
        "Halo Siti, rapat jam 10:00.",
    }

    again = project.plan()
    assert again.exit_code == 0, again.output
    assert "Broadcast rapat (sms, per contact): complete (2 sent)" in again.output
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 2  # re-apply sends nothing


def test_group_broadcast_reaches_members_added_by_the_same_apply(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2), contact(3)]))
    write_broadcasts(
        project,
        {
            "name": "libur",
            "audience": {"group": "Office"},
            "template": "Kantor libur.",
            "via": "group-call",
        },
    )
    plan = project.plan()
    assert "group call to Office" in plan.output and "3 recipients" in plan.output
    assert project.apply().exit_code == 0
    sent = messages(sandbox)
    assert sorted(m["mobile"] for m in sent) == [gw(1), gw(2), gw(3)]
    assert len({m["batch_id"] for m in sent}) == 1
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 3


def test_unsafe_broadcast_needs_force(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(3)]))
    write_broadcasts(
        project,
        {
            "name": "big",
            "audience": {"contacts": {"groups": ["Office"]}},
            "template": "Halo {{ name }}",
            "max_recipients": 2,
        },
    )
    plan = project.plan()
    assert plan.exit_code == 3, plan.output
    assert "UNSAFE: broadcast big" in plan.output
    refused = project.apply()
    assert refused.exit_code == 3, refused.output
    assert messages(sandbox) == [] and sandbox.store.snapshot()["groups"] == []
    forced = project.apply("--force")
    assert forced.exit_code == 0, forced.output
    assert len(messages(sandbox)) == 3


def test_undefined_variable_fails_the_plan_naming_the_broadcast(project: Project) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    write_broadcasts(
        project,
        {
            "name": "oops",
            "audience": {"contacts": {"groups": ["Office"]}},
            "template": "{{ nope }}",
        },
    )
    result = project.plan()
    assert result.exit_code == 1
    assert "b.yaml:2:7: broadcast 'oops'" in result.output
    assert "'nope' is undefined" in result.output
    assert "Traceback" not in result.output


def test_json_plan_with_broadcasts_matches_schema(project: Project) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    write_broadcasts(
        project,
        {
            "name": "b1",
            "audience": {"group": "Office"},
            "template": "Halo semua",
            "via": "group-call",
        },
    )
    result = project.run("plan", str(project.root), "--format", "json")
    data = json.loads(result.stdout)
    schema = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    [b] = data["broadcasts"]
    assert (b["name"], b["kind"], b["totals"]["to_send"]) == ("b1", "group", 1)


def test_no_broadcasts_and_saved_plan(project: Project, sandbox: Any, tmp_path: Path) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    write_broadcasts(
        project,
        {"name": "b1", "audience": {"contacts": {"groups": ["Office"]}}, "template": "Halo"},
    )
    assert project.apply("--no-broadcasts").exit_code == 0
    assert messages(sandbox) == []
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 2
    applied = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert Counter(m["mobile"] for m in messages(sandbox)) == {gw(1): 1}
    # the same plan file again: planning again finds it sent, so the file is stale
    again = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert again.exit_code == 4, again.output
    assert "only in the saved plan: broadcasts › b1 › recipients" in again.output
    assert len(messages(sandbox)) == 1


def test_group_send_outside_the_target_reads_the_gateway_members(
    project: Project, sandbox: Any
) -> None:
    # On the gateway, Office still has a member the spec dropped and the suppression list holds.
    sandbox.store.add_group(USERNAME, "Office")
    sandbox.store.add_contact(USERNAME, name="Keluar", mobile=number(9), group="Office")
    project.write_groups(group("Office", [contact(1)]), group("Other", [contact(2)]))
    write_broadcasts(
        project,
        {
            "name": "g",
            "audience": {"group": "Office"},
            "template": "Kantor libur.",
            "via": "group-call",
        },
    )
    (project.root / "suppress.txt").write_text(number(9) + "\n")
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
        ledger=str(project.root / "ledger.sqlite"),
        suppression_file="suppress.txt",
    )
    # Office is not applied by this run, so the group send would reach the suppressed member.
    result = project.apply("--target", "Other", "--force")
    assert result.exit_code == 3, result.output
    assert "suppressed member" in result.output
    assert messages(sandbox) == []
    assert [g["name"] for g in sandbox.store.snapshot()["groups"]] == ["Office"]  # nothing written


def test_a_ledger_belongs_to_one_gateway_account(
    project: Project, sandbox: Any, make_sandbox: Any
) -> None:
    send_one_broadcast(project)
    other = make_sandbox()
    result = project.run("plan", str(project.root), "--endpoint", other.url)
    assert result.exit_code == 1
    assert "records broadcasts sent through demo@" in result.output
    assert messages(other) == []


def test_every_broken_broadcast_is_reported_in_one_run(project: Project) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    audience = {"contacts": {"groups": ["Office"]}}
    write_broadcasts(
        project,
        {"name": "a", "audience": audience, "template": "{{ one }}"},
        {"name": "b", "audience": audience, "template": "{{ two }}"},
    )
    result = project.plan()
    assert result.exit_code == 1
    assert "'one' is undefined" in result.output and "'two' is undefined" in result.output
    assert "2 broadcasts cannot be planned" in result.output


def test_a_group_send_already_made_does_not_block_later_applies(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_broadcasts(
        project,
        {
            "name": "g",
            "audience": {"group": "Office"},
            "template": "Kantor libur.",
            "via": "group-call",
        },
    )
    assert project.apply().exit_code == 0
    assert len(messages(sandbox)) == 2
    (project.root / "suppress.txt").write_text(number(1) + "\n")  # opts out afterwards
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
        ledger=str(project.root / "ledger.sqlite"),
        suppression_file="suppress.txt",
    )
    project.write_groups(group("Office", [contact(1), contact(2), contact(3)]))
    result = project.apply()
    assert result.exit_code == 0, result.output  # nothing left to send: nothing to refuse
    assert len(messages(sandbox)) == 2


def test_per_contact_audience_outside_the_target_keeps_its_fields(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]), group("Other", [contact(2)]))
    assert project.apply().exit_code == 0
    write_broadcasts(
        project,
        {
            "name": "n",
            "audience": {"contacts": {"numbers": [number(1)]}},
            "template": "Halo {{ name }}.",
        },
    )
    assert project.apply("--target", "Other").exit_code == 0
    assert [m["text"] for m in messages(sandbox)] == ["Halo Budi."]


def test_plan_never_claims_a_ledger_and_endpoint_spellings_match(
    project: Project, sandbox: Any, make_sandbox: Any
) -> None:
    import sqlite3

    from smsync.manager import gateway_identity
    from smsync.spec.project import Credentials

    send_one_broadcast(project)
    db = sqlite3.connect(project.root / "ledger.sqlite")
    db.execute("DELETE FROM meta")  # a ledger from before ledgers were bound to an account
    db.commit()
    db.close()
    other = make_sandbox()
    assert project.run("plan", str(project.root), "--endpoint", other.url).exit_code == 0
    real = project.plan()
    assert real.exit_code == 0, real.output  # the preview did not claim the ledger

    def ident(url: str) -> str:
        return gateway_identity(Credentials(endpoint=url, username="u", password="p"))

    assert ident("https://gw.example") == ident("HTTPS://GW.example:443/") == "u@https://gw.example"
    assert ident("http://gw.example:8080/") == "u@http://gw.example:8080"
