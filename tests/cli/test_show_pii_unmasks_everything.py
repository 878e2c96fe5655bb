"""--show-pii shows every line in full, the UNSAFE reasons too (masked by default, for CI), and
JSON keeps every field whatever the flag."""

from __future__ import annotations

import json

from smsync.sandbox import SandboxServer
from tests.support.numbers import number
from tests.support.project import Project, contact, group


def _long_broadcast(project: Project) -> None:
    project.write_groups(group("Sales", [contact(1)]))
    project.write_documents(
        "groups/zz-promo.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "promo",
                "audience": {"contacts": {"groups": ["Sales"]}},
                "template": "Halo {{ name }}, " + "promo besar " * 20,
                "max_segments_per_message": 1,
            }
        ],
    )


def test_show_pii_unmasks_the_unsafe_reasons(project: Project, sandbox: SandboxServer) -> None:
    _long_broadcast(project)

    masked = project.run("plan", str(project.root)).stdout  # not a terminal: masked
    shown = project.run("plan", str(project.root), "--show-pii").stdout
    markdown = project.run("plan", str(project.root), "--format", "markdown", "--show-pii")

    [masked_reason] = [line for line in masked.splitlines() if "UNSAFE" in line]
    [shown_reason] = [line for line in shown.splitlines() if "UNSAFE" in line]
    assert "max_segments_per_message" in masked_reason and number(1) not in masked_reason
    assert number(1) in shown_reason, shown_reason
    assert number(1) in markdown.stdout.split("**Unsafe:**")[1].splitlines()[0]


def test_plan_json_keeps_the_sample_numbers(project: Project, sandbox: SandboxServer) -> None:
    _long_broadcast(project)

    out = project.run("plan", str(project.root), "--format", "json").stdout

    [promo] = json.loads(out)["broadcasts"]
    [sample] = promo["samples"]
    assert sample["to"] == promo["recipients"][0]["number"]
    [finding] = promo["findings"]
    assert finding["numbers"] == [sample["to"]]
