"""Hypothesis: the loader never raises anything but SpecErrors, whatever the files contain."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.spec import SpecErrors, load_desired_state
from smsync.spec.model import DesiredState
from smsync.spec.project import Project

KEYS = [
    "kind",
    "name",
    "state",
    "protect",
    "contacts",
    "contacts_file",
    "mobile",
    "birth",
    "address",
    "desc",
    "audience",
    "group",
    "template",
    "channel",
    "fallback",
    "not_before",
    "vars",
    "where",
    "numbers",
    "groups",
    "max_recipients",
    "<<",
    "x",
]
SCALARS = st.one_of(
    st.sampled_from(
        [
            "Group",
            "Broadcast",
            "absent",
            "081234567890",
            "628123",
            "sms",
            "whatsapp",
            "1990-02-30",
            "2025-01-01T00:00:00+07:00",
            "{{ x",
            "c.csv",
            "",
            "~",
            "yes",
            "0o17",
            "1_000",
            "&a",
            "*a",
            "!!binary",
            "\t",
        ]
    ),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.none(),
    st.floats(),
    st.text(max_size=20),
)
TREES = st.recursive(
    SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(KEYS), kids, max_size=6)
    ),
    max_leaves=30,
)


def _dump(value: Any, indent: int = 0) -> str:
    """A deliberately sloppy YAML writer (no escaping): it should produce broken YAML too."""
    pad = " " * indent
    if isinstance(value, dict):
        body = "".join(f"{pad}{k}:\n{_dump(v, indent + 2)}" for k, v in value.items())
        return body or f"{pad}{{}}\n"
    if isinstance(value, list):
        return "".join(f"{pad}-\n{_dump(v, indent + 2)}" for v in value) or f"{pad}[]\n"
    return f"{pad}{value}\n"


def _load(files: dict[str, str | bytes]) -> DesiredState | None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name, content in files.items():
            p = root / name
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            return load_desired_state(Project(root=root))
        except SpecErrors as e:
            assert e.problems, "SpecErrors without problems"
            for prob in e.problems:
                assert str(prob)
            return None


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(TREES, min_size=1, max_size=3))
def test_structured_documents(docs: list[Any]) -> None:
    _load({"a.yaml": "---\n".join(_dump(d) for d in docs)})


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from(list("kind:Group\nname-[]{}&*!|>'\"#,? \t0812%@`")), max_size=200
    )
)
def test_random_yaml_text(text: str) -> None:
    _load({"a.yaml": text})


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _load({"a.yaml": data})


@FUZZ
@given(
    st.text(alphabet=st.sampled_from(list('name,mobile,birth,protect\n"\r 0812x-;')), max_size=300)
)
def test_random_csv(text: str) -> None:
    _load({"g.yaml": "kind: Group\nname: G\ncontacts_file: c.csv\n", "c.csv": text})
