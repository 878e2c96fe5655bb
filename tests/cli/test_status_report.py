"""`smsync status` as a delivery dashboard and `status --report FILE.html`, through the real CLI
against the sandbox: the numbers shown are checked against the ledger's rows and against the
sandbox's own record of each message's final state."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from smsync.numbers import mask
from smsync.sandbox import SandboxServer
from smsync.spec.schema import load_schema
from tests.support.project import Project, group
from tests.support.report_broadcast import (
    BROADCAST,
    BY_OPERATOR,
    UNDELIVERED,
    delivered_project,
    ledger_rows,
    sandbox_states,
    settle,
)
from tests.support.report_page import read_report


@pytest.fixture
def sent(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> tuple[Project, SandboxServer]:
    return delivered_project(make_sandbox, make_project)


def test_report_numbers_match_the_ledger_and_the_sandbox(
    sent: tuple[Project, SandboxServer], tmp_path: Path
) -> None:
    project, srv = sent
    out = tmp_path / "delivery.html"

    result = project.run("status", str(project.root), "--report", str(out))

    assert result.exit_code == 0, result.output + result.stderr
    [section] = read_report(out.read_text(encoding="utf-8")).values()
    ledger, gateway = ledger_rows(project), sandbox_states(srv)
    assert ledger == gateway  # the refresh brought every final state into the ledger
    states = Counter(gateway.values())
    assert section.funnel == {
        "planned": len(ledger),
        "sent": len(ledger),
        "delivered": states["DELIVRD"],
        "failed": len(UNDELIVERED),
        "pending": 0,
    }
    assert section.outcomes == {state: n for state, n in states.items()}
    assert sorted(section.retry) == sorted(
        [mask(number), op, state]
        for op, numbers in BY_OPERATOR.items()
        for number in numbers
        if (state := gateway[number]) != "DELIVRD"
    )
    for op, numbers in BY_OPERATOR.items():
        failed = sum(1 for n in numbers if gateway[n] != "DELIVRD")
        assert section.operators[op] == {
            "planned": len(numbers),
            "sent": len(numbers),
            "delivered": len(numbers) - failed,
            "failed": failed,
            "pending": 0,
        }
    assert (section.name, section.kind, section.lifecycle) == (BROADCAST, "once", "complete")


def test_status_json_carries_the_dashboard_and_matches_its_schema(
    sent: tuple[Project, SandboxServer],
) -> None:
    project, srv = sent

    result = project.run("status", str(project.root), "--format", "json")

    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, load_schema("status.schema.json"))
    [b] = doc["broadcasts"]
    assert (b["kind"], b["lifecycle"], b["occurrences"]) == ("once", "complete", [])
    assert b["states"] == dict(Counter(sandbox_states(srv).values()))
    assert b["funnel"] == {"planned": 8, "sent": 8, "delivered": 5, "failed": 3, "pending": 0}
    assert b["operators"]["XL"] == {
        "planned": 2,
        "sent": 2,
        "delivered": 1,
        "failed": 1,
        "pending": 0,
    }
    assert sorted(r["number"] for r in b["retry"]) == sorted(mask(n) for n in UNDELIVERED)
    assert doc["refreshed"]["queried"] == 8


def test_terminal_dashboard_shows_kind_funnel_and_operators(
    sent: tuple[Project, SandboxServer],
) -> None:
    project, _ = sent

    result = project.run("status", str(project.root), "--no-refresh")

    assert result.exit_code == 0, result.output + result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == [BROADCAST, "once,", "complete"]
    funnel = {line[0]: int(line[1]) for line in lines[1:6]}
    # --no-refresh: the ledger as apply left it, every message accepted and awaiting a report
    assert funnel == {"planned": 8, "sent": 8, "delivered": 0, "failed": 0, "pending": 8}
    assert ["operator", "planned", "sent", "delivered", "failed", "pending"] in lines
    assert ["XL", "2", "2", "0", "0", "2"] in [line[:6] for line in lines]


def test_report_shows_numbers_in_full_only_with_show_pii(
    sent: tuple[Project, SandboxServer], tmp_path: Path
) -> None:
    project, _ = sent
    masked, full = tmp_path / "masked.html", tmp_path / "full.html"

    project.run("status", str(project.root), "--report", str(masked))
    project.run("status", str(project.root), "--no-refresh", "--show-pii", "--report", str(full))

    numbers = {n[0] for s in read_report(full.read_text()).values() for n in s.retry}
    assert numbers == {"+62" + n[1:] for n in UNDELIVERED}
    text = masked.read_text()
    assert not any(n[1:] in text for n in UNDELIVERED)  # no number, in any spelling
    assert {n[0] for s in read_report(text).values() for n in s.retry} == {
        mask(n) for n in UNDELIVERED
    }


def test_report_escapes_names_from_the_spec(
    make_sandbox: Callable[..., SandboxServer],
    make_project: Callable[[SandboxServer], Project],
    tmp_path: Path,
) -> None:
    hostile = '<script>alert("x")</script> & <b>'
    srv = make_sandbox(dlr_delay_ms=0)
    project = make_project(srv)
    project.write_groups(group("Kantor", [{"name": "A", "mobile": "081230000001"}]))
    project.write_documents(
        "groups/zz-broadcasts.yaml",
        [
            {
                "kind": "Broadcast",
                "name": hostile,
                "audience": {"contacts": {"groups": ["Kantor"]}},
                "template": "hi",
            }
        ],
    )
    assert project.apply().exit_code == 0
    out = tmp_path / "r.html"

    assert project.run("status", str(project.root), "--report", str(out)).exit_code == 0

    html = out.read_text()
    assert "<script" not in html and "<b>" not in html
    assert list(read_report(html)) == [hostile]  # shown as written


def test_report_never_overwrites_a_file_that_is_not_a_report(
    sent: tuple[Project, SandboxServer],
) -> None:
    project, _ = sent
    config = project.root / "smsync.yaml"
    before = config.read_text()

    result = project.run("status", str(project.root), "--no-refresh", "--report", str(config))

    assert result.exit_code == 1
    assert "is not an earlier output of this command" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert config.read_text() == before
    earlier = project.root / "delivery.html"
    for _ in range(2):  # a report replaces an earlier report
        assert project.run("status", str(project.root), "--no-refresh", "--report", str(earlier))
        assert read_report(earlier.read_text())[BROADCAST].funnel["planned"] == 8


def test_recurring_broadcast_shows_each_occurrence(
    make_sandbox: Callable[..., SandboxServer],
    make_project: Callable[[SandboxServer], Project],
    tmp_path: Path,
) -> None:
    srv = make_sandbox(dlr_delay_ms=0, final_states=("6281710000001=UNDELIVRD",))
    project = make_project(srv)
    members = [{"name": "A", "mobile": "081230000001"}, {"name": "B", "mobile": "081710000001"}]
    project.write_groups(group("Kantor", members))
    project.write_documents(
        "groups/zz-broadcasts.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "gajian",
                "mode": "recurring",
                "schedule": {"on": "monthly", "day": 25, "time": "09:00"},
                "audience": {"contacts": {"groups": ["Kantor"]}},
                "template": "Gaji {{ occurrence }}",
            }
        ],
    )
    for when in ("2026-01-25T10:00:00+07:00", "2026-02-25T10:00:00+07:00"):
        applied = project.run(
            "apply", str(project.root), "--auto-approve", env={"SMSYNC_NOW": when}
        )
        assert applied.exit_code == 0, applied.output + applied.stderr
    settle(srv)
    out = tmp_path / "r.html"

    result = project.run("status", str(project.root), "gajian", "--json", "--report", str(out))

    [b] = json.loads(result.stdout)["broadcasts"]
    assert (b["name"], b["kind"], b["lifecycle"]) == ("gajian", "recurring", None)
    assert [o["occurrence"] for o in b["occurrences"]] == ["2026-01-25", "2026-02-25"]
    assert all(o["states"] == {"DELIVRD": 1, "UNDELIVRD": 1} for o in b["occurrences"])
    assert b["funnel"] == {"planned": 4, "sent": 4, "delivered": 2, "failed": 2, "pending": 0}
    assert {r["occurrence"] for r in b["retry"]} == {"2026-01-25", "2026-02-25"}
    text = project.run("status", str(project.root), "--no-refresh").stdout
    rows = [line.split() for line in text.splitlines()]
    assert rows[0] == ["gajian", "recurring,", "2", "occurrences"]
    assert ["2026-01-25", "2", "2", "1", "1", "0"] in rows
    assert ["2026-02-25", "2", "2", "1", "1", "0"] in rows
    section = read_report(out.read_text())["gajian"]
    assert section.kind == "recurring"
    assert section.occurrences == {
        day: {"planned": 2, "sent": 2, "delivered": 1, "failed": 1, "pending": 0}
        for day in ("2026-01-25", "2026-02-25")
    }


def test_broadcast_gone_from_the_spec_is_still_shown_and_said_so(
    sent: tuple[Project, SandboxServer],
) -> None:
    project, _ = sent
    (project.root / "groups" / "zz-broadcasts.yaml").write_text("")

    text = project.run("status", str(project.root), "--no-refresh")
    doc = json.loads(project.run("status", str(project.root), "--no-refresh", "--json").stdout)

    assert text.stdout.splitlines()[0].split() == [BROADCAST, "not", "in", "the", "spec"]
    [b] = doc["broadcasts"]
    assert (b["kind"], b["lifecycle"], b["funnel"]["planned"]) == (None, None, 8)


def test_a_spec_that_does_not_load_leaves_kinds_unknown_and_says_why(
    sent: tuple[Project, SandboxServer],
) -> None:
    project, _ = sent
    (project.root / "groups" / "zz-broadcasts.yaml").write_text("kind: Broadcast\nname: [\n")

    result = project.run("status", str(project.root), "--no-refresh", "--json")

    assert result.exit_code == 0, result.output + result.stderr
    assert "warning: kinds unknown, the spec did not load: " in result.stderr
    doc = json.loads(result.stdout)
    assert doc["spec_problem"] and doc["broadcasts"][0]["kind"] is None
    assert doc["broadcasts"][0]["funnel"]["sent"] == 8


def test_report_of_a_project_that_sent_nothing_says_so(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "r.html"

    result = project.run("status", str(project.root), "--report", str(out))

    assert result.exit_code == 0, result.output + result.stderr
    assert read_report(out.read_text()) == {} and "No broadcasts sent yet" in out.read_text()
