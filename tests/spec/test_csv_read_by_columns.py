"""A contacts CSV whose rows are all plainly fine is checked column by column (one call per
column, smsync.spec.csvcolumns); any other file row by row. Both give the same contacts, at the
same lines, and the same problems; validate, which only counts the contacts, counts the same."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.numbers import InvalidNumberError, normalize, normalize_plain_mobiles
from smsync.spec import load_project
from smsync.spec import loader as spec_loader
from smsync.spec.csvcolumns import plain_contacts
from smsync.spec.errors import SpecErrors
from smsync.spec.loader import _Limits, load_desired_state
from smsync.spec.model import ContactSpec, Location, contact_specs
from smsync.spec.schema import SPEC_SCHEMA, StringRules, schema_def, string_rules
from tests.support.cli import run_cli

LIMITS = _Limits.from_schema()
RULES = {"name": LIMITS.name, "address": LIMITS.address, "desc": LIMITS.desc}

FINE_NAMES = st.from_regex(r"[A-Za-z][A-Za-z ']{0,10}[a-z]", fullmatch=True)
FINE_MOBILES = st.from_regex(r"(0|62|\+62)8[1-35-9][0-9]{8,10}", fullmatch=True)
FINE_TEXTS = st.one_of(st.sampled_from(["", " "]), FINE_NAMES)
#: cells every row of a plainly fine file has, by column
FINE = {
    "name": st.one_of(FINE_NAMES, FINE_NAMES.map(lambda n: "'" + n)),
    "mobile": st.one_of(
        FINE_MOBILES,
        FINE_MOBILES.map(lambda m: f" {m}\u00a0"),
        FINE_MOBILES.map(lambda m: "'" + m),
    ),
    "address": FINE_TEXTS,
    "desc": FINE_TEXTS,
    "birth": st.sampled_from(["", " "]),
    "protect": st.sampled_from(["", " "]),
}
#: and cells that need a closer look, or are wrong
ODD = {
    "name": st.sampled_from(
        ["", " ", "'", "''x", " Budi", "Budi ", "Bu\x85di", "Euro €", "x" * 51]
    ),
    "mobile": st.sampled_from(
        ["", "081", "0212345678", "0812-3456-7890", "0800123456", "0812 CALL", "'", "6281"]
    ),
    "address": st.sampled_from(["a\x07b", "€", "y" * 256, "'"]),
    "desc": st.sampled_from(["a\x07b", "€", "y" * 256, "'"]),
    "birth": st.sampled_from(["1990-01-02", "x", "'"]),
    "protect": st.sampled_from(["true", "no", "maybe"]),
}


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    """A contacts file as people and exports write them: any separator, line ending and column
    order, unquoted, every cell plainly fine, or now and then an odd cell, a duplicate, a blank
    line, a row of the wrong width or a quoted cell."""
    others = draw(st.lists(st.sampled_from(["address", "desc", "birth", "protect"]), unique=True))
    cols = draw(st.permutations(["name", "mobile", *others]))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    odd = draw(st.integers(0, 3)) == 0
    cell = {c: st.one_of(FINE[c], FINE[c], ODD[c]) if odd else FINE[c] for c in cols}
    rows = draw(st.lists(st.tuples(*(cell[c] for c in cols)).map(list), max_size=8))
    if rows and draw(st.integers(0, 3)) == 0:
        rows.append(list(draw(st.sampled_from(rows))))  # a duplicate number
    lines = [sep.join(cols), *(sep.join(r) for r in rows)]
    if len(lines) > 1 and draw(st.integers(0, 5)) == 0:
        i = draw(st.integers(1, len(lines) - 1))
        lines[i] = draw(st.sampled_from([lines[i] + sep, lines[i].rpartition(sep)[0]]))
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(["", "  ", sep])))
    if len(lines) > 1 and draw(st.integers(0, 5)) == 0:
        lines[-1] = '"' + lines[-1].replace(sep, '"' + sep, 1)  # one quoted cell
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return end.join(lines) + draw(st.sampled_from(["", end]))


def write_project(root: Path, text: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "smsync.yaml").write_text("version: 1\n")
    (root / "g.csv").write_text(text, encoding="utf-8", newline="")
    (root / "g.yaml").write_text("kind: Group\nname: G\ncontacts_file: g.csv\n")


def outcome(root: Path) -> object:
    try:
        state = load_desired_state(load_project(root))
    except SpecErrors as e:
        return [str(p) for p in e.problems]
    return [(c, c.where) for c in state.groups[0].contacts]


@given(text=csv_files())
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_file_read_by_columns_gives_what_reading_it_row_by_row_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    write_project(tmp_path / "p", text)
    by_columns = outcome(tmp_path / "p")
    with monkeypatch.context() as m:
        m.setattr(spec_loader, "plain_contacts", lambda *args: None)
        row_by_row = outcome(tmp_path / "p")
    assert by_columns == row_by_row


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "header,row",
    [
        ("name,mobile", "Budi {i},0812345{i:05d}"),
        ("mobile;name", "+62812345{i:05d};'=Budi {i}"),
        ("name,mobile,address,birth,desc", "Budi {i},62812345{i:05d},Jl. Mawar {i},,"),
    ],
)
def test_an_exported_file_is_read_by_columns(header: str, row: str, end: str) -> None:
    text = end.join([header, *(row.format(i=i) for i in range(1000))]) + end
    sep = ";" if ";" in header else ","

    plain = plain_contacts(text, sep, header.split(sep), RULES, "ID")

    assert plain is not None and len(plain) == 1000
    first = plain.specs("g.csv")[0]
    assert first.mobile == "+6281234500000" and first.name.startswith(("Budi", "=Budi"))
    assert first.where.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "name,mobile\nBudi,081234567890\n\nAni,081234567891\n",  # a blank line
        'name,mobile\n"Budi",081234567890\n',  # a quote
        "name,mobile\nBudi,081234567890\nAni,081234567890\n",  # a duplicate
        "name,mobile\nBudi,0812-3456-7890\n",  # a number only the full rules read
        "name,mobile,birth\nBudi,081234567890,1990-01-02\n",  # a birth date
        "name,mobile\nBudi,081234567890,x\n",  # a row too wide
        "name,mobile,birth\nBudi,081234567890," + " " * 140_000 + "\n",  # a cell csv refuses
    ],
)
def test_a_file_not_plainly_fine_is_left_to_the_row_by_row_reading(text: str) -> None:
    sep_header = text.split("\n", 1)[0].split(",")
    assert plain_contacts(text, ",", sep_header, RULES, "ID") is None


MOBILE_TEXTS = st.lists(
    st.one_of(
        FINE_MOBILES,
        FINE_MOBILES.map(lambda m: f"\t{m} "),
        st.from_regex(r"(0|62|\+62)8[0-9]{7,12}", fullmatch=True),  # some of them not mobile
        st.sampled_from(
            ["", "08123456", "0812 3456 789", "+62 812345678", "08123\n4567890", "٠٨١٢٣٤٥٦٧٨٩"]
        ),
    ),
    max_size=6,
)


@given(texts=MOBILE_TEXTS, uniform=st.sampled_from(["", "0", "62", "+62"]))
@settings(max_examples=1000, deadline=None)
def test_a_column_of_numbers_reads_as_each_number_does(texts: list[str], uniform: str) -> None:
    if uniform:  # a column in one form, as exports write them
        texts = [uniform + re.sub(r"^\s*(\+?62|0)", "", t).strip() for t in texts]
    expected: list[str] | None = []
    for t in texts:
        try:
            assert expected is not None
            expected.append(normalize(t, "ID"))
        except InvalidNumberError:
            expected = None
            break

    got = normalize_plain_mobiles(texts, "ID")

    assert got is None or got == expected
    plain = all(re.fullmatch(r"\s*(\+?62|0)8[0-9]{7,12}\s*", t) for t in texts)
    assert (got is not None) == (plain and expected is not None)


def test_numbers_of_other_regions_are_left_to_normalize() -> None:
    assert normalize_plain_mobiles(["081234567890"], "MY") is None


CELL_TEXT = st.text(alphabet=st.sampled_from("ab \t\n\x07\x85\u00a0€'^]\\"), max_size=8)


@given(values=st.lists(CELL_TEXT, max_size=6), column=st.sampled_from(["name", "address"]))
@settings(max_examples=1000, deadline=None)
def test_a_column_passes_the_rules_exactly_when_each_value_does(
    values: list[str], column: str
) -> None:
    rules = string_rules(SPEC_SCHEMA, schema_def(SPEC_SCHEMA, "contact")["properties"][column])
    assert rules.all_pass(values) == all(not rules.problems(v) for v in values)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[^^a]*$",
        r"^[^]a]*$",
        r"^[^a\]b]*$",
        r"^[^a]*$x",
        r"^(a|[^b])*$",
        r"^[^a\n]*$",
        "^[^\n]*$",
        "^a|b",
    ],
)
@given(values=st.lists(st.text(alphabet="ab]^\\x\n", max_size=5), max_size=4))
@settings(max_examples=200, deadline=None)
def test_patterns_of_any_shape_are_checked_as_the_schema_says(
    pattern: str, values: list[str]
) -> None:
    rules = StringRules(None, ((re.compile(pattern), "no"),))
    assert rules.all_pass(values) == all(not rules.problems(v) for v in values)


def test_validate_counts_the_contacts_a_load_makes(tmp_path: Path) -> None:
    """Plainly fine files are counted, not made into contacts, by validate: the count is the
    load's, whichever way each file is read."""
    root = tmp_path / "p"
    write_project(root, "name,mobile\n" + "".join(f"B {i},0812345{i:05d}\n" for i in range(50)))
    (root / "q.csv").write_text('name,mobile\n"Ani, S",081299999999\n\nDewi,081299999998\n')
    (root / "q.yaml").write_text("kind: Group\nname: Q\ncontacts_file: q.csv\n")
    (root / "y.yaml").write_text(
        "kind: Group\nname: Y\ncontacts:\n  - {name: Eka, mobile: '081277777777'}\n"
    )
    loaded = load_desired_state(load_project(root)).contact_count

    result = run_cli("validate", str(root), "--format", "json")

    assert result.exit_code == 0, result.output
    assert loaded == 53 == json.loads(result.output)["summary"]["contacts"]
    text = run_cli("validate", str(root)).output
    assert text.startswith("ok: 3 groups, 53 contacts, 0 broadcasts in 3 files")


def every_field(obj: Any) -> dict[str, Any]:
    """Each dataclass field's value, compared or not (slotted objects have no vars())."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def test_contacts_made_from_columns_are_those_init_makes() -> None:
    made = contact_specs(
        "g.csv", 7, ["Budi", "Ani"], ["+628111", "+628222"], ["Jl. 1", None], [None, "d"]
    )
    by_init = [
        ContactSpec(name="Budi", mobile="+628111", address="Jl. 1", where=Location("g.csv", 7)),
        ContactSpec(name="Ani", mobile="+628222", desc="d", where=Location("g.csv", 8)),
    ]

    assert list(map(every_field, made)) == list(map(every_field, by_init))  # where too
    assert [every_field(c.where) for c in made] == [every_field(c.where) for c in by_init]
    assert made == by_init and list(map(hash, made)) == list(map(hash, by_init))
    assert list(map(repr, made)) == list(map(repr, by_init))
