"""A valid spec is read without jsonschema: smsync.spec.validity answers "valid?" as
jsonschema's Draft 2020-12 validator does, for every document, and only an invalid one goes
to jsonschema for its messages."""

from __future__ import annotations

import copy
import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsync.spec.schema import PROJECT_SCHEMA, SPEC_SCHEMA, load_schema, schema_validator
from smsync.spec.validity import is_valid
from smsync.spec.yamldoc import load_yaml_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: Valid documents of each schema: the examples, and a few of what people write.
BASES: dict[str, list[Any]] = {
    SPEC_SCHEMA: [
        doc.data
        for path in sorted(EXAMPLES.rglob("*.yaml"))
        if path.name != "smsync.yaml"
        for doc in load_yaml_file(path, path.name)[0]
        if doc.data is not None
    ]
    + [
        {"kind": "Group", "name": "G", "contacts_file": "g.csv", "renamed_from": ["Old"]},
        {"kind": "Group", "name": "Gone", "state": "absent"},
        {
            "kind": "Broadcast",
            "name": "B",
            "audience": {"contacts": {"groups": ["G"], "where": {"desc": ["a", 1]}}},
            "template": "Halo",
            "mode": "recurring",
            "schedule": {"on": "monthly", "day": 31, "time": "08:30", "grace_hours": 2},
            "sending_hours": {"from": "08:00", "until": "20:00"},
        },
    ],
    PROJECT_SCHEMA: [
        load_yaml_file(EXAMPLES / "smsync.yaml", "smsync.yaml")[0][0].data,
        {
            "version": 1,
            "gateway": {
                "endpoint": "https://gw.example",
                "username": "toko",
                "timeout": 2.5,
                "accounts": [{"name": "t", "username": "u", "operators": ["Telkomsel"]}],
            },
            "defaults": {"region": "ID"},
            "safety": {"max_delete_share": 0.5, "min_existing": 0},
            "state": "local:.smsync/ledger.sqlite",
        },
    ],
}

VALUES = st.one_of(
    st.sampled_from(["", " ", "x", "Group", "Broadcast", "absent", "once", "recurring"]),
    st.sampled_from(["monthly", "sms", "whatsapp", "08:00", "25:00", "Telkomsel", "https://gw"]),
    st.sampled_from(["€", "a\nb", "x" * 300, "Budi\n", "08:00\n", "ID\n"]),
    st.integers(-2, 40),
    st.sampled_from([0.0, 1.0, 0.5, 1.5, float("nan"), float("inf"), True, False, None]),
    st.just(dt.date(2025, 1, 31)),
    st.lists(st.sampled_from(["G", "", 1, True]), max_size=2),
    st.dictionaries(st.sampled_from(["name", "group", "x", "on"]), st.just("G"), max_size=2),
)


def near(value: Any) -> st.SearchStrategy[Any]:
    """Values close to ``value``: where a rule's edge is (a bool for an int, one more, ...)."""
    if isinstance(value, bool):
        return st.sampled_from([not value, int(value), str(value).lower(), None])
    if isinstance(value, int):
        return st.sampled_from(
            [value + 1, value - 1, 0, float(value), value + 0.5, str(value), True]
        )
    if isinstance(value, float):
        whole = int(value) if math.isfinite(value) else 0
        return st.sampled_from([whole, value * 2, -value, str(value), float("nan")])
    if isinstance(value, str):
        return st.sampled_from(["", f" {value}", f"{value} ", value * 60, value.upper(), 1])
    if isinstance(value, list):
        return st.sampled_from([[], [*value, *value], value[:1], "x"])
    if isinstance(value, dict):
        return st.sampled_from([{}, {**value, "extra": 1}, "x", None])
    return VALUES


def paths(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``doc`` a value sits (keys of mappings, indexes of lists)."""
    out = [here]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*here, i))
    return out


@st.composite
def documents(draw: st.DrawFn, schema: str) -> Any:
    """A valid document of ``schema`` with a few values replaced, removed or added."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES[schema])))
    for _ in range(draw(st.integers(0, 2))):
        path = draw(st.sampled_from(paths(doc)))
        if not path:
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(st.one_of(near(parent[path[-1]]), VALUES))
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "name", "mode", "via", 1]))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return doc


@pytest.mark.parametrize("schema", [SPEC_SCHEMA, PROJECT_SCHEMA])
@given(data=st.data())
@settings(max_examples=1500, deadline=None)
def test_validity_is_what_jsonschema_says(schema: str, data: st.DataObject) -> None:
    doc = data.draw(documents(schema))
    expected = schema_validator(schema).is_valid(doc)  # jsonschema, patterns read as ECMA

    assert is_valid(load_schema(schema), doc) == expected


@pytest.mark.parametrize("schema", [SPEC_SCHEMA, PROJECT_SCHEMA])
def test_the_example_documents_are_valid(schema: str) -> None:
    assert all(is_valid(load_schema(schema), doc) for doc in BASES[schema])


def test_a_keyword_not_evaluated_here_is_left_to_jsonschema() -> None:
    assert is_valid({"uniqueItems": True}, [1, 1]) is None
    assert is_valid({"$ref": "other.json#/x"}, 1) is None


def test_a_valid_project_is_read_without_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "smsync.yaml").write_text("version: 1\ndefaults: {region: ID}\n")
    (tmp_path / "g.yaml").write_text(
        "kind: Group\nname: G\ncontacts:\n  - {name: A, mobile: '081234567890'}\n"
    )
    probe = (
        "import sys\nfrom pathlib import Path\n"
        "from smsync.spec import load_desired_state, load_project\n"
        f"state = load_desired_state(load_project(Path({str(tmp_path)!r})))\n"
        "assert state.contact_count == 1\nprint('jsonschema' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
