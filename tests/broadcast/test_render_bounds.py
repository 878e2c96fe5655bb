"""Every render is bounded in work and size: CPU and memory bombs in a template end quickly with a
one-line TemplateProblem (and `smsync plan` with a file:line error), never a hang or a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from smsync.broadcast import render as render_module
from smsync.broadcast.render import TemplateProblem, compile_template, render
from tests.support.project import BProject, contacts
from tests.support.sandbox import PASSWORD

# A bomb that is not refused hangs: fail in seconds, not after the suite's two minutes.
pytestmark = pytest.mark.timeout(10)

# Seconds: a refused bomb takes milliseconds (at most 1 s of CPU by the render's own clock); the
# bound only says "it ends", with room for a loaded 2-core CI machine, not how fast.
QUICKLY = 8.0
TOO_LONG = "the template takes too long to render (over "
TOO_BIG_NUMBER = "refused by the template sandbox: the number would have more than 4096 bits"
TOO_BIG_VALUE = "refused by the template sandbox: the template would build a value longer than"


def refusal(source: str, **context: Any) -> TemplateProblem:
    start = time.monotonic()
    with pytest.raises(TemplateProblem) as e:
        render(compile_template(source), {"name": "Ana", **context})
    assert time.monotonic() - start < QUICKLY
    assert "\n" not in str(e.value)
    return e.value


@pytest.mark.parametrize(
    "source",
    [
        "{{ 10 ** 64 ** 64 ** 64 }}",
        "{{ (((10 ** 64) ** 64) ** 64) ** 64 }}",
        "{{ 10 ** 64 ** 64 ** 64 ** 64 ** 64 }}",
        "{{ 2 ** 5000 }}",
        "{{ -(7 ** 64 ** 64) }}",
    ],
)
def test_chained_exponent_is_refused_before_it_is_computed(source: str) -> None:
    assert str(refusal(source)) == f"template line 1: {TOO_BIG_NUMBER}"


@pytest.mark.parametrize(
    "source",
    [
        # repeated squaring: 2**40 digits if nothing stops it
        "{% set ns = namespace(n=99) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
        "{% endfor %}{{ ns.n }}",
        "{% set n = 10 ** 1000 %}{{ n * n * n * n * n * n * n * n * n * n }}",
    ],
)
def test_multiplying_huge_numbers_is_refused(source: str) -> None:
    assert TOO_BIG_NUMBER in str(refusal(source))


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% if j > i %}{% endif %}"
        "{% endfor %}{% endfor %}done",
        # iterating strings (no range, no call, no attribute) is counted too
        "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}",
        "{% for a in s %}{% for b in s if b %}{% endfor %}{% endfor %}",
        "{% for a in s[:100]|list %}{% for b in s %}{% if loop.index0 > loop.length %}{% endif %}"
        "{% endfor %}{% endfor %}",
        # a recursive loop re-enters itself through loop(): its iterations are counted too
        "{% for x in s recursive %}{% if loop.depth < 4 %}{{ loop(s) }}{% endif %}{% endfor %}",
        "{% for x in range(100000) %}{% if x|string|length > 9 %}{% endif %}{% endfor %}",
        "{% for x in range(1000) %}{% if range(100000)|sum %}{% endif %}{% endfor %}",
    ],
)
def test_nested_loops_run_out_of_budget(source: str) -> None:
    problem = refusal(source, s="x" * 10000)
    assert problem.reason.startswith(TOO_LONG)
    assert problem.line == 1


@pytest.mark.parametrize(
    "source",
    [
        # 2**40 calls
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
        # call blocks re-enter the caller: 4**12 calls
        "{% macro f(n) %}{% if n %}{{ caller() }}{{ caller() }}{{ caller() }}{{ caller() }}"
        "{% endif %}{% endmacro %}"
        "{% macro g(n) %}{% call f(n) %}{{ g(n - 1) }}{% endcall %}{% endmacro %}{{ g(12) }}",
    ],
)
def test_exponential_recursion_runs_out_of_budget(source: str) -> None:
    assert refusal(source).reason.startswith(TOO_LONG)


@pytest.mark.parametrize(
    "source",
    [
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    ],
)
def test_endless_recursion_is_a_clear_problem(source: str) -> None:
    reason = refusal(source).reason
    assert reason == "refused by the template sandbox: calls nest more than 50 deep"


@pytest.mark.parametrize(
    "source",
    [
        "{% set ns = namespace(s='xy') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{% set ns = namespace(s='xy') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}",
        "{% set ns = namespace(l=[1, 2]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}"
        "{% endfor %}",
        # doubling through a set block, whose text is joined without any operator
        "{% set ns = namespace(s='xy') %}{% for i in range(100) %}{% set b %}{{ ns.s }}{{ ns.s }}"
        "{% endset %}{% set ns.s = b %}{% endfor %}",
        # a list that shares its halves is small in memory, but huge once printed
        "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = [ns.l, ns.l] %}"
        "{% endfor %}{{ ns.l }}",
        "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% endif %}{% endmacro %}"
        "{{ d('ab', 45) }}",
        "{% macro d(s, n) %}{% if n %}{% set t %}{{ s }}{{ s }}{% endset %}{{ d(t, n - 1) }}"
        "{% endif %}{% endmacro %}{{ d('ab', 45) }}",
        # no loop, no call: each line doubles what the list prints
        "{% set a = [1, 1] %}" + "{% set a = [a, a] %}" * 60 + "{{ a }}",
        "{% set a = {'k': 'v'} %}" + "{% set a = {'k': a, 'j': a} %}" * 60 + "{{ a }}",
    ],
)
def test_growth_loops_are_refused(source: str) -> None:
    assert TOO_BIG_VALUE in str(refusal(source))


@pytest.mark.parametrize(
    "source",
    [
        "{{ (s[:1000]|list)|join(s) }}",
        "{{ s[:1000]|map('upper')|join(s) }}",
        "{{ s.join(s[:1000]) }}",
        "{{ s.join(s[:1000]|map('upper')) }}",
        "{{ s|replace('', s) }}",
        "{{ s.replace('x', s) }}",
        "{{ (s|wordwrap(1))|indent(s) }}",
        "{{ (s|wordwrap(1))|indent(9999) }}",
        "{{ ('%(a)s' * 8000) % {'a': s} }}",
        "{{ ('{0}' * 12000).format(s) }}",
        "{{ s|wordwrap(1, true, s) }}",
        "{{ [s] * 10000 }}",
        "{{ ([s] * 10000)|join }}",
        "{{ [[s] * 10000] * 10000 }}",
        "{{ [1]|batch(10000, s)|list }}",
        "{{ lipsum(10000, false, 10000, 10000) }}",
        "{{ s.translate({120: s}) }}",
    ],
)
def test_single_steps_that_multiply_sizes_are_refused(source: str) -> None:
    assert "refused by the template sandbox" in str(refusal(source, s="x" * 10000))


@pytest.mark.parametrize(
    "source",
    [
        "{{ 10 ** 64 ** 64 ** 64 ** 64 ** 64 }}",
        "{{ 'xxxxxxxxxx'" + "|replace('x', 'xxxxxxxxxx')" * 12 + " }}",
        "{{ 'xxxxxxxxxx' ~ ('xxxxxxxxxx'" + "|replace('x', 'xxxxxxxxxx')" * 12 + ") }}",
        "{{ -(9 ** 9 ** 9 ** 9 ** 9) }}",
    ],
)
def test_compiling_a_bomb_does_not_run_it(source: str) -> None:
    start = time.monotonic()
    template = compile_template(source)
    assert time.monotonic() - start < QUICKLY
    assert "refused by the template sandbox" in str(refusal(template.source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 2 ** 100 }}", str(2**100)),
        ("{{ 2 ** 4095 > 0 }}", "True"),
        ("{{ 1 ** (10 ** 100) }} {{ 2 ** -2 }} {{ 1.5 ** 2 }}", "1 0.25 2.25"),
        ("{{ (10 ** 30) * (10 ** 30) == 10 ** 60 }}", "True"),
        ("{% for i in range(3) %}{{ name }}{{ loop.index }} {% endfor %}", "Ana1 Ana2 Ana3 "),
        ("{% for i in range(1000) %}{% endfor %}{{ range(100000)|length }}", "100000"),
        ("{% macro greet(who) %}Hi {{ who|title }}{% endmacro %}{{ greet(name) }}", "Hi Ana"),
        ("{{ items|join(', ') }} {{ name ~ '!' }} {{ name|replace('a', 'aa') }}", "a, b Ana! Anaa"),
        (
            "{% set b %}{{ name }}{{ name }}{% endset %}{{ b }} {{ -3 }} {{ 7 // 2 }} {{ 7 % 4 }}",
            "AnaAna -3 3 3",
        ),
        (
            "{{ '%.1f'|format(12.345) }} {{ '{} {}'.format(name, 1) }} {{ [1, 2] + [3] }}",
            "12.3 Ana 1 [1, 2, 3]",
        ),
    ],
)
def test_ordinary_templates_still_render(source: str, expected: str) -> None:
    assert render(compile_template(source), {"name": "Ana", "items": ["a", "b"]}) == expected


def test_the_clock_stops_a_render_whose_steps_are_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    # A macro call is one step but tens of microseconds of Jinja: with a tiny time budget, a
    # render well inside the step budget is stopped by the thread's CPU clock.
    monkeypatch.setattr(render_module, "MAX_RENDER_SECONDS", 0.001)
    source = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{% for i in range(10) %}{{ f(9) }}{% endfor %}"
    )
    assert refusal(source).reason == "the template takes too long to render (over 0.001 s)"


def test_every_render_gets_a_fresh_budget() -> None:
    # Each render alone is well inside the budget; together they would not be.
    template = compile_template("{% for i in range(30000) %}{% endfor %}{{ name }}")
    for _ in range(10):
        assert render(template, {"name": "Ana"}) == "Ana"


@pytest.mark.timeout(30)  # a fresh interpreter and an embedded sandbox, on a busy machine
def test_plan_with_a_bomb_template_exits_1_quickly_with_file_line(tmp_path: Path) -> None:
    project = BProject(tmp_path)
    project.config["gateway"]["endpoint"] = "sandbox://.smsync/sandbox.sqlite"
    project.group("Office", contacts(2))
    project.broadcast("hello", "Hi {{ name }}", {"contacts": {"groups": ["Office"]}})
    project.broadcast(
        "bomb",
        "Hi {{ name }}\n{{ (((10 ** 64) ** 64) ** 64) ** 64 }}",
        {"contacts": {"groups": ["Office"]}},
    )
    project.write()
    env = {
        **os.environ,
        "SMSYNC_PASSWORD": PASSWORD,
        "CI": "1",
        "NO_COLOR": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "smsync", "plan", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=25,
    )
    assert time.monotonic() - start < 15  # the bomb alone would take hours
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "Error: broadcasts/broadcasts.yaml:10:7: broadcast 'bomb': recipient 0812*****000: "
        f"template: template line 2: {TOO_BIG_NUMBER}"
    ) in result.stderr.splitlines()
    assert "Traceback" not in result.stdout + result.stderr
