"""A record the gateway listed but the client could not read is part of the plan itself, not
only a warning on stderr: the text and Markdown plans (what a reviewer sees, e.g. in a pull
request) and the plan file say which rows were left alone. Real sandbox (``raw_fields``),
real HTTP, the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from smsync.gateway.models import BadRecord
from smsync.plan.fetch import bad_row_label
from smsync.plan.model import Plan
from smsync.sandbox import SandboxServer
from tests.support.numbers import number
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

MakeSandbox = Callable[..., SandboxServer]


def bad_office(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project]
) -> tuple[Project, list[int]]:
    """Office holds Kontak 1 and two rows whose names hold the field separator."""
    server = make_sandbox(raw_fields=True)
    server.store.add_group(USERNAME, "Office")
    server.store.add_contact(USERNAME, name="Kontak 1", mobile=number(1), group="Office")
    bad = [
        server.store.add_contact(USERNAME, name=f"Bu\x80di {i}", mobile=number(i), group="Office")
        for i in (2, 3)
    ]
    project = make_project(server)
    project.write_groups(group("Office", [contact(1)]))
    return project, bad


def test_text_and_markdown_plans_name_the_rows_left_alone(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project]
) -> None:
    project, bad = bad_office(make_sandbox, make_project)
    for fmt in ("text", "markdown"):
        result = project.run("plan", str(project.root), "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "2 rows the gateway listed could not be read; left alone this run" in result.stdout
        for bad_id in bad:
            assert f"contact {bad_id} " in result.stdout, result.stdout
        # masked output: neither number shows in full
        assert number(2).removeprefix("+") not in result.stdout
        assert number(3).removeprefix("+") not in result.stdout


def test_plan_file_records_the_unreadable_rows_and_older_files_still_load(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project], tmp_path: Path
) -> None:
    project, bad = bad_office(make_sandbox, make_project)
    out = tmp_path / "plan.json"
    result = project.run("plan", str(project.root), "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    rows = data["read"]["bad_rows"]
    assert len(rows) == 2 and all(f"contact {i}" in " ".join(rows) for i in bad)
    schema_path = Path(__file__).parents[2] / "schemas" / "plan.schema.json"
    jsonschema.validate(data, json.loads(schema_path.read_text()))
    assert Plan.from_json(data).read.bad_rows == rows
    # a plan file written before the field existed still loads, with no unreadable rows
    del data["read"]["bad_rows"]
    assert Plan.from_json(data).read.bad_rows == []
    # ... and an approval that recorded them still applies (nothing to do: they are left alone)
    applied = project.run("apply", str(out), "--project", str(project.root), "--auto-approve")
    assert applied.exit_code == 0, applied.output


def test_a_plan_without_unreadable_rows_says_nothing_about_them(
    make_sandbox: MakeSandbox, make_project: Callable[[SandboxServer], Project]
) -> None:
    server = make_sandbox(raw_fields=True)
    project = make_project(server)
    project.write_groups(group("Office", [contact(1)]))
    result = project.run("plan", str(project.root))
    assert result.exit_code == 0, result.output
    assert "could not be read" not in result.stdout


def test_a_number_inside_the_reason_is_masked_in_the_plan() -> None:
    # a split record shifts its fields: the parser may quote half of a number as a "birth"
    record = BadRecord(
        id=5, reason="birth '6281234567890' is not a date in a known form", position=0
    )
    label = bad_row_label("Office", record)
    assert "6281234567890" not in label
    assert label.startswith("contact 5 in group 'Office' (birth '6281")
