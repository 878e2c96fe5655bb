"""Property: planning with any template and any vars raises nothing but BroadcastError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.broadcast import BroadcastError, Ledger, plan_broadcasts
from smsync.spec.model import (
    Audience,
    BroadcastSpec,
    ContactSelector,
    ContactSpec,
    DesiredState,
    GroupSpec,
    Location,
)
from smsync.spec.project import Project
from tests.support.project import NOW

# Fragments that make random text look like Jinja often enough to reach the renderer's paths.
FRAGMENTS = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " name ",
    " desc ",
    " x ",
    " y ",
    "|upper",
    "|join",
    "|center(9999999)",
    "|int",
    "|safe",
    " for i in range(99) ",
    "endfor",
    " if ",
    " else ",
    "endif",
    " * ",
    " ** ",
    " 99 ",
    " 9999999 ",
    "'a'",
    "()",
    "[0]",
    ".__class__",
    ".__mro__",
    ".__globals__",
    "lipsum",
    "cycler",
    "self",
    "loop",
    " / 0 ",
    " ~ ",
    "\n",
    "é",
    "こ",
    "€",
    " set z = ",
    "macro m()",
    "endmacro",
    " include 'x' ",
    " import 'x' as y ",
    "{{ name }}",
    # pieces of CPU and memory bombs: any mix must still end quickly, as an error
    " ** 64 ",
    " range(99999) ",
    " recursive ",
    "loop(",
    "caller()",
    " call ",
    "endcall",
    "namespace(",
    "|replace('', 'xyz')",
    "|join(name)",
    "|indent(name)",
    "[x, x]",
    " ~ name ~ name ",
]

jinja_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=25).map(
    "".join
)
var_values = st.one_of(
    st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.booleans()
)
var_names = st.sampled_from(["x", "y", "z", "name", "loop", "range", "self", "i", "a_b"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    template=st.one_of(jinja_like, st.text(max_size=200)),
    vars_=st.dictionaries(var_names, var_values, max_size=4),
    group_send=st.booleans(),
)
def test_any_template_either_plans_or_raises_broadcast_error(
    template: str, vars_: dict[str, str | int | float | bool], group_send: bool
) -> None:
    where = Location("b.yaml", 1, 1)
    group = GroupSpec(
        "G",
        contacts=[
            ContactSpec("Ana", "+6281230000001", desc="x", where=where),
            ContactSpec("Budi", "+6281230000002", where=where),
        ],
    )
    audience = (
        Audience(group="G") if group_send else Audience(contacts=ContactSelector(groups=("G",)))
    )
    spec = BroadcastSpec("fuzz", audience, template, vars=dict(vars_), where=where)
    desired = DesiredState(groups=[group], broadcasts=[spec])
    with Ledger(":memory:") as ledger:
        try:
            [plan] = plan_broadcasts(
                desired, Project(root=Path(".")), ledger=ledger, now=NOW, suppression=frozenset()
            )
        except BroadcastError as e:
            assert str(e).startswith("b.yaml:1:1: broadcast 'fuzz'")
            assert "\n" not in str(e)
            return
    assert all(0 < len(r.message) <= 5000 for r in plan.recipients)
    assert all(r.segments >= 1 for r in plan.recipients)
