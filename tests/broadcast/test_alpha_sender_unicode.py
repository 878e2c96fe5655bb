"""The gateway reference: "Alpha sender account, unicode is not supported by Telkomsel and XL".
On an account declared `gateway.sender: alpha`, a plan says how many Unicode messages go to
those operators (known from the number), before anything is paid for."""

from __future__ import annotations

from typing import Any

from tests.support.project import Project, group


def unicode_broadcast(project: Project, sender: str) -> None:
    project.write_groups(
        group(
            "Office",
            [
                {"name": "Tsel", "mobile": "081234567890"},  # Telkomsel
                {"name": "Xl", "mobile": "081712345678"},  # XL
                {"name": "Isat", "mobile": "085712345678"},  # Indosat
            ],
        )
    )
    (project.root / "broadcasts").mkdir(exist_ok=True)
    (project.root / "broadcasts" / "b.yaml").write_text(
        "kind: Broadcast\nname: salam\naudience:\n  contacts:\n    groups: [Office]\n"
        'template: "Selamat 😊"\n'
    )
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
        gateway={"endpoint": project.endpoint, "username": "demo", "sender": sender},
    )


def test_alpha_sender_plan_names_unicode_messages_that_operators_drop(
    project: Project, sandbox: Any
) -> None:
    unicode_broadcast(project, "alpha")

    plan = project.plan()

    assert "2 Unicode message(s) from an alpha sender (1 to Telkomsel, 1 to XL)" in plan.output


def test_numeric_sender_plan_says_nothing_about_it(project: Project, sandbox: Any) -> None:
    unicode_broadcast(project, "numeric")

    plan = project.plan()

    assert plan.exit_code == 2, plan.output
    assert "alpha sender" not in plan.output
