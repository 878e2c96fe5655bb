"""`gateway.timeout` in smsync.yaml: how long each gateway answer may take."""

from __future__ import annotations

from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group


def test_gateway_timeout_ends_a_plan_against_a_slow_gateway_quickly(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    project = make_project(make_sandbox(latency_ms=3000))
    project.write_groups(group("Sales", [contact(1)]))
    project.write_config(gateway={"endpoint": project.endpoint, "username": "demo", "timeout": 0.3})

    result = project.run("plan", str(project.root))

    # At the default timeout the 3 s answers would have come and the plan succeeded: the
    # failure naming 0.3 s is the setting at work (no wall-clock bound: CI machines vary).
    assert result.exit_code == 1, result.output
    assert "no answer within 0.3s" in result.stderr and "Traceback" not in result.output


def test_gateway_timeout_must_be_a_positive_number(project: Project) -> None:
    project.write_config(gateway={"endpoint": project.endpoint, "username": "demo", "timeout": 0})

    result = project.run("validate", str(project.root))

    assert result.exit_code == 1 and "gateway.timeout: 0 is less than" in result.output
