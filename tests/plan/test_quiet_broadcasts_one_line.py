"""A repository keeps every broadcast it ever sent: the plan must not grow a paragraph per
finished one. Broadcasts with nothing to send now share one summary line; those with sends,
warnings or something to say keep their own."""

from __future__ import annotations

from typing import Any

from tests.support.broadcasts import write_broadcasts
from tests.support.project import Project, contact, group


def announcement(name: str) -> dict[str, Any]:
    return {"name": name, "audience": {"contacts": {"groups": ["Office"]}}, "template": "Halo"}


def test_finished_broadcasts_share_one_summary_line(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1), contact(2)]))
    write_broadcasts(project, announcement("rapat-okt"), announcement("rapat-nov"))
    assert project.apply().exit_code == 0
    write_broadcasts(
        project, announcement("rapat-okt"), announcement("rapat-nov"), announcement("rapat-des")
    )

    text = project.plan().output
    markdown = project.run("plan", str(project.root), "--format", "markdown").output

    assert "Broadcast rapat-des (sms, per contact): 2 recipients: 2 to send" in text
    quiet = [line for line in text.splitlines() if "rapat-okt" in line or "rapat-nov" in line]
    assert quiet == [
        "Nothing to send now for 2 broadcasts: rapat-okt complete (2 sent); "
        "rapat-nov complete (2 sent)"
    ]
    assert "Broadcast rapat-okt" not in markdown and "2 broadcasts" in markdown


def test_a_single_finished_broadcast_keeps_its_headline(project: Project, sandbox: Any) -> None:
    project.write_groups(group("Office", [contact(1)]))
    write_broadcasts(project, announcement("rapat"))
    assert project.apply().exit_code == 0

    assert "Broadcast rapat (sms, per contact): complete (1 sent)" in project.plan().output
