"""A birth that is not a string at all (``birth: null``, a bare number) is one problem with one
message, not a type error plus "'None' is not a date"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli


@pytest.mark.parametrize(
    ("value", "message"),
    [("null", "must be a string, not empty"), ("19900101", "must be a string, not an integer")],
)
def test_a_birth_that_is_not_a_string_is_reported_once(
    tmp_path: Path, value: str, message: str
) -> None:
    (tmp_path / "groups").mkdir()
    (tmp_path / "smsync.yaml").write_text(
        'version: 1\ngateway: {endpoint: "http://127.0.0.1:1", username: demo}\n'
        'spec: ["groups/*.yaml"]\n'
    )
    (tmp_path / "groups" / "a.yaml").write_text(
        "kind: Group\nname: A\ncontacts:\n"
        f'  - {{name: Budi, mobile: "081234567890", birth: {value}}}\n'
    )
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    out = result.output + (result.stderr or "")
    assert result.exit_code == 1
    birth_lines = [line for line in out.splitlines() if "birth" in line]
    assert len(birth_lines) == 1, out
    assert birth_lines[0].endswith(f"groups/a.yaml:4:49: contacts[0].birth: {message}"), out
