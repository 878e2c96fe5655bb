"""A recurring broadcast's sends are recorded as NAME@DATE (the occurrence is part of the
message's identity). A broadcast literally named like one of its occurrences would share those
records: whichever went first would make the other look sent, and it would never go out. Such
a name is refused with one line naming the broadcast."""

from __future__ import annotations

from smsync.sandbox import SandboxServer
from tests.support.project import Project, contact, group
from tests.support.sandbox import messages


def test_broadcast_named_like_an_occurrence_of_a_recurring_one_is_refused(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Office", [contact(1, birth="1990-03-15")]))
    aud = {"group": "Office"}
    birthday = {"mode": "recurring", "schedule": {"on": "birth"}}
    docs = [
        {"kind": "Broadcast", "name": "ultah", "audience": aud, "template": "Selamat!", **birthday},
        {"kind": "Broadcast", "name": "ultah@2027-03-15", "audience": aud, "template": "Rapat"},
    ]
    project.write_documents("broadcasts/b.yaml", docs)
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])

    env = {"SMSYNC_NOW": "2027-03-15T10:00:00+07:00"}
    result = project.run("apply", str(project.root), "--auto-approve", env=env)
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.output.splitlines() if "ultah@2027-03-15" in x]
    assert "broadcasts/b.yaml" in line and "occurrence of recurring broadcast 'ultah'" in line
    assert "Traceback" not in result.output
    assert messages(sandbox) == []
