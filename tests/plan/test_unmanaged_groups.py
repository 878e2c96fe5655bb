"""Plan names, in one line, the gateway's groups the spec does not declare: a forgotten or
misspelt group is seen, not silently left alone."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from smsync.gateway.client import Client
from smsync.plan.planner import PlanOptions, make_plan
from smsync.plan.render import unmanaged_line
from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD, USERNAME, seed_group


def _seed(sandbox: SandboxServer) -> None:
    seed_group(sandbox, "Alumni", [{"name": "A", "mobile": "081230000011"}] * 1)
    seed_group(
        sandbox,
        "Pelangan",  # the misspelt one
        [{"name": "B", "mobile": "08123000001" + str(i)} for i in range(2, 5)],
    )
    sandbox.store.add_group(USERNAME, "Kosong")


def test_plan_lists_the_groups_it_does_not_manage_in_one_line(
    project: Project, sandbox: SandboxServer
) -> None:
    _seed(sandbox)
    project.write_groups(group("Pelanggan", [contact(1, "Budi")]))
    result = project.plan()
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "not managed" in line]
    assert lines == [
        "3 groups on the gateway are not managed: Alumni, Kosong, Pelangan "
        "(contact counts unknown: they were not listed)."
    ], result.output


def test_unmanaged_groups_are_counted_when_the_whole_phonebook_was_listed(
    project: Project, sandbox: SandboxServer
) -> None:
    _seed(sandbox)
    project.write_groups(group("Pelanggan", [contact(1, "Budi")]))
    assert project.apply().exit_code == 0
    _, desired = project.load()
    with Client(sandbox.url, USERNAME, PASSWORD) as client:
        plan = make_plan(
            client,
            desired.groups,
            region="ID",
            safety=project.load()[0].safety,
            options=PlanOptions(strategy="list-all"),
        )
    assert unmanaged_line(plan) == (
        "3 groups on the gateway are not managed: Alumni (1), Kosong (0), Pelangan (3)."
    )


def test_json_plan_lists_unmanaged_groups_and_matches_its_schema(
    project: Project, sandbox: SandboxServer
) -> None:
    _seed(sandbox)
    project.write_groups(group("Pelanggan", [contact(1, "Budi")]))
    result = project.run("plan", str(project.root), "--format", "json")
    data = json.loads(result.stdout)
    schema = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [(g["name"], g["contacts"]) for g in data["unmanaged_groups"]] == [
        ("Alumni", None),
        ("Kosong", None),
        ("Pelangan", None),
    ]


def test_a_spec_that_declares_every_group_has_no_unmanaged_line(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Office", [contact(1, "Budi")]))
    assert project.apply().exit_code == 0
    assert "not managed" not in project.plan().output


def test_markdown_shows_notes_and_the_unmanaged_line_as_paragraphs_of_their_own(
    project: Project, sandbox: SandboxServer
) -> None:
    _seed(sandbox)
    project.write_groups(group("Pelanggan", [contact(1, "Budi")], renamed_from="Lama"))
    out = project.run("plan", str(project.root), "--format", "markdown").output
    assert "\n\n> **Note:** group 'Pelanggan' is renamed from 'Lama'" in out, out
    assert (
        "\n\n3 groups on the gateway are not managed: Alumni, Kosong, Pelangan "
        "(contact counts unknown: they were not listed).\n\n"
    ) in out, out
