"""`smsync init --endpoint --username --force`, and what its sample says `protect` does."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.cli import run_cli


def test_init_writes_the_endpoint_and_username_given(tmp_path: Path) -> None:
    root = tmp_path / "pb"

    result = run_cli(
        "init", str(root), "--endpoint", "https://gw.example:8080", "--username", "toko"
    )

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((root / "smsync.yaml").read_text())
    assert config["gateway"] == {"endpoint": "https://gw.example:8080", "username": "toko"}
    assert run_cli("validate", str(root)).exit_code == 0


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path)).exit_code == 0
    (tmp_path / "smsync.yaml").write_text("version: 1\n")

    refused = run_cli("init", str(tmp_path))
    forced = run_cli("init", str(tmp_path), "--force", "--username", "lain")

    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert (tmp_path / "smsync.yaml").read_text() != "version: 1\n"
    assert forced.exit_code == 0, forced.output
    assert yaml.safe_load((tmp_path / "smsync.yaml").read_text())["gateway"]["username"] == "lain"


def test_init_rejects_an_endpoint_it_could_not_use(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path), "--endpoint", "ftp://x")

    assert result.exit_code == 1 and "http://" in result.stderr
    assert not (tmp_path / "smsync.yaml").exists()


def test_init_sample_says_what_protect_does_with_protection_memory(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path)).exit_code == 0
    sample = (tmp_path / "groups" / "teman.yaml").read_text()

    assert "never deleted by apply" not in sample
    assert "drop `protect: true` first" in sample
