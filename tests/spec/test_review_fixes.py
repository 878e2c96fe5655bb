"""Regressions from the acceptance audit: user mistakes that used to pass silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@given(
    prefix=st.sampled_from(["0", "62", "+62"]),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=12),
    second=st.sampled_from("0123456789"),
)
@settings(max_examples=2000, deadline=None)
def test_fast_path_for_indonesian_mobiles_equals_the_full_path(
    prefix: str, second: str, rest: str
) -> None:
    from smsync.numbers import InvalidNumberError, _normalize_full, normalize

    text = f"{prefix}8{second}{rest}"
    try:
        expected: str | None = _normalize_full(text, "ID")
    except InvalidNumberError as exc:
        expected = f"error: {exc}"
    normalize.cache_clear()
    try:
        got: str | None = normalize(text, "ID")
    except InvalidNumberError as exc:
        got = f"error: {exc}"
    assert got == expected
