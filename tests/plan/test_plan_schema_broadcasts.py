"""The plan file's JSON Schema describes broadcasts in full (not as untyped objects): a plan
with group and per-contact sends, suppressed and already sent recipients validates, and a
broadcast missing what apply reads does not."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from tests.support.project import Project, contact, group

SCHEMA = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())


def _plan_with_broadcasts(project: Project) -> dict[str, Any]:
    project.config["spec"] = ["groups/*.yaml", "broadcasts/*.yaml"]
    (project.root / "suppression.txt").write_text("081230000003\n")
    project.write_config(suppression_file="suppression.txt")
    project.write_groups(
        group("Office", [contact(1, "Budi"), contact(2, "Siti")]),
        group("Sales", [contact(3, "Andi"), contact(4, "Rina")]),
    )
    project.write_documents(
        "broadcasts/b.yaml",
        [
            {"kind": "Broadcast", "name": "all", "audience": {"group": "Office"}, "template": "Hi"},
            {
                "kind": "Broadcast",
                "name": "each",
                "audience": {"contacts": {"groups": ["Sales"]}},
                "template": "Halo {{ name }} ✓",
            },
        ],
    )
    result = project.run("plan", str(project.root), "--format", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_plan_with_broadcasts_validates_against_the_full_schema(project: Project) -> None:
    data = _plan_with_broadcasts(project)
    assert {b["name"] for b in data["broadcasts"]} == {"all", "each"}
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    broadcast = SCHEMA["properties"]["broadcasts"]["items"]
    assert broadcast == {"$ref": "#/$defs/broadcast"}


@pytest.mark.parametrize("missing", ["totals", "recipients", "kind", "due"])
def test_a_broadcast_missing_what_apply_reads_fails_the_schema(
    project: Project, missing: str
) -> None:
    data = _plan_with_broadcasts(project)
    del data["broadcasts"][0][missing]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(data)
