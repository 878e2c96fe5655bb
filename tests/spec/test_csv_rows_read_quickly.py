"""Rows of a contacts CSV are read by a quick path when every cell is plainly fine, and by the
full rules otherwise: both give the same contacts and the same problems, in the same order,
and a spec read in two parts (SpecLoad) reports its problems where a whole load does."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.spec import load_project
from smsync.spec.errors import SpecErrors
from smsync.spec.loader import (
    _Builder,
    _count_plain_rows,
    load_desired_state,
    start_desired_state,
)

CELLS = st.one_of(
    st.sampled_from(
        ["", " ", "'", "''x", "=1+1", "Budi", " Budi", "Budi ", "Bu\tdi", "Euro €", "Ä", "x" * 60]
    ),
    st.text(alphabet="ab '€\x85\u00a0\t=", max_size=8),
)
MOBILES = st.one_of(
    st.sampled_from(["", " ", "08123456789", "0812-3456-7890", "+628123456789", "'0812345678"]),
    st.sampled_from(["628123456789", "081", "0212345678", "0812345678901234", "0812 CALL"]),
    st.from_regex(r"(0|62|\+62)8[0-9]{7,12}", fullmatch=True),
)
ROWS = st.lists(
    st.tuples(CELLS, MOBILES, CELLS, st.sampled_from(["", "1990-01-02", "x"]), CELLS),
    max_size=12,
)


def write_project(root: Path, header: str, rows: list[tuple[str, ...]]) -> None:
    (root / "groups").mkdir(parents=True, exist_ok=True)
    (root / "smsync.yaml").write_text("version: 1\n")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    width = len(header.split(","))
    writer.writerows(row[:width] for row in rows)
    (root / "groups" / "g.csv").write_text(out.getvalue(), encoding="utf-8")
    (root / "groups" / "g.yaml").write_text("kind: Group\nname: G\ncontacts_file: g.csv\n")


def outcome(root: Path) -> object:
    try:
        state = load_desired_state(load_project(root))
    except SpecErrors as e:
        return [str(p) for p in e.problems]
    return [(c, c.where) for c in state.groups[0].contacts]


@pytest.mark.parametrize("header", ["name,mobile", "name,mobile,address,birth,desc"])
@given(rows=ROWS)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_quick_path_reads_rows_as_the_full_rules_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str, rows: list[tuple[str, ...]]
) -> None:
    root = tmp_path / "p"
    write_project(root, header, rows)
    quick = outcome(root)
    with monkeypatch.context() as m:
        m.setattr(_Builder, "_quick_row", lambda self, idx: lambda row, where: None)
        full = outcome(root)
    assert quick == full


def test_problems_of_a_spec_read_in_two_parts_are_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\n")
    (tmp_path / "a.yaml").write_text("kind: Group\nname: A\nprotect: maybe\n")
    (tmp_path / "b.csv").write_text("name,mobile\nBudi,0812-CALL-ME\n")
    (tmp_path / "b.yaml").write_text("kind: Group\nname: B\ncontacts_file: b.csv\n")
    (tmp_path / "c.yaml").write_text("kind: Group\nname: C\nprotect: nope\n")
    project = load_project(tmp_path)

    load = start_desired_state(project)
    assert not load.done  # the schema and the contacts file are checked by finish
    with pytest.raises(SpecErrors) as caught:
        load.finish()

    files = [Path(p.where.file).name for p in caught.value.problems if p.where]
    assert files == ["a.yaml", "b.csv", "c.yaml"]
    assert load.declared_contacts(load.groups[1]) == 0  # nothing was added: the load failed


def test_a_contacts_file_counts_its_non_blank_rows_before_they_are_read(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\n")
    (tmp_path / "b.csv").write_text(
        'name;mobile\r\nBudi;08123456789\r\n\r\n  \r\n"Ani; Sari";08123456790\r\n'
    )
    (tmp_path / "b.yaml").write_text("kind: Group\nname: B\ncontacts_file: b.csv\n")

    load = start_desired_state(load_project(tmp_path))

    assert load.declared_contacts(load.groups[0]) == 2
    assert len(load.finish().groups[0].contacts) == 2


@given(
    text=st.text(alphabet=st.sampled_from("a,;\t \r\n\x0b\x1c\u00a0\u2028"), max_size=40),
    sep=st.sampled_from([",", ";", "\t"]),
)
@settings(max_examples=2000, deadline=None)
def test_rows_of_a_file_without_quotes_are_counted_as_csv_reads_them(text: str, sep: str) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows = list(reader)[1:]
    expected = sum(1 for row in rows if len(row) > 1 or (row and row[0].strip()))
    assert _count_plain_rows(text, sep) == expected
