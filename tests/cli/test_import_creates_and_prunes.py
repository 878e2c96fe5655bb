"""`smsync import DIR`: into a new directory it creates the project; files of groups gone from
the gateway are reported, and removed with --prune; --format json reports the same."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import USERNAME

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "import.schema.json").read_text())


def test_import_into_a_new_directory_creates_a_project_that_plans_no_changes(
    project: Project, sandbox: SandboxServer, tmp_path: Path
) -> None:
    project.write_groups(group("Kantor", [contact(1)]), group("Rumah", [contact(2)]))
    assert project.apply().exit_code == 0
    new = tmp_path / "imported"

    result = project.run("import", str(new), "--endpoint", sandbox.url, "--username", USERNAME)

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((new / "smsync.yaml").read_text())
    assert config["gateway"] == {"endpoint": sandbox.url, "username": USERNAME}
    assert f"wrote {new / 'smsync.yaml'}" in result.output
    assert project.run("plan", str(new), "--detailed-exitcode").exit_code == 0


def test_files_of_groups_gone_from_the_gateway_are_reported_then_pruned(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Kantor", [contact(1)]), group("Lama", [contact(2)]))
    assert project.apply().exit_code == 0
    out = project.root / "imported"
    assert project.run("import", str(project.root), "--out", str(out)).exit_code == 0
    project.write_groups(group("Kantor", [contact(1)]), group("Lama", state="absent"))
    assert project.apply().exit_code == 0
    (out / "notes.yaml").write_text("kind: Group\nname: Mine\n")  # not written by import

    kept = project.run("import", str(project.root), "--out", str(out), "--force")
    assert kept.exit_code == 0, kept.output
    assert "lama.yaml" in kept.stderr and "--prune" in kept.stderr
    assert (out / "lama.yaml").exists()

    pruned = project.run(
        "import", str(project.root), "--out", str(out), "--force", "--prune", "--format", "json"
    )

    assert pruned.exit_code == 0, pruned.output
    assert not (out / "lama.yaml").exists()
    report = json.loads(pruned.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["pruned"] == [str(out / "lama.yaml")]
    assert report["groups"] == 1 and report["files"] == [str(out / "kantor.yaml")]
    assert (out / "notes.yaml").exists()
