"""A template is compiled once and rendered once per recipient, each render in a context of its
own made from globals flattened at compile time (not Jinja's per-render walk of its ChainMap).
It must render what Jinja's sandbox renders, keep nothing from one recipient's render to the
next, and still name the template line of an error."""

from __future__ import annotations

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from smsync.broadcast.render import TemplateProblem, compile_template, render

# Plain Jinja's sandbox, the renderer smsync's bounded one must agree with on ordinary templates.
PLAIN = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

TEMPLATES = [
    "Halo {{ name }}, kode promo Anda {{ kode }}. Berlaku s.d. akhir bulan.",
    "{{ name | upper }} {{ desc | default('-') }} {{ name[:3] }} {{ name | length }}",
    "{% for i in range(3) %}{{ loop.index }}{{ name }}{% endfor %}",
    "{% set n = namespace(total=0) %}{% for c in name %}{% set n.total = n.total + 1 %}"
    "{% endfor %}{{ n.total }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}",
    "{% set j = joiner(', ') %}{% for w in name.split() %}{{ j() }}{{ w }}{% endfor %}",
    "{% macro hi(who) %}Hi {{ who }}{% endmacro %}{{ hi(name) }}",
    "{% if desc %}{{ desc }}{% else %}tanpa desc{% endif %} {{ '%s-%s' % (name, kode) }}",
    "{{ dict(a=name)['a'] }} {{ range(2) | list }} {{ lipsum(1, false, 3, 6) | length > 0 }}",
    "{% set greeting %}Halo {{ name }}{% endset %}{{ greeting }}!",
]


@settings(deadline=None, max_examples=60)  # no flaky timing on a busy CI machine
@given(
    st.sampled_from(TEMPLATES),
    st.text(min_size=1, max_size=40),
    st.text(max_size=20),
    st.text(max_size=10),
)
def test_a_compiled_template_renders_what_jinjas_sandbox_renders(
    source: str, name: str, desc: str, kode: str
) -> None:
    context = {"name": name, "desc": desc, "kode": kode}
    assert render(compile_template(source), context) == PLAIN.from_string(source).render(context)


def test_renders_of_one_compiled_template_share_no_variables() -> None:
    template = compile_template(
        "{% if seen is defined %}saw {{ seen }}{% endif %}{% set seen = name %}{{ seen }}"
    )
    assert render(template, {"name": "Ana"}) == "Ana"
    assert render(template, {"name": "Budi"}) == "Budi"
    # a recipient's own field is read, never an earlier recipient's
    assert render(template, {"name": "Citra", "seen": "x"}) == "saw xCitra"


def test_a_recipients_fields_do_not_stay_in_the_compiled_template() -> None:
    template = compile_template("{{ name }}{{ kode | default('') }}")
    assert render(template, {"name": "Ana", "kode": "K1"}) == "AnaK1"
    assert render(template, {"name": "Budi"}) == "Budi"


def test_an_error_in_a_compiled_template_still_names_its_line() -> None:
    template = compile_template("Halo {{ name }}\n{{ nama }}")
    assert render(template, {"name": "Ana", "nama": "x"}) == "Halo Ana\nx"
    with pytest.raises(TemplateProblem) as caught:
        render(template, {"name": "Budi"})
    assert caught.value.line == 2
    assert "undefined variable" in caught.value.reason


def test_a_compiled_template_can_key_a_cache() -> None:
    template = compile_template("Halo {{ name }}")
    cache = {template: "compiled once"}
    assert cache[template] == "compiled once"
