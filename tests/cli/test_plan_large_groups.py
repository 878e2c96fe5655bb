"""`smsync plan` text summarises a group with very many actions (a count of the others);
--full and --format json have every one."""

from __future__ import annotations

import json

from smsync.plan.render import GROUP_SAMPLE, LARGE_GROUP
from tests.support.project import Project, contact, group

MANY = LARGE_GROUP + 30


def test_a_group_with_many_actions_shows_some_and_counts_the_rest(project: Project) -> None:
    project.write_groups(
        group("Besar", [contact(i) for i in range(MANY)]), group("Kecil", [contact(900)])
    )

    text = project.plan().output

    # Besar: "add group" and MANY adds, of which the first GROUP_SAMPLE actions are shown
    assert text.count("+ add Kontak") == (GROUP_SAMPLE - 1) + 1  # + Kecil's one, shown whole
    hidden = MANY + 1 - GROUP_SAMPLE
    assert f"... and {hidden} more actions in this group ({hidden} to add)" in text
    assert f"contacts: {MANY + 1} to add" in text  # the summary counts every action


def test_full_and_json_show_every_action_of_a_large_group(project: Project) -> None:
    project.write_groups(group("Besar", [contact(i) for i in range(MANY)]))

    full = project.plan("--full").output
    data = json.loads(project.plan("--format", "json").output)

    assert full.count("+ add Kontak") == MANY
    assert "more actions in this group" not in full
    assert sum(1 for a in data["actions"] if a["op"] == "add_contact") == MANY
