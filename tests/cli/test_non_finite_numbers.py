"""``nan`` and ``inf`` pass a numeric bound (every comparison with nan is false): ``--rate nan``
meant "no cap". They are refused, naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli


@pytest.mark.parametrize("option", ["--rate", "--lock-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "NaN", "-inf"])
def test_a_non_finite_number_is_refused_naming_the_option(
    tmp_path: Path, option: str, value: str
) -> None:
    result = CliRunner().invoke(cli, ["apply", str(tmp_path), option, value])
    out = result.output + (result.stderr or "")
    assert result.exit_code == 1, out
    assert option in out
    assert "Traceback" not in out
    assert "not a finite number" in out or "not in the range" in out, out
