"""Masked plans read consistently: one form for every masked number, which fields changed
rather than "(hidden) → (hidden)", and the --show-pii hint once per plan."""

from __future__ import annotations

import re

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group


def masked_numbers(text: str) -> set[str]:
    return set(re.findall(r"\b\d{2,4}\*+\d{3}\b", text))


def test_every_masked_number_has_one_form(project: Project, sandbox: SandboxServer) -> None:
    project.write_groups(group("Sales", [contact(1)]))
    project.write_documents(
        "groups/zz-promo.yaml",
        [
            {
                "kind": "Broadcast",
                "name": "promo",
                "audience": {"contacts": {"groups": ["Sales"]}},
                "template": "Halo",
            }
        ],
    )

    result = project.run("plan", str(project.root))  # not a terminal: masked

    assert result.exit_code == 0, result.output
    forms = masked_numbers(result.stdout)
    assert len(forms) == 1, forms  # the contact line and the broadcast sample agree


def test_markdown_names_the_fields_that_changed_and_hints_once(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(
        group("Sales", [contact(1, desc="Gold"), contact(2, desc="Gold"), contact(3)])
    )
    assert project.apply().exit_code == 0
    project.write_groups(
        group(
            "Sales",
            [
                contact(1, desc="Silver"),
                contact(2, desc="Silver", address="Jl. Merdeka 1"),
                contact(3),
                contact(4, desc="Baru", address="Jl. Baru 2"),
            ],
        )
    )

    result = project.run("plan", str(project.root), "--format", "markdown")

    out = result.stdout
    assert "(hidden) → (hidden)" not in out
    assert "desc: changed" in out and "address: set" in out
    assert "Gold" not in out and "Silver" not in out and "Merdeka" not in out
    assert out.count("--show-pii") == 1
