"""gateway.accounts: the other accounts' clients send as the main one does (the project's gateway
settings, an embedded sandbox, WhatsApp with SMS fallback through the same account), and their
passwords end up in no output, plan file or state. Driven through the real CLI."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from smsync.sandbox import SandboxServer
from tests.support.project import Project, group
from tests.support.routing import (
    MAIN_SENT,
    OFFICE,
    TSEL_A,
    TSEL_B,
    XL,
    XL_PASSWORD,
    XL_USER,
    run,
    run_apply,
    salam,
    saved_plan,
    setup,
    xl_account,
)
from tests.support.sandbox import USERNAME, messages

WHATSAPP_THEN_SMS = {"channel": "whatsapp", "fallback": "sms"}


# --- the other accounts' clients ---------------------------------------------------------------


def test_the_other_accounts_send_with_the_projects_gateway_settings(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(
        project,
        sandbox,
        [xl_account()],
        broadcast={"template": "Café dibuka"},
        gateway_settings={"gsm7_as_type0": True},
    )

    result = run_apply(project)

    assert result.exit_code == 0, result.output
    types = {m["account"]: m["type"] for m in messages(sandbox)}
    assert types[XL_USER] == types[USERNAME] == 0


def test_an_embedded_sandbox_serves_the_other_account_too(project: Project) -> None:
    project.write_groups(group("Office", OFFICE))
    project.write_documents("broadcasts/b.yaml", [salam()])
    project.write_config(
        spec=["groups/*.yaml", "broadcasts/*.yaml"],
        gateway={
            "endpoint": "sandbox://gw.db",
            "username": USERNAME,
            "accounts": [{"name": "xl-masking", "username": XL_USER, "operators": ["XL"]}],
        },
    )

    result = project.run("apply", str(project.root), "--auto-approve")

    assert result.exit_code == 0, result.output
    with sqlite3.connect(project.root / "gw.db") as db:
        rows = db.execute("SELECT account, mobile FROM messages ORDER BY mobile").fetchall()
    assert sorted(rows) == sorted([(USERNAME, n) for n in MAIN_SENT] + [(XL_USER, XL)])


def test_whatsapp_falls_back_to_sms_through_the_account_it_was_routed_to(
    make_project: Callable[[SandboxServer], Project], make_sandbox: Callable[..., SandboxServer]
) -> None:
    sandbox = make_sandbox(no_wa_prefixes=["62817"])
    project = make_project(sandbox)
    setup(project, sandbox, [xl_account()], broadcast=WHATSAPP_THEN_SMS)
    result = run_apply(project)

    assert result.exit_code == 0, result.output
    by = {(m["account"], m["mobile"], m["channel"]) for m in messages(sandbox)}
    assert (XL_USER, XL, "sms") in by
    assert not any(m["account"] == USERNAME and m["mobile"] == XL for m in messages(sandbox))


def test_the_other_accounts_password_is_in_no_plan_file_and_no_state(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    out = saved_plan(project)
    assert run(project, "apply", str(out), "--project", str(project.root)).exit_code == 0

    for path in project.root.rglob("*"):
        if path.is_file():
            assert XL_PASSWORD.encode() not in path.read_bytes(), path


def test_an_account_without_whatsapp_does_not_stop_whatsapp_through_the_main_one(
    make_project: Callable[[SandboxServer], Project], make_sandbox: Callable[..., SandboxServer]
) -> None:
    # the XL masking account answers 1751 (no WhatsApp) to all its numbers, which come first:
    # its messages fall back to SMS, and the main account's still go by WhatsApp
    xls = ["6281712345671", "6281812345672", "6281912345673"]
    sandbox = make_sandbox(no_wa_prefixes=["62817", "62818", "62819"])
    project = make_project(sandbox)
    setup(project, sandbox, [xl_account()], broadcast=WHATSAPP_THEN_SMS)
    office = [{"name": f"Xl {i}", "mobile": "0" + n[2:]} for i, n in enumerate(xls)] + OFFICE[:2]
    project.write_groups(group("Office", office))

    result = run_apply(project, "--concurrency", "1")

    assert result.exit_code == 0, result.output
    by = sorted((m["account"], m["mobile"], m["channel"]) for m in messages(sandbox))
    assert by == sorted(
        [(XL_USER, n, "sms") for n in xls] + [(USERNAME, n, "whatsapp") for n in (TSEL_A, TSEL_B)]
    )


def test_a_wrong_password_of_the_other_account_refuses_before_any_message(
    project: Project, sandbox: SandboxServer
) -> None:
    setup(project, sandbox, [xl_account()])
    wrong = {"SMSYNC_XL_PASSWORD": "wrong-secret-xyz"}

    plan = project.run("plan", str(project.root), env=wrong)
    applied = project.run("apply", str(project.root), "--auto-approve", env=wrong)

    for result in (plan, applied):
        assert result.exit_code == 1, result.output
        assert "gateway.accounts 'xl-masking'" in result.output
        assert "1702 invalid username or password" in result.output
        assert "wrong-secret-xyz" not in result.output
    assert messages(sandbox) == []
