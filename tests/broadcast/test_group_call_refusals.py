"""A group call (via: group-call) messages every row the group holds on the gateway, including
a row smsync cannot parse (a gateway printing a stored separator raw splits its record) and a
second row of the same number. The first is never checked against the suppression list, the
second would message someone twice: either refuses the call, even with --force."""

from __future__ import annotations

from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.numbers import gw, number
from tests.support.project import Project
from tests.support.sandbox import USERNAME, messages


def test_group_call_is_refused_when_a_member_record_cannot_be_parsed(
    make_sandbox: Callable[..., SandboxServer], make_project: Callable[[SandboxServer], Project]
) -> None:
    sandbox = make_sandbox(raw_fields=True)  # values listed as stored, separators included
    project = make_project(sandbox)
    sandbox.store.add_contact(USERNAME, name="Ada", mobile=gw(1), group="Pelanggan")
    # a suppressed member whose name holds the field separator: its record does not parse
    sandbox.store.add_contact(USERNAME, name="Budi\x80Santoso", mobile=gw(2), group="Pelanggan")
    (project.root / "suppress.txt").write_text(number(2) + "\n")
    project.write_groups()
    doc = {"kind": "Broadcast", "name": "promo", "audience": {"group": "Pelanggan"}}
    project.write_documents(
        "broadcasts/b.yaml", [{**doc, "via": "group-call", "template": "Promo akhir tahun"}]
    )
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"], suppression_file="suppress.txt"
    )

    plan = project.plan()
    assert "cannot be read" in plan.output, plan.output
    applied = project.apply("--force")
    assert applied.exit_code == 3, applied.output
    assert messages(sandbox) == []


def test_group_call_is_refused_when_a_number_is_in_the_group_twice(
    project: Project, sandbox: SandboxServer
) -> None:
    # one person, two rows (08… and 628…): SendSMSGroup messages each row
    for mobile in (number(1), gw(1), gw(2)):
        sandbox.store.add_contact(USERNAME, name="Ada", mobile=mobile, group="Pelanggan")
    project.write_groups()
    doc = {"kind": "Broadcast", "name": "promo", "audience": {"group": "Pelanggan"}}
    project.write_documents(
        "broadcasts/b.yaml", [{**doc, "via": "group-call", "template": "Promo akhir tahun"}]
    )
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"])

    applied = project.apply("--force")
    assert applied.exit_code == 3, applied.output
    assert "twice" in applied.output and "Traceback" not in applied.output
    assert messages(sandbox) == []
