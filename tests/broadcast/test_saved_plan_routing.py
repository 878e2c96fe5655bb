"""A saved plan (or the plan apply shows before it asks) approves the account each message goes
through: apply plans again and refuses (StalePlan) when the routing changed since, or when the
file claims other accounts than the current spec gives; where a message goes is never read from
the file."""

from __future__ import annotations

import json

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.routing import run, saved_plan, setup, xl_account
from tests.support.sandbox import messages

# --- a saved plan is an approval of where each message goes ------------------------------------


def test_a_saved_plan_whose_routing_changed_since_is_refused_naming_the_accounts(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    out = saved_plan(project)
    setup(project, sandbox, [xl_account(operators=["Smartfren"])])  # XL now through main

    result = run(project, "apply", str(out), "--project", str(project.root))

    assert result.exit_code == 4, result.output
    assert (
        "messages to 1 number now go through the main account instead of account 'xl-masking'"
        in (result.output)
    )
    assert messages(sandbox) == []


def test_a_plan_file_edited_to_claim_another_account_sends_nothing(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    out = saved_plan(project)
    data = json.loads(out.read_text())
    for r in data["broadcasts"][0]["recipients"]:
        r["account"] = "xl-masking" if r["account"] == "" else ""
    out.write_text(json.dumps(data))

    result = run(project, "apply", str(out), "--project", str(project.root))

    assert result.exit_code == 4, result.output
    assert (
        "messages to 3 numbers now go through the main account instead of account 'xl-masking'"
        in (result.output)
    )
    assert messages(sandbox) == []
