"""The Manager ties the layers together for one project directory (as octoDNS's Manager does):

    spec (smsync.yaml + spec files) -> desired state -> Plan -> apply -> gateway

The CLI is a thin layer over this class; library users can drive it the same way::

    with Manager(Path("phonebook")).session() as session:
        plan = session.plan()
        if plan.has_changes:
            session.apply(plan, force=False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smsync.apply import Executor, Refused, apply_lock, check_plan
from smsync.apply.executor import ApplyResult, Outcome
from smsync.broadcast import Ledger, Progress, SendReport, plan_broadcasts, send_broadcasts
from smsync.endpoint import open_client
from smsync.gateway.client import Client
from smsync.gateway.errors import SmsyncError
from smsync.plan.fetch import ListingShifted, list_group
from smsync.plan.model import Op, Plan
from smsync.plan.planner import PlanOptions, make_plan, read_fingerprint, select_groups
from smsync.spec.loader import load_desired_state
from smsync.spec.model import DesiredState
from smsync.spec.project import Credentials, Project, load_project, resolve_credentials


@dataclass
class GatewayOptions:
    """How to reach the gateway; None falls back to the environment, then smsync.yaml."""

    endpoint: str | None = None
    username: str | None = None
    password_file: Path | None = None
    credentials_file: Path | None = None


@dataclass
class Manager:
    root: Path
    gateway: GatewayOptions = field(default_factory=GatewayOptions)
    project: Project = field(init=False)
    _desired: DesiredState | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.project = load_project(self.root)

    def desired(self) -> DesiredState:
        if self._desired is None:
            self._desired = load_desired_state(self.project)
        return self._desired

    def credentials(self) -> Credentials:
        g = self.gateway
        return resolve_credentials(
            self.project,
            endpoint=g.endpoint,
            username=g.username,
            password_file=g.password_file,
            credentials_file=g.credentials_file,
        )

    @contextmanager
    def session(self, **client_options: Any) -> Iterator[Session]:
        creds = self.credentials()
        with open_client(creds, base_dir=self.project.root, **client_options) as client:
            yield Session(self, client, creds)


@dataclass
class Session:
    """A Manager with an open gateway client."""

    manager: Manager
    client: Client
    credentials: Credentials

    @property
    def project(self) -> Project:
        return self.manager.project

    def plan(
        self, options: PlanOptions | None = None, *, broadcasts: list[str] | None = None
    ) -> Plan:
        """The phonebook plan plus the broadcasts' plans.

        ``broadcasts``: names of the broadcasts to plan (None: all of them, []: none).
        """
        options = dataclasses.replace(options or PlanOptions())
        if options.page_size is None:
            options.page_size = self.project.page_size
        desired = self.manager.desired()
        plan = make_plan(
            self.client,
            desired.groups,
            region=self.project.region,
            safety=self.project.safety,
            options=options,
            endpoint=_public_endpoint(self.credentials.endpoint),
            username=self.credentials.username,
        )
        chosen = [b for b in desired.broadcasts if broadcasts is None or b.name in broadcasts]
        # Declared groups outside this plan's --target/--exclude scope keep their current
        # members on the gateway: a group send reaches whoever is there, so its recipients
        # (and the suppression check) come from the gateway for those groups.
        in_scope = select_groups(desired.groups, options.targets, options.excludes)
        unknown = sorted(set(broadcasts or []) - {b.name for b in desired.broadcasts})
        if unknown:
            raise SmsyncError(f"no broadcast named {', '.join(unknown)} in the spec")
        if chosen:
            # Recipients come from the desired state (the phonebook as apply will leave it);
            # only groups the spec does not declare are listed on the gateway.
            with self._ledger(read_only=True) as ledger:
                applied = {g.name.casefold() for g in in_scope}
                plan.broadcasts = plan_broadcasts(
                    dataclasses.replace(desired, broadcasts=chosen),
                    self.project,
                    ledger=ledger,
                    remote_members=lambda g: list_group(
                        self.client, g, page_size=self.project.page_size
                    ),
                    live_groups=frozenset(
                        g.name.casefold() for g in desired.groups
                        if g.name.casefold() not in applied
                    ),
                )
        return plan

    @contextmanager
    def _ledger(self, *, read_only: bool = False) -> Iterator[Ledger]:
        path = self.project.ledger_path
        # Planning must not create files: with no ledger yet, nothing has been sent.
        target: Path | str = ":memory:" if read_only and not path.exists() else path
        with Ledger(target) as ledger:
            # Planning only checks whose ledger this is; sending (apply) claims it.
            ledger.bind_gateway(gateway_identity(self.credentials), claim=not read_only)
            yield ledger

    def check_fresh(self, plan: Plan, *, concurrency: int = 4) -> None:
        """Refuse (stale) when the remote no longer reads as it did when ``plan`` was made."""
        try:
            fingerprint = read_fingerprint(self.client, plan, concurrency=concurrency)
        except ListingShifted as exc:
            raise Refused("stale", f"{exc}; nothing was written") from None
        if fingerprint != plan.fingerprint:
            raise Refused(
                "stale",
                "the remote phonebook changed since this plan was made (or changed while it was "
                "being read); nothing was written: run plan again",
            )

    def apply(
        self,
        plan: Plan,
        *,
        force: bool = False,
        concurrency: int = 4,
        rate: float | None = None,
        resend_unknown: bool = False,
        on_done: Callable[[Outcome], None] | None = None,
        on_sent: Callable[[Progress], None] | None = None,
    ) -> ApplyOutcome:
        """Check, lock, verify freshness, change the phonebook, then send the broadcasts.

        Raises Refused (unsafe or stale: nothing written) or ApplyLocked.
        """
        self.check_applicable(plan, force=force)
        with apply_lock(self.project.root):
            self.check_fresh(plan, concurrency=concurrency)
            executor = Executor(
                self.client,
                concurrency=concurrency,
                rate=rate,
                region=self.project.region,
                on_done=on_done,
            )
            outcome = ApplyOutcome(phonebook=executor.run(plan))
            if not plan.broadcasts:
                return outcome
            if not outcome.phonebook.ok:
                # A broadcast to a group the failed changes were filling would miss people.
                outcome.broadcasts_skipped = (
                    "broadcasts not sent because phonebook changes failed; run apply again"
                )
                return outcome
            with self._ledger() as ledger:
                outcome.broadcasts = send_broadcasts(
                    self.client,
                    plan.broadcasts,
                    ledger,
                    concurrency=concurrency,
                    rate=rate,
                    force=force,
                    resend_unknown=resend_unknown,
                    on_progress=on_sent,
                )
            return outcome


    def check_applicable(self, plan: Plan, *, force: bool = False) -> None:
        """Everything apply refuses without reading the remote (raises Refused)."""
        check_plan(plan, force=force)
        self._check_protect_flags(plan)
        for b in plan.broadcasts:
            # (a group send that already went out is history: nothing left to refuse)
            if b.kind == "group" and b.due and b.totals.suppressed and not b.totals.already_sent:
                raise Refused(
                    "unsafe",
                    f"broadcast {b.name}: its group send would reach {b.totals.suppressed} "
                    "suppressed member(s), which --force cannot allow: send per contact "
                    "(audience.contacts) instead",
                )
        unsafe = [b for b in plan.broadcasts if b.unsafe]
        if unsafe and not force:
            reasons = "; ".join(f"{b.name}: {r}" for b in unsafe for r in b.reasons)
            raise Refused("unsafe", f"unsafe broadcast(s) ({reasons}); --force sends them anyway")
        self._check_same_target(plan)

    def _check_protect_flags(self, plan: Plan) -> None:
        """The spec's `protect: true`, not only the plan's own flags, decides: a plan file
        edited by hand (or made from an older spec) cannot delete what the spec protects."""
        desired = self.manager.desired()
        protected_groups = {g.name.casefold() for g in desired.groups if g.protect}
        protected_contacts = {
            (g.name.casefold(), c.mobile) for g in desired.groups for c in g.contacts if c.protect
        }
        deleted = {a.id for a in plan.actions if a.op is Op.DELETE_CONTACT}
        for action in plan.actions:
            if action.op is Op.DELETE_GROUP:
                hit = action.group.casefold() in protected_groups
            elif action.op is Op.DELETE_CONTACT and action.before is not None:
                group = action.before.group.casefold()
                hit = group in protected_groups
                if (group, action.before.number) in protected_contacts:
                    # Only an extra duplicate row may go, and only while the row kept stays.
                    kept = _duplicate_of(action.reason)
                    hit = hit or kept is None or kept in deleted
            else:
                continue
            if hit:
                raise Refused(
                    "unsafe",
                    f"the plan deletes #{action.id} in {action.group}, which the spec protects "
                    "(`protect: true`); refused even with --force",
                )

    def _check_same_target(self, plan: Plan) -> None:
        here = (_public_endpoint(self.credentials.endpoint), self.credentials.username)
        if plan.endpoint and (plan.endpoint, plan.username) != here:
            raise Refused(
                "stale",
                f"this plan was made for {plan.username}@{plan.endpoint}, not for "
                f"{here[1]}@{here[0]}; nothing was written",
            )


@dataclass
class ApplyOutcome:
    phonebook: ApplyResult
    broadcasts: SendReport | None = None
    broadcasts_skipped: str = ""

    @property
    def ok(self) -> bool:
        sends_ok = self.broadcasts is None or self.broadcasts.ok
        return self.phonebook.ok and sends_ok and not self.broadcasts_skipped


def gateway_identity(creds: Credentials) -> str:
    """``user@endpoint`` (no secrets): which account a ledger's sends went through."""
    return f"{creds.username}@{_public_endpoint(creds.endpoint)}"


def _duplicate_of(reason: str) -> int | None:
    """The id kept, from a delete's reason ``duplicate of #ID``."""
    prefix = "duplicate of #"
    if reason.startswith(prefix) and reason[len(prefix):].isdigit():
        return int(reason[len(prefix):])
    return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _public_endpoint(endpoint: str) -> str:
    """The endpoint as shown in plans and ledgers: scheme, host, port and path only (never a
    query or userinfo), normalised so that spellings of one URL compare equal
    (``HTTPS://GW.example:443/`` is ``https://gw.example``)."""
    if "://" not in endpoint or endpoint.startswith("sandbox://"):
        return endpoint
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return endpoint.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host += f":{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"
