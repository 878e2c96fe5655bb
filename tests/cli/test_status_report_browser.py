"""The delivery report as a person sees it: rendered by headless Chromium, it loads without a
single console message (no script error, no refused request: the page fetches nothing), and
the numbers in the DOM the browser built match the ledger and the sandbox's own records."""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from smsync.numbers import mask
from smsync.sandbox import SandboxServer
from tests.support.chromium import CHROMIUM, render
from tests.support.project import Project
from tests.support.report_broadcast import (
    BROADCAST,
    BY_OPERATOR,
    delivered_project,
    ledger_rows,
    sandbox_states,
)
from tests.support.report_page import read_report

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)"
)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_console_messages_are_seen(tmp_path: Path) -> None:
    """The check below means something: a page that fails is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>notDefined()</script>")

    rendered = render(page, tmp_path)

    assert any("Uncaught ReferenceError" in line for line in rendered.console), rendered.console


def test_report_renders_cleanly_and_shows_the_ledger_and_sandbox_numbers(
    make_sandbox: Callable[..., SandboxServer],
    make_project: Callable[[SandboxServer], Project],
    tmp_path: Path,
) -> None:
    project, srv = delivered_project(make_sandbox, make_project)
    page = tmp_path / "delivery.html"
    assert project.run("status", str(project.root), "--report", str(page)).exit_code == 0

    rendered = render(page, tmp_path)

    assert rendered.console == []
    assert png_size(rendered.screenshot) == (1100, 1000)
    assert rendered.screenshot.stat().st_size > 20_000  # charts drawn, not a blank page
    shown = read_report(rendered.dom)[BROADCAST]
    ledger, gateway = ledger_rows(project), sandbox_states(srv)
    assert ledger == gateway
    states = Counter(gateway.values())
    assert shown.funnel["planned"] == shown.funnel["sent"] == len(gateway)
    assert shown.funnel["delivered"] == states["DELIVRD"]
    assert shown.funnel["failed"] == len(gateway) - states["DELIVRD"]
    assert shown.outcomes == dict(states)
    assert {op: o["planned"] for op, o in shown.operators.items()} == {
        op: len(numbers) for op, numbers in BY_OPERATOR.items()
    }
    assert sorted(r[0] for r in shown.retry) == sorted(
        mask(n) for n, state in gateway.items() if state != "DELIVRD"
    )
    # the charts are in the page the browser built, one per figure
    assert rendered.dom.count("<svg") == 4
