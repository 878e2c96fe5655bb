"""`smsync show PLAN_FILE`: a saved plan printed as `smsync plan` printed it (Terraform's
`terraform show`), without a gateway or a project."""

from __future__ import annotations

import json

from smsync.sandbox import SandboxServer
from tests.support.cli import run_cli
from tests.support.project import Project, contact, group


def test_show_prints_a_saved_plan_in_each_format_without_the_gateway(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))
    plan_file = project.root / "plan.json"
    planned = project.run("plan", str(project.root), "--out", str(plan_file))
    sandbox.stop()  # show reads the file alone

    text = run_cli("show", str(plan_file))
    markdown = run_cli("show", str(plan_file), "--format", "markdown")
    as_json = run_cli("show", str(plan_file), "--format", "json")

    assert text.exit_code == 0, text.output
    assert text.stdout == planned.stdout  # same masking: neither is a terminal
    assert markdown.exit_code == 0 and markdown.stdout.startswith("### smsync plan")
    assert json.loads(as_json.stdout) == json.loads(plan_file.read_text())


def test_show_of_a_file_that_is_not_a_plan_is_one_clear_error(project: Project) -> None:
    not_a_plan = project.root / "smsync.yaml"

    result = run_cli("show", str(not_a_plan))

    assert result.exit_code == 1
    assert "not a plan written by `smsync plan --out`" in result.stderr
    assert "Traceback" not in result.output
