"""Per-operator routing (`gateway.accounts`): messages to numbers a rule matches go through
another account of the gateway (public clients of this platform keep XL masking on its own
account). The plan says which account each broadcast's messages go through, the balance is
checked per account, the state records the account of each message, and exactly once holds
across accounts: a message whose outcome is unknown is repeated only through the account it
went to. Group calls and the phonebook stay on the main account. Driven through the real CLI
against the sandbox, which holds both accounts."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from smsync.sandbox import SandboxServer
from tests.support.project import Project
from tests.support.routing import (
    ISAT,
    TSEL_A,
    TSEL_B,
    XL,
    XL_USER,
    answers_lost,
    lost_through_xl,
    run_apply,
    run_plan,
    sent_by_account,
    setup,
    xl_account,
)
from tests.support.sandbox import USERNAME, messages, remote_groups

SCHEMA = json.loads(resources.files("smsync.schemas").joinpath("plan.schema.json").read_text())


def test_plan_shows_which_account_each_broadcasts_messages_go_through(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])

    text = run_plan(project, "--show-pii")
    data = json.loads(run_plan(project, "--format", "json").stdout)

    assert "  accounts: main 3 (3 segments) · xl-masking 1 (1 segment)" in text.output
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    (b,) = data["broadcasts"]
    assert b["accounts"] == {
        "main": {"messages": 3, "segments": 3, "unicode": 0},
        "xl-masking": {"messages": 1, "segments": 1, "unicode": 0},
    }
    assert {r["mobile"]: r["account"] for r in b["recipients"]}[XL] == "xl-masking"


def test_apply_sends_the_matched_numbers_through_the_other_account(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account(prefixes=["+62817"])])

    result = run_apply(project)

    assert result.exit_code == 0, result.output
    assert sent_by_account(sandbox) == {USERNAME: [TSEL_A, TSEL_B, ISAT], XL_USER: [XL]}
    # the phonebook is the main account's: nothing was written to the other one
    assert remote_groups(sandbox) == ["Office"]
    assert not [c for c in sandbox.store.snapshot()["contacts"] if c["account"] == XL_USER]


def test_a_message_sent_through_the_other_account_is_not_sent_again_without_it(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    assert run_apply(project).exit_code == 0
    setup(project, sandbox, None)  # routing dropped: XL numbers would now go through main

    plan = run_plan(project, "--show-pii", "--detailed-exitcode")
    again = run_apply(project)

    assert plan.exit_code == 0, plan.output  # nothing to send
    assert again.exit_code == 0, again.output
    assert sent_by_account(sandbox) == {USERNAME: [TSEL_A, TSEL_B, ISAT], XL_USER: [XL]}


def test_a_message_of_unknown_outcome_is_repeated_through_the_account_it_went_to(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    answers_lost(sandbox, True)
    first = run_apply(project)
    assert first.exit_code != 0, first.output
    assert sent_by_account(sandbox)[XL_USER] == [XL]
    answers_lost(sandbox, False)
    # the rule no longer matches XL: a new message would go through main, but this one
    # may have gone out through xl-masking, whose trxid memory is the only deduplication
    setup(project, sandbox, [xl_account(operators=["Smartfren"])])

    plan = run_plan(project, "--format", "json")
    again = run_apply(project)

    (b,) = json.loads(plan.stdout)["broadcasts"]
    assert {r["mobile"]: r["account"] for r in b["recipients"]}[XL] == "xl-masking"
    assert again.exit_code == 0, again.output
    assert sent_by_account(sandbox) == {USERNAME: [TSEL_A, TSEL_B, ISAT], XL_USER: [XL]}
    final = run_plan(project, "--show-pii", "--detailed-exitcode")
    assert final.exit_code == 0, final.output


def test_a_message_of_unknown_outcome_through_an_undeclared_account_is_not_repeated(
    project: Project, sandbox: SandboxServer
) -> None:
    lost_through_xl(project, sandbox)
    setup(project, sandbox, None)

    plan = run_plan(project, "--show-pii")
    again = run_apply(project)

    assert "which gateway.accounts no longer declares" in plan.output
    assert "which gateway.accounts no longer declares" in again.output + (again.stderr or "")
    assert again.exit_code != 0
    assert XL not in sent_by_account(sandbox)[USERNAME]


def test_the_balance_is_checked_per_account(project: Project, sandbox: SandboxServer) -> None:
    setup(project, sandbox, [xl_account()], credit=0)

    plan = run_plan(project, "--show-pii")
    applied = run_apply(project)

    assert "Credit of account 'xl-masking' (acme-xl): balance 0 (not enough)" in plan.output
    assert "UNSAFE: the sends through account 'xl-masking' (acme-xl) need 1 segments" in (
        plan.output
    )
    assert applied.exit_code != 0
    assert messages(sandbox) == []


def test_a_group_call_cannot_be_split_by_operator(project: Project, sandbox: SandboxServer) -> None:
    setup(project, sandbox, [xl_account()], via="group-call")

    plan = run_plan(project, "--show-pii")

    assert plan.exit_code == 1
    assert "via: group-call is one SendSMSGroup call through the main account" in plan.output
    assert "1 for 'xl-masking'" in plan.output


def test_a_group_call_without_matching_members_goes_through_the_main_account(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account(operators=["Smartfren"])], via="group-call")

    result = run_apply(project)

    assert result.exit_code == 0, result.output
    assert set(sent_by_account(sandbox)) == {USERNAME}


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (xl_account(operators=["Xl"]), "gateway.accounts[0].operators[0]: unknown operator 'Xl'"),
        ({**xl_account(), "name": "main"}, "gateway.accounts[0].name"),
        ({"name": "x", "username": XL_USER}, "gateway.accounts[0]"),
        (xl_account(prefixes=["62817"]), "gateway.accounts[0].prefixes[0]"),
    ],
)
def test_a_bad_accounts_entry_is_one_error_naming_file_line_and_field(
    project: Project, sandbox: SandboxServer, entry: dict[str, Any], error: str
) -> None:
    setup(project, sandbox, [entry])

    result = run_plan(project)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "smsync.yaml:" in result.output and error in result.output, result.output


def test_one_operator_routed_to_two_accounts_is_refused(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account(), {**xl_account(), "name": "xl-2"}])

    result = run_plan(project)

    assert result.exit_code == 1
    assert "gateway.accounts[1].operators[0]: XL already goes through 'xl-masking'" in (
        result.output
    )


def test_a_missing_password_of_the_other_account_names_it(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])

    result = project.run("plan", str(project.root))

    assert result.exit_code == 1
    assert "gateway.accounts 'xl-masking': SMSYNC_XL_PASSWORD is not set" in result.output
