"""The other gateway accounts of a project (``gateway.accounts``) during one session.

Messages to numbers a rule matches go through another account of the gateway (plans set each
recipient's ``account``; smsync.broadcast.routes records it for exactly-once). This module
opens those accounts' clients when first needed (closed with the session) and checks each
account's balance against what the due sends cost through it. The phonebook, group calls and
everything else always use the main account.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsync.broadcast.model import BroadcastPlan
from smsync.broadcast.routes import Route, route_of, same_account
from smsync.endpoint import open_client, public_endpoint
from smsync.errors import SmsyncError
from smsync.gateway.client import Client
from smsync.gateway.errors import InvalidCredentials
from smsync.safety import Finding, Rule
from smsync.spec.project import Account, Credentials, Project, account_credentials


def needed_by_account(broadcasts: Iterable[BroadcastPlan]) -> Counter[str]:
    """Segments the due sends need, by account ("": the main one). WhatsApp with SMS fallback
    counts the worst case, every message falling back to SMS."""
    needed: Counter[str] = Counter()
    for b in broadcasts:
        if not b.due:
            continue
        if not b.accounts:
            needed[""] += max(b.totals.segments, b.totals.fallback_segments_max)
            continue
        fallback = b.channel == "whatsapp" and b.fallback == "sms"
        for r in b.recipients:
            if r.state == "to_send":
                needed[r.account] += max(r.segments, r.sms_segments if fallback else 0)
    return needed


@dataclass
class AccountClients:
    """The clients of ``project.accounts``, opened once each when first asked for."""

    project: Project
    main: Credentials
    credentials_file: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _open: dict[str, Client] = field(default_factory=dict)
    _stack: ExitStack = field(default_factory=ExitStack)

    def __bool__(self) -> bool:
        return bool(self.project.accounts)

    def declared(self, name: str) -> Account | None:
        return next((a for a in self.project.accounts if a.name == name), None)

    def client(self, account: Account) -> Client:
        if not self._open:
            self._check_distinct()
        if account.name not in self._open:
            creds = account_credentials(account, self.main, credentials_file=self.credentials_file)
            self._open[account.name] = self._stack.enter_context(
                open_client(creds, base_dir=self.project.root, **self.options)
            )
        return self._open[account.name]

    def senders(self, broadcasts: Iterable[BroadcastPlan]) -> dict[Route, Client]:
        """The clients of the declared accounts the plans' messages go through."""
        used = {r.account for b in broadcasts for r in b.recipients if r.account}
        return {route_of(a): self.client(a) for name in sorted(used) if (a := self.declared(name))}

    def sender_for(self, route: Route) -> Client | None:
        """The client of the account ``route`` recorded, if still declared (by any name)."""
        account = same_account(route, self.project.accounts)
        return self.client(account) if account is not None else None

    def _check_distinct(self) -> None:
        """Each declared account is another account than the main one and than the others:
        one account under two names would have its balance checked twice against half the
        cost, and a message of unknown outcome could not be told whose it is."""
        main = (self.main.username, public_endpoint(self.main.endpoint))
        seen: dict[tuple[str, str], str] = {}
        for a in self.project.accounts:
            its = (a.username, public_endpoint(a.endpoint or self.main.endpoint))
            what = f"{a.where}: gateway.accounts '{a.name}'"
            if its == main:
                raise SmsyncError(
                    f"{what} is the main account ({a.username} at the same endpoint): leave it "
                    "out (the messages no rule routes go through the main account already)"
                )
            if its in seen:
                raise SmsyncError(
                    f"{what} is the same account as '{seen[its]}' ({a.username} at the same "
                    f"endpoint): give its operators and prefixes to '{seen[its]}'"
                )
            seen[its] = a.name

    def check_credit(self, broadcasts: list[BroadcastPlan]) -> tuple[list[str], list[Finding]]:
        """Each other account's balance against what the due sends need through it: lines
        for the plan, and a finding per account that cannot pay (refused even with --force,
        as the main account's)."""
        lines: list[str] = []
        found: list[Finding] = []
        for name, needed in sorted(needed_by_account(broadcasts).items()):
            account = self.declared(name) if name else None
            if account is None or not needed:
                continue
            what = f"account '{name}' ({account.username})"
            client = self.client(account)  # a missing password is an error, not "unknown"
            try:
                balance = client.credits()
            except InvalidCredentials as exc:
                # a definite answer, not an unknown balance: every send through it would fail
                raise SmsyncError(f"{account.where}: gateway.accounts '{name}': {exc}") from None
            except SmsyncError as exc:
                lines.append(
                    f"Credit of {what}: balance unknown (the gateway did not answer it: {exc}); "
                    f"its sends need {needed} segments."
                )
                continue
            short = needed > balance
            lines.append(
                f"Credit of {what}: balance {balance:f}{' (not enough)' if short else ''}; "
                f"its sends need {needed} segments."
            )
            if short:
                found.append(
                    Finding(
                        Rule.CREDIT,
                        f"the sends through {what} need {needed} segments but its balance is "
                        f"{balance:f}: top it up first (refused even with --force: the gateway "
                        "would stop at 1708 part-way)",
                    )
                )
        return lines, found

    def close(self) -> None:
        self._stack.close()
