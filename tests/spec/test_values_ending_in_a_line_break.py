"""A value ending in a line break breaks the schemas' character rules, as JSON Schema means
them: Python's ``$`` also matched before a final newline, so ``name: "Budi\\n"`` passed, plan
proposed the add, the client refused to send it, and every later plan proposed it again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smsync.spec.patterns import ecma_to_python
from smsync.spec.schema import SPEC_SCHEMA, schema_def, string_rules
from tests.support.cli import run_cli

SMSYNC_YAML = "version: 1\ngateway:\n  endpoint: https://gw.example\n  username: t\n"


def validate(root: Path) -> str:
    result = run_cli("validate", str(root))
    assert result.exit_code == 1, result.output
    return result.output


def project(tmp_path: Path, smsync_yaml: str = SMSYNC_YAML) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "smsync.yaml").write_text(smsync_yaml)
    return root


@pytest.mark.parametrize("field", ["name", "desc"])
def test_a_yaml_contact_field_ending_in_a_line_break_is_refused(tmp_path: Path, field: str) -> None:
    root = project(tmp_path)
    contact = {"name": "Budi", "mobile": "081234567890", field: "Budi\n"}
    group = {"kind": "Group", "name": "Teman", "contacts": [contact]}
    (root / "teman.yaml").write_text(yaml.safe_dump(group))

    output = validate(root)

    assert "teman.yaml" in output and field in output
    assert "control character" in output


def test_a_quoted_csv_cell_ending_in_a_line_break_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "teman.csv").write_text('name,mobile\n"Ani\n",081234567890\nBudi,081234567891\n')
    (root / "teman.yaml").write_text("kind: Group\nname: Teman\ncontacts_file: teman.csv\n")

    output = validate(root)

    assert "teman.csv" in output and "control character" in output


def test_a_region_ending_in_a_line_break_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, SMSYNC_YAML + 'defaults:\n  region: "ID\\n"\n')
    (root / "teman.yaml").write_text("kind: Group\nname: Teman\n")

    output = validate(root)

    assert "smsync.yaml" in output and "region" in output


def test_the_column_check_refuses_a_value_ending_in_a_line_break() -> None:
    rules = string_rules(SPEC_SCHEMA, schema_def(SPEC_SCHEMA, "stored_name"))

    assert rules.all_pass(["Ani", "Budi"])
    assert not rules.all_pass(["Ani", "Budi\n"])
    assert not rules.passes("Budi\n")
    assert any("control character" in p for p in rules.problems("Budi\n"))


@pytest.mark.parametrize(
    ("ecma", "python"),
    [
        ("^[^\\u0000-\\u001f]*$", "^[^\\u0000-\\u001f]*\\Z"),
        ("^a$|^b$", "^a\\Z|^b\\Z"),
        ("^[$]x\\$$", "^[$]x\\$\\Z"),  # in a class or escaped, "$" is the character
        ("^[]$]$", "^[]$]\\Z"),  # a "]" first in a class is a character, as Python reads it
        ("^(local:|git:).", "^(local:|git:)."),
    ],
)
def test_an_end_of_text_dollar_is_read_as_the_very_end(ecma: str, python: str) -> None:
    assert ecma_to_python(ecma) == python
