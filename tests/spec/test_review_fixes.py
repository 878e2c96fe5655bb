"""Regressions from the acceptance audit: user mistakes that used to pass silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsync.spec.errors import SpecErrors
from smsync.spec.loader import discover_spec_files
from smsync.spec.project import CredentialsError, load_project, read_credentials_file


def test_unknown_region_is_named(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\ndefaults: {region: XX}\n")
    with pytest.raises(SpecErrors, match=r"defaults.region: unknown region 'XX'"):
        load_project(tmp_path)


def test_a_spec_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\nspec: [grups/*.yaml]\n")
    with pytest.raises(SpecErrors, match=r"spec: pattern 'grups/\*.yaml' matches no file"):
        discover_spec_files(load_project(tmp_path))


def test_broken_yaml_credentials_are_not_read_as_ini(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("demo: [\n")
    creds.chmod(0o600)
    with pytest.raises(CredentialsError, match="neither a YAML mapping"):
        read_credentials_file(creds)
