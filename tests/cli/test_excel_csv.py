"""Contacts CSVs saved by Excel in an Indonesian locale (`;` separators, Windows-1252 text)
load as they read in Excel, keeping file:line errors."""

from __future__ import annotations

from pathlib import Path

from smsync.spec import load_desired_state, load_project
from tests.support.cli import run_cli

CONFIG = "version: 1\ngateway: {username: demo}\nspec: ['*.yaml']\n"
GROUP = "kind: Group\nname: Pelanggan\ncontacts_file: pelanggan.csv\n"


def write_project(root: Path, csv_bytes: bytes) -> None:
    (root / "smsync.yaml").write_text(CONFIG)
    (root / "pelanggan.yaml").write_text(GROUP)
    (root / "pelanggan.csv").write_bytes(csv_bytes)


def test_semicolon_separated_windows_1252_csv_loads(tmp_path: Path) -> None:
    text = "name;mobile;desc\r\nBudi Sàntoso;081234567890;Jum’at\r\nSiti;0857-1234-5678;\r\n"
    write_project(tmp_path, text.encode("cp1252"))

    result = run_cli("validate", str(tmp_path), "--format", "json")

    assert result.exit_code == 0, result.output
    assert '"contacts": 2' in result.stdout
    [group] = load_desired_state(load_project(tmp_path)).groups
    assert [(c.name, c.desc) for c in group.contacts] == [
        ("Budi Sàntoso", "Jum’at"),
        ("Siti", None),
    ]


def test_excel_csv_keeps_file_and_line_in_errors(tmp_path: Path) -> None:
    text = "name;mobile\r\nBudi;081234567890\r\nSiti;bukan-nomor\r\n"
    write_project(tmp_path, text.encode("cp1252"))

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "pelanggan.csv:3" in result.stdout


def test_csv_in_no_known_encoding_names_its_line(tmp_path: Path) -> None:
    write_project(tmp_path, b"name,mobile\nBudi,081234567890\nSiti\x81,0857\n")

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "line 3" in result.stdout and "CSV UTF-8" in result.stdout
