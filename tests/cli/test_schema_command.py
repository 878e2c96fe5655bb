"""`smsync init` points to a reference the user has: `smsync schema project`, which prints
the JSON Schema smsync validates smsync.yaml with (a user's project has no schemas/)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("project", "project.schema.json"),
        ("spec", "spec.schema.json"),
        ("plan", "plan.schema.json"),
    ],
)
def test_smsync_schema_prints_the_shipped_schema(name: str, file: str) -> None:
    result = CliRunner().invoke(cli, ["schema", name])
    assert result.exit_code == 0, result.output
    shipped = json.loads(resources.files("smsync.schemas").joinpath(file).read_text())
    assert json.loads(result.stdout) == shipped


def test_an_unknown_schema_name_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["schema", "nope"])
    assert result.exit_code == 1
    assert "project" in result.output


def test_init_points_to_a_reference_that_exists(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    text = (tmp_path / "smsync.yaml").read_text()
    assert "schemas/project.schema.json" not in text
    assert "`smsync schema project`" in text
