"""Guarantee 6 for files: hostile spec and CSV inputs (devices, FIFOs, directories, binary
data, NUL bytes, absolute globs, alias bombs, deep nesting) give `file:line: field: message`
errors from `smsync validate` and `smsync plan`, never a traceback or a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsync.cli import cli
from tests.support.sandbox import PASSWORD

CONFIG = 'version: 1\ngateway: {endpoint: "sandbox://.smsync/s.sqlite", username: demo}\n'
GROUP = 'kind: Group\nname: G\ncontacts_file: "{csv}"\n'


def validate(root: Path) -> tuple[int, str]:
    for command in ("validate", "plan"):
        result = CliRunner().invoke(
            cli, [command, str(root)], env={"SMSYNC_PASSWORD": PASSWORD, "CI": "1"}
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == 1, result.output
        assert PASSWORD not in result.output
    return result.exit_code, result.output


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "csv",
    [
        "/dev/zero",
        "/dev/urandom",
        "fifo.csv",
        "adir",
        "bin.csv",
        "nul.csv",
        "header.csv",
        "quote.csv",
        "/etc/passwd",
    ],
)
def test_hostile_contacts_files_are_clear_errors(tmp_path: Path, csv: str) -> None:
    if csv.startswith("/dev/") and not Path(csv).exists():
        pytest.skip(f"no {csv} here")
    (tmp_path / "smsync.yaml").write_text(CONFIG)
    os.mkfifo(tmp_path / "fifo.csv")  # a FIFO nobody writes to: reading it would block
    (tmp_path / "adir").mkdir()
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "nul.csv").write_bytes(b"name,mobile\nBudi\x00,081234567890\n")
    (tmp_path / "header.csv").write_text("nama,hp\nBudi,081234567890\n")
    (tmp_path / "quote.csv").write_text('name,mobile\n"Budi,081234567890\n')
    (tmp_path / "g.yaml").write_text(GROUP.format(csv=csv))
    _, out = validate(tmp_path)
    assert "contacts_file" in out or ".csv:" in out or "passwd:" in out, out


@pytest.mark.timeout(30)
@pytest.mark.parametrize("spec", ['["/dev/zero"]', '["/etc/*"]', '["/"]'])
def test_absolute_spec_globs_are_clear_errors(tmp_path: Path, spec: str) -> None:
    (tmp_path / "smsync.yaml").write_text(CONFIG + f"spec: {spec}\n")
    _, out = validate(tmp_path)
    assert "smsync.yaml" in out and "spec" in out, out


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    [
        # billion laughs
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nkind: Group\nname: G\n",
        "[" * 5000 + "]" * 5000,
        "kind: Group\nname: G\ncontacts: " + "[" * 2000,
        "!!python/object/apply:os.system ['touch pwned']\n",
        "\x00\x01\x02",
        "kind: Group\nname: G\ncontacts:\n  - {name: A, mobile: '0812345678901234567890'}\n",
    ],
)
def test_hostile_yaml_is_a_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "smsync.yaml").write_text(CONFIG)
    (tmp_path / "g.yaml").write_text(text)
    _, out = validate(tmp_path)
    assert "g.yaml" in out, out
    assert not (tmp_path / "pwned").exists()
