"""Per-operator routing (`gateway.accounts`) for tests: the office whose numbers span four
operators, the XL masking account the sandbox holds beside the main one, and the project that
sends one broadcast to the office through them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from click.testing import Result

from smsync.sandbox import SandboxServer
from tests.support.project import Project, group
from tests.support.sandbox import USERNAME, messages

XL_USER = "acme-xl"
XL_PASSWORD = "xl-secret-pass"
ENV = {"SMSYNC_XL_PASSWORD": XL_PASSWORD}

TSEL_A, TSEL_B, XL, ISAT = "6281234567890", "6281334567890", "6281712345678", "6285712345678"
OFFICE = [
    {"name": "Tsel A", "mobile": "0" + TSEL_A[2:]},
    {"name": "Tsel B", "mobile": "0" + TSEL_B[2:]},
    {"name": "Xl", "mobile": "0" + XL[2:]},
    {"name": "Isat", "mobile": "0" + ISAT[2:]},
]
#: The office's numbers that no rule routes elsewhere: they go through the main account.
MAIN_SENT = [TSEL_A, TSEL_B, ISAT]


def xl_account(**rule: Any) -> dict[str, Any]:
    """The `gateway.accounts` entry of the XL masking account (by default: XL numbers)."""
    return {
        "name": "xl-masking",
        "username": XL_USER,
        "password_env": "SMSYNC_XL_PASSWORD",
        **(rule or {"operators": ["XL"]}),
    }


def salam(**fields: Any) -> dict[str, Any]:
    """The broadcast `salam` to every contact of Office, with ``fields`` changed or added."""
    return {
        "kind": "Broadcast",
        "name": "salam",
        "audience": {"contacts": {"groups": ["Office"]}},
        "template": "Halo semua",
        **fields,
    }


def setup(
    project: Project,
    sandbox: SandboxServer,
    accounts: list[dict[str, Any]] | None = None,
    *,
    via: str = "",
    credit: int = 1000,
    broadcast: dict[str, Any] | None = None,
    gateway_settings: dict[str, Any] | None = None,
    **config: Any,
) -> None:
    """The project: Office, the broadcast `salam` (changed by ``broadcast``), and the gateway
    with ``accounts``; the sandbox holds the XL account with ``credit``. ``config``: more
    smsync.yaml settings (e.g. ``state``)."""
    sandbox.store.ensure_account(XL_USER, XL_PASSWORD, credit=credit)
    project.write_groups(group("Office", OFFICE))
    doc = salam(**(broadcast or {}))
    if via:
        doc.update(audience={"group": "Office"}, via=via)
    project.write_documents("broadcasts/b.yaml", [doc])
    gateway: dict[str, Any] = {"endpoint": project.endpoint, "username": USERNAME}
    gateway.update(gateway_settings or {})
    if accounts is not None:
        gateway["accounts"] = accounts
    project.write_config(spec=["groups/*.yaml", "broadcasts/*.yaml"], gateway=gateway, **config)


def run(project: Project, *args: str) -> Result:
    """``smsync ARGS`` with the XL password in the environment, which no output may show."""
    result = project.run(*args, env=ENV)
    assert XL_PASSWORD not in result.output
    assert XL_PASSWORD not in (result.stderr or "")
    return result


def run_plan(project: Project, *args: str) -> Result:
    return run(project, "plan", str(project.root), *args)


def run_apply(project: Project, *args: str) -> Result:
    return run(project, "apply", str(project.root), "--auto-approve", *args)


def saved_plan(project: Project) -> Path:
    """The project's plan, saved to plan.json."""
    out = project.root / "plan.json"
    result = run_plan(project, "--out", str(out))
    assert result.exit_code in (0, 2), result.output
    return out


def sent_by_account(sandbox: SandboxServer) -> dict[str, list[str]]:
    """The numbers the sandbox sent to, sorted, by the account they went through."""
    out: dict[str, list[str]] = {}
    for m in messages(sandbox):
        out.setdefault(m["account"], []).append(m["mobile"])
    return {k: sorted(v) for k, v in out.items()}


def answers_lost(sandbox: SandboxServer, lost: bool) -> None:
    """From now on, every sendSMS is taken and its answer lost (or no longer)."""
    sandbox.config = dataclasses.replace(
        sandbox.config,
        fault_rate=1.0 if lost else 0.0,
        fault_kinds=("drop-after",),
        fault_paths=("sendsms",),
    )


def lost_through_xl(project: Project, sandbox: SandboxServer) -> None:
    """One apply whose answers are all lost: XL's message may have gone out through acme-xl."""
    setup(project, sandbox, [xl_account()])
    answers_lost(sandbox, True)
    run_apply(project)
    answers_lost(sandbox, False)
    assert sent_by_account(sandbox)[XL_USER] == [XL]
