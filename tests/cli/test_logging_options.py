"""-v/--debug/SMSYNC_LOG/--log-format json and --no-color, through the real command line."""

from __future__ import annotations

import json

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import PASSWORD

GATEWAY_REQUEST = "groupGetList attempt 1: HTTP 200"


def test_debug_logs_each_gateway_request_on_stderr_without_secrets(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))

    result = project.run("--debug", "plan", str(project.root))

    assert result.exit_code == 0, result.output
    assert GATEWAY_REQUEST in result.stderr
    assert GATEWAY_REQUEST not in result.stdout
    assert "auth=" not in result.stderr.replace("auth=***", "") and PASSWORD not in result.stderr


def test_smsync_log_variable_sets_the_level_and_options_win(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))

    by_variable = project.run("plan", str(project.root), env={"SMSYNC_LOG": "debug"})
    quiet = project.run("plan", str(project.root))
    bad = project.run("plan", str(project.root), env={"SMSYNC_LOG": "loud"})

    assert GATEWAY_REQUEST in by_variable.stderr
    assert GATEWAY_REQUEST not in quiet.stderr
    assert bad.exit_code == 1 and "SMSYNC_LOG" in bad.stderr and "debug" in bad.stderr


def test_log_format_json_writes_one_object_per_line(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1)]))

    result = project.run("-vv", "--log-format", "json", "plan", str(project.root))

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(GATEWAY_REQUEST in line["message"] for line in lines)


def test_no_color_keeps_escape_sequences_out(project: Project, sandbox: SandboxServer) -> None:
    project.write_groups(group("Sales", [contact(1)]))

    result = project.run("--no-color", "plan", str(project.root), env={"NO_COLOR": ""})

    assert result.exit_code == 0 and "\x1b[" not in result.output


def test_verbose_apply_logs_each_action_as_it_completes(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Sales", [contact(1), contact(2)]))

    result = project.run("-v", "apply", str(project.root), "--auto-approve")

    assert result.exit_code == 0, result.output
    logged = [line for line in result.stderr.splitlines() if line.startswith("info: ")]
    assert len(logged) == 3 and all(": done: " in line for line in logged), result.stderr
    assert "6281230000001" not in result.stderr  # masked, as the plan was
