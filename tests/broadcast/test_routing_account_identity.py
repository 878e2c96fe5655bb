"""gateway.accounts: the account a message went through is the account (username@endpoint), not the
name smsync.yaml gives it. A message of unknown outcome is repeated with its trxid only through
the account that saw it (a gateway deduplicates per account), whatever another project sharing
the state or a later smsync.yaml calls its accounts; an account declared twice, or the main one
declared again, is refused. Driven through the real CLI against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.routing import (
    ENV,
    MAIN_SENT,
    XL,
    XL_PASSWORD,
    XL_USER,
    lost_through_xl,
    run,
    run_apply,
    run_plan,
    sent_by_account,
    setup,
    xl_account,
)
from tests.support.sandbox import USERNAME

# --- the account a message went through is the account, not its name ------------------------


def test_an_unknown_outcome_is_not_repeated_through_an_account_renamed_onto_another_user(
    project: Project, sandbox: SandboxServer
) -> None:
    lost_through_xl(project, sandbox)
    # the same name, another account: it never saw the trxid, so it would send it again
    sandbox.store.ensure_account("acme-xl-2", XL_PASSWORD, credit=100)
    setup(project, sandbox, [{**xl_account(), "username": "acme-xl-2"}])

    plan = run_plan(project, "--show-pii")
    again = run_apply(project)

    assert "acme-xl-2" not in sent_by_account(sandbox)
    assert "no longer declares" in plan.output, plan.output
    assert again.exit_code != 0


def test_a_second_project_sharing_the_state_does_not_repeat_through_its_own_same_named_account(
    project: Project, sandbox: SandboxServer, tmp_path: Path
) -> None:
    lost_through_xl(project, sandbox)
    sandbox.store.ensure_account("other-xl", XL_PASSWORD, credit=100)
    ledger = next(p for p in project.root.rglob("*") if p.suffix in (".db", ".sqlite"))
    (tmp_path / "second").mkdir()
    second = Project(tmp_path / "second", project.endpoint)
    setup(second, sandbox, [{**xl_account(), "username": "other-xl"}], state=f"local:{ledger}")

    second.run("apply", str(second.root), "--auto-approve", env=ENV)

    assert "other-xl" not in sent_by_account(sandbox)


def test_the_main_account_declared_again_as_another_account_is_refused(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [{**xl_account(), "username": USERNAME}])

    result = run_plan(project)

    assert result.exit_code == 1, result.output
    assert "gateway.accounts 'xl-masking'" in result.output
    assert "is the main account" in result.output
    assert "Traceback" not in result.output


def test_two_accounts_that_are_one_account_are_refused(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(
        project,
        sandbox,
        [xl_account(), {**xl_account(operators=["Smartfren"]), "name": "sf"}],
    )

    result = run_plan(project)

    assert result.exit_code == 1, result.output
    assert "gateway.accounts 'sf'" in result.output
    assert "same account as 'xl-masking'" in result.output


def test_an_unknown_outcome_is_repeated_through_its_account_under_a_new_name(
    project: Project, sandbox: SandboxServer
) -> None:
    lost_through_xl(project, sandbox)
    setup(project, sandbox, [{**xl_account(), "name": "masking"}])

    again = run_apply(project)

    assert again.exit_code == 0, again.output
    # the same trxid through the same account: the gateway sent nothing twice
    assert sent_by_account(sandbox) == {USERNAME: sorted(MAIN_SENT), XL_USER: [XL]}
    assert run_plan(project, "--detailed-exitcode").exit_code == 0


def test_resend_unknown_goes_through_the_account_the_rules_give_now(
    project: Project, sandbox: SandboxServer
) -> None:
    lost_through_xl(project, sandbox)
    setup(project, sandbox, None)  # XL numbers now go through the main account

    again = run_apply(project, "--resend-unknown")
    status = run(project, "status", str(project.root), "--json")

    assert again.exit_code == 0, again.output
    # asked for: a new trxid through the main account (the first may have reached the phone)
    assert XL in sent_by_account(sandbox)[USERNAME]
    assert run_plan(project, "--detailed-exitcode").exit_code == 0
    assert status.exit_code == 0, status.output
    # its state is asked of the main account now (the record of acme-xl went with the resend)
    assert json.loads(status.stdout)["refreshed"]["errors"] == 0
