"""`--format json` on the commands that report, each checked against its schema in schemas/;
`--json` stays an alias where it existed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from smsync.sandbox import SandboxServer
from tests.support.cli import run_cli
from tests.support.project import Project, contact, group

SCHEMAS = Path(__file__).parents[2] / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return loaded


def test_validate_reports_problems_as_json_with_the_same_exit_code(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\ngateway: {username: demo}\n")
    (tmp_path / "g.yaml").write_text("kind: Group\nname: Office\ncontacts:\n  - {name: A}\n")

    bad = run_cli("validate", str(tmp_path), "--format", "json")
    (tmp_path / "g.yaml").write_text("kind: Group\nname: Office\n")
    good = run_cli("validate", str(tmp_path), "--format", "json")

    assert bad.exit_code == 1 and good.exit_code == 0
    for result in (bad, good):
        jsonschema.validate(json.loads(result.stdout), schema("validate.schema.json"))
    [problem] = json.loads(bad.stdout)["problems"]
    assert (problem["file"].endswith("g.yaml"), problem["line"]) == (True, 4)
    assert json.loads(good.stdout)["summary"]["groups"] == 1


def test_status_format_json_and_its_json_alias_agree(project: Project) -> None:
    as_format = project.run("status", str(project.root), "--no-refresh", "--format", "json")
    as_alias = project.run("status", str(project.root), "--no-refresh", "--json")

    assert as_format.exit_code == 0 and as_alias.exit_code == 0, as_format.output
    assert json.loads(as_format.stdout) == json.loads(as_alias.stdout)
    assert json.loads(as_format.stdout)["broadcasts"] == []
    jsonschema.validate(json.loads(as_format.stdout), schema("status.schema.json"))


def test_doctor_format_json_matches_its_schema(project: Project, sandbox: SandboxServer) -> None:
    result = project.run("doctor", str(project.root), "--format", "json")

    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), schema("doctor.schema.json"))


def test_apply_format_json_reports_results_on_stdout_and_the_plan_on_stderr(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1), contact(2)]))

    result = project.run("apply", str(project.root), "--auto-approve", "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("apply.schema.json"))
    assert report["phonebook"]["done"] == 3 and report["ok"] is True
    assert "Group Sales" in result.stderr


def test_every_shipped_schema_is_printed_by_smsync_schema() -> None:
    shipped = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}

    for name in shipped:
        result = run_cli("schema", name)
        assert result.exit_code == 0, (name, result.output)
        assert json.loads(result.stdout) == schema(f"{name}.schema.json")
