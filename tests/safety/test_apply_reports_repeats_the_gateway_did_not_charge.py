"""After a lost ledger, apply sends again with the same trxids; the gateway answers a repeated
trxid exactly as it answered the first send, and sends nothing. "6 sent" would then be false:
apply compares the balance before and after, and says how many segments were not charged —
messages the gateway had already sent."""

from __future__ import annotations

import json
import shutil
from typing import Any

from tests.support.broadcasts import write_contacts_broadcast
from tests.support.numbers import gw
from tests.support.project import Project, contact, group
from tests.support.sandbox import messages_to


def test_apply_after_a_lost_ledger_says_the_gateway_had_already_sent_them(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(1, 7)]))
    write_contacts_broadcast(project)
    first = project.apply()
    assert first.exit_code == 0, first.output
    assert "Balance: 1000 → 994 (6 segments charged for the 6 accepted)" in first.output
    shutil.rmtree(project.root / ".smsync")  # the CI cache that held the ledger is gone

    again = project.run("apply", str(project.root), "--auto-approve", "--format", "json")

    assert again.exit_code == 0, again.output
    assert all(messages_to(sandbox, gw(i)) == 1 for i in range(1, 7))  # the gateway deduplicated
    balance = json.loads(again.stdout)["balance"]
    assert balance == {
        "before": "994",
        "after": "994",
        "segments_accepted": 6,
        "charged": "0",
        "not_charged": 6,
    }


def test_apply_text_names_uncharged_segments_as_already_sent(
    project: Project, sandbox: Any
) -> None:
    project.write_groups(group("Office", [contact(i) for i in range(1, 4)]))
    write_contacts_broadcast(project)
    assert project.apply().exit_code == 0
    shutil.rmtree(project.root / ".smsync")

    again = project.apply()

    assert again.exit_code == 0, again.output
    assert "Balance: 997 → 997: the gateway charged 0 of the 3 segments it accepted" in again.output
    assert "already sent" in again.output
