"""`smsync import` writes CSV files people open in spreadsheets: a remote value such as
`=HYPERLINK("…")` must not become a live formula there (CSV injection). Such cells are written
with a leading `'`, the CSV loader removes exactly that, and import -> plan still plans nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsync.sandbox import SandboxConfig, SandboxServer
from smsync.spec import load_desired_state, load_project
from smsync.spec.csvcell import FORMULA_STARTS, escape_cell, unescape_cell
from tests.support.cli import run_cli
from tests.support.sandbox import PASSWORD, USERNAME

#: Remote names a spreadsheet would run as formulas, and a genuine leading apostrophe.
NAMES = [
    '=HYPERLINK("http://x.invalid","klik")',
    "+1",
    "-x",
    "@x",
    "=1+2",
    "'kutip",
    "''dua",
    "Biasa",
]


@given(st.text())
def test_escaping_a_cell_then_unescaping_it_gives_it_back(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value


@given(st.text())
def test_an_escaped_cell_never_starts_like_a_formula(value: str) -> None:
    assert not escape_cell(value).startswith(FORMULA_STARTS)


@given(st.text(), st.text())
def test_escaping_keeps_distinct_values_distinct(a: str, b: str) -> None:
    assert (escape_cell(a) == escape_cell(b)) == (a == b)


@pytest.mark.parametrize("mobile", ["081234567890", "6281234567890", "0211234567"])
def test_mobile_numbers_in_digits_are_never_altered(mobile: str) -> None:
    assert escape_cell(mobile) == mobile


@pytest.fixture
def gateway() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(db_path=":memory:")) as srv:
        srv.store.upsert_account(USERNAME, PASSWORD, credit=1000)
        srv.store.add_group(USERNAME, "Kantor")
        for i, name in enumerate(NAMES):
            srv.store.add_contact(
                USERNAME,
                name=name,
                mobile=f"0812345678{i:02d}",
                group="Kantor",
                address="=SUM(A1:A9)" if i == 0 else "",
                desc="-5 poin" if i == 1 else ("@rapat" if i == 2 else ""),
            )
        yield srv


def test_import_neutralises_formulas_in_csv_and_plan_sees_no_changes(
    tmp_path: Path, gateway: SandboxServer
) -> None:
    (tmp_path / "smsync.yaml").write_text(
        f"gateway: {{endpoint: '{gateway.url}', username: {USERNAME}}}\n"
    )
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    auth = ("--password-file", str(tmp_path / "pw"))
    r = run_cli("import", str(tmp_path), "--csv-threshold", "1", *auth)
    assert r.exit_code == 0, r.output
    raw = (tmp_path / "groups" / "kantor.csv").read_bytes()
    cells = [c for row in csv.reader(io.StringIO(raw.decode("utf-8"))) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], cells
    assert "'=HYPERLINK(" in raw.decode() and "'+1" in raw.decode()
    assert "0812345678" in raw.decode()  # numbers written as the gateway holds them

    state = load_desired_state(load_project(tmp_path))
    (group,) = state.groups
    assert sorted(c.name for c in group.contacts) == sorted(NAMES)
    by_name = {c.name: c for c in group.contacts}
    assert by_name[NAMES[0]].address == "=SUM(A1:A9)"
    assert by_name["+1"].desc == "-5 poin" and by_name["-x"].desc == "@rapat"

    plan = run_cli("plan", str(tmp_path), "--detailed-exitcode", *auth)
    assert plan.exit_code == 0, plan.output
