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
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smsync import account
from smsync.broadcast.accounts import AccountClients, needed_by_account
from smsync.broadcast.schedule import clock
from smsync.endpoint import SANDBOX_SCHEME, is_sandbox, open_client, public_endpoint
from smsync.errors import SmsyncError
from smsync.gateway.client import Client
from smsync.gateway.errors import GatewayError, ProtocolError, TransportError
from smsync.gateway.models import BadRecord, Contact
from smsync.gateway.names import group_key
from smsync.gateway.paging import PageSizer, read_listing
from smsync.numbers import try_normalize
from smsync.plan.fetch import DEFAULT_PAGE_SIZE, ListingShifted, read_by_id
from smsync.plan.model import CreditCheck, PhonebookSafety, Plan, ReadStats, Strategy
from smsync.plan.planner import PlanOptions, make_plan, select_groups
from smsync.plan.search import search_number
from smsync.safety import (
    StalePlan,
    check_in_project,
    check_same_plan,
    check_target,
    credit_finding,
    findings,
    raise_if_unsafe,
    remembered_protection_findings,
)
from smsync.spec.loader import SpecLoad, load_suppression, start_desired_state
from smsync.spec.model import BroadcastSpec, DesiredState
from smsync.spec.project import Credentials, Project, load_project, resolve_credentials
from smsync.state import Backend, LockInfo, Record, StateError, Store, open_backend
from smsync.state.protection import CONTACT, GROUP, Protected, remember, remembered

# What only apply, import, status or broadcasts need is imported where it is used: a plan of
# the phonebook alone does not load the executor, the importer, the ledger or jinja2 (start-up
# is a visible part of every command; see the README's Performance section).
if TYPE_CHECKING:
    from smsync.apply.executor import ActionOutcome, ApplyResult
    from smsync.broadcast.charge import Charge
    from smsync.broadcast.deliveries import BroadcastStatus
    from smsync.broadcast.ledger import Ledger
    from smsync.broadcast.model import BroadcastPlan
    from smsync.broadcast.send import SendProgress, SendReport
    from smsync.broadcast.status import RefreshStats
    from smsync.importer import ImportOptions, ImportResult
    from smsync.importer import Progress as ImportProgress


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
    _load: SpecLoad | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.project = load_project(self.root)

    def desired(self) -> DesiredState:
        if self._desired is None:
            self._desired = self.spec_load().finish()
        return self._desired

    def spec_load(self) -> SpecLoad:
        """The spec's documents read, its contacts files not yet (see SpecLoad): what a plan
        needs before it reads the gateway, while those files are read."""
        if self._load is None:
            self._load = start_desired_state(self.project)
        return self._load

    def state(self, url: str | None = None) -> Backend:
        """The state backend (``url``, else SMSYNC_STATE, ``state:``, ``ledger:``); not opened
        until used."""
        return open_backend(url or self.project.state_url(), self.project.root)

    def credentials(self) -> Credentials:
        g = self.gateway
        return resolve_credentials(
            self.project,
            endpoint=g.endpoint,
            username=g.username,
            password_file=g.password_file,
            credentials_file=g.credentials_file,
        )

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """The Client options smsync.yaml sets (``gateway:``), with ``overrides`` on top."""
        settings: dict[str, Any] = {
            "gsm7_as_type0": self.project.gsm7_as_type0,
            "md5_charset": self.project.md5_charset,
        }
        if self.project.timeout is not None:
            timeout = self.project.timeout
            settings.update(read_timeout=timeout, connect_timeout=min(timeout, 5.0))
        return {**settings, **overrides}

    @contextmanager
    def session(self, **client_options: Any) -> Iterator[Session]:
        try:
            creds = self.credentials()
        except SmsyncError:
            if self._load is not None:
                self.desired()  # a spec being loaded reports its problems first, as it did
            raise
        options = self.client_options(**client_options)
        # the other accounts send with the same settings (gsm7_as_type0, timeouts...)
        others = AccountClients(self.project, creds, self.gateway.credentials_file, options)
        with open_client(creds, base_dir=self.project.root, **options) as client, closing(others):
            yield Session(self, client, creds, others)

    def import_phonebook(
        self, options: ImportOptions, progress: ImportProgress | None = None
    ) -> ImportResult:
        """Write spec files from the remote phonebook (see :mod:`smsync.importer`)."""
        from smsync.importer import import_phonebook, progress_hook

        hook = progress_hook(progress) if progress is not None else None
        with self.session(on_result=hook) as session:
            return import_phonebook(session.client, self.project, options, progress)

    def status(
        self, broadcast: str | None = None, *, refresh: bool = True, concurrency: int = 8
    ) -> Status:
        """Delivery counts by state for each broadcast in the ledger (or ``broadcast`` alone).

        With ``refresh``, messages without a final state are first asked of the gateway
        (Report.aspx, ``concurrency`` requests at once); without it, no gateway and no
        credentials are needed. Never creates a ledger, nor claims one for this gateway.
        """
        from smsync.broadcast.deliveries import split_key
        from smsync.broadcast.ledger import Ledger
        from smsync.broadcast.status import RefreshStats, ledger_status, refresh_status

        state = self.state()
        path = state.where
        if not state.exists:
            raise SmsyncError(f"no ledger at {path}: no broadcast has been sent yet")
        with Ledger(state) as ledger:
            names = [broadcast] if broadcast else None
            if broadcast:
                # a recurring broadcast's name stands for all its occurrences
                names = [k for k in ledger.broadcasts() if split_key(k)[0] == broadcast] or [
                    k for k in ledger.broadcasts() if k == broadcast
                ]
                if not names:
                    raise SmsyncError(f"broadcast '{broadcast}' is not in the ledger {path}")
            if not refresh:
                return self._status(ledger, ledger_status(ledger, names))
            creds = self.credentials()
            # Before the client opens: the reports of one account are never asked of another.
            identity = gateway_identity(creds, self.project.root)
            ledger.bind_gateway(identity, claim=False, formerly=earlier_identity(identity))
            stats = RefreshStats()
            options = self.client_options(pool_size=concurrency)
            # a message routed through another account is asked of that account (msgids are
            # each account's own); one whose account is no longer declared is not asked
            others = AccountClients(self.project, creds, self.gateway.credentials_file, options)
            with (
                open_client(creds, base_dir=self.project.root, **options) as client,
                closing(others),
            ):
                counts = refresh_status(
                    client,
                    ledger,
                    names,
                    concurrency=concurrency,
                    stats=stats,
                    via=others.sender_for,
                )
            return self._status(ledger, counts, refreshed=stats)

    def _status(
        self, ledger: Ledger, counts: dict[str, Counter[str]], refreshed: RefreshStats | None = None
    ) -> Status:
        """``counts`` with each broadcast's kind, lifecycle and deliveries. The spec gives the
        kinds; a spec that does not load leaves them unknown (and says why) rather than hide
        what was sent."""
        from smsync.broadcast.status import broadcast_statuses

        specs: dict[str, BroadcastSpec] = {}
        suppression: frozenset[str] = frozenset()
        problem = None
        try:
            specs = {b.name: b for b in self.desired().broadcasts}
            suppression = load_suppression(self.project)
        except SmsyncError as exc:
            problem = str(exc).splitlines()[0]
        found = broadcast_statuses(ledger, list(counts), specs, suppression, clock())
        return Status(counts, refreshed, found, problem)

    # ---- the account (`smsync account ...`) ----------------------------------------------

    def balance(self) -> account.Balance:
        """The account's credits (creditsleft.aspx)."""
        with self.session() as session:
            return account.balance(session.client, session.credentials)

    def change_password(self, new_password: str) -> account.PasswordChanged:
        """Change the account's password (ChangePassword.aspx) and the credentials file it
        came from; see smsync.account for the three outcomes."""
        creds = self.credentials()
        return account.change_password(
            creds,
            new_password,
            lambda **hooks: open_client(
                creds, base_dir=self.project.root, **self.client_options(**hooks)
            ),
            named_file=self.gateway.credentials_file,
        )

    # ---- the state (`smsync state ...`) --------------------------------------------------

    def state_view(self) -> StateView:
        """What the state records, for ``smsync state show``; creates nothing."""
        with self.state() as backend:
            if not backend.exists:
                return StateView(backend.where, backend.LOCK_SCOPE, None, [], [], [])
            store = Store(backend, read_only=True)
            gateway = store.db.execute("SELECT value FROM meta WHERE key='gateway'").fetchone()
            sends = store.db.execute(
                "SELECT broadcast, number, kind, state, msgid FROM sends ORDER BY broadcast, number"
            ).fetchall()
            return StateView(
                backend.where,
                backend.LOCK_SCOPE,
                None if gateway is None else str(gateway[0]),
                sends,
                sorted(remembered(store).values(), key=lambda p: p.key),
                backend.locks(),
            )

    def state_unlock(self, lock_id: str) -> str:
        """Break the lock ``lock_id`` (a dead run's); what was unlocked."""
        with self.state() as backend:
            info = backend.unlock(lock_id)
        return f"unlocked {info.id} of {info.account} (held by {info.who} since {info.since})"

    def state_forget(self, broadcast: str) -> int:
        """Delete what the state records of ``broadcast``: the next apply sends it again."""
        from smsync.broadcast.ledger import Ledger
        from smsync.broadcast.routes import forget_accounts

        with self.state() as backend:
            if not backend.exists:
                raise SmsyncError(f"no state at {backend.where}: nothing to forget")
            with Ledger(backend) as ledger:
                if broadcast not in ledger.broadcasts():
                    raise SmsyncError(
                        f"broadcast '{broadcast}' is not in the state {backend.where}"
                    )
                forget_accounts(ledger, broadcast)  # the accounts its messages went through
                return ledger.forget(broadcast)

    def state_migrate(self, to: str) -> int:
        """Copy the state to ``to`` under the source's lock, verify the copy row by row;
        the number of rows copied. The caller switches the setting."""
        from smsync.apply import apply_lock

        with self.state() as source, self.state(to) as target:
            if not source.exists:
                raise SmsyncError(f"no state at {source.where}: nothing to migrate")
            store = Store(source, read_only=True)
            bound = store.db.execute("SELECT value FROM meta WHERE key='gateway'").fetchone()
            # the lock of the account the state belongs to: no apply writes during the copy
            with apply_lock(source, str(bound[0]) if bound else "unbound"):
                records = sorted(Store(source, read_only=True).records(), key=_record_key)
                target.append(records)
            copied = sorted(Store(target, read_only=True).records(), key=_record_key)
            if [r.to_json() for r in copied] != [r.to_json() for r in records]:
                raise StateError(
                    f"the copy in {target.where} differs from {source.where}: "
                    "the setting was not switched"
                )
        return len(records)


def _record_key(r: Record) -> tuple[str, tuple[str, ...]]:
    return (r.table, r.key)


@dataclass
class StateView:
    """What ``smsync state show`` prints."""

    where: str
    lock_scope: str
    gateway: str | None
    sends: list[tuple[str, str, str, str, str | None]]
    protected: list[Protected]
    locks: list[LockInfo]


@dataclass
class Session:
    """A Manager with an open gateway client."""

    manager: Manager
    client: Client
    credentials: Credentials
    #: gateway.accounts: the other accounts some messages go through (never the phonebook)
    accounts: AccountClients | None = None

    @property
    def project(self) -> Project:
        return self.manager.project

    def plan(
        self,
        options: PlanOptions | None = None,
        *,
        broadcasts: list[str] | None = None,
        resend_unknown: bool = False,
        broadcasts_only: bool = False,
    ) -> Plan:
        """The phonebook plan plus the broadcasts' plans and the balance they need.

        ``broadcasts``: names of the broadcasts to plan (None: all of them, []: none).
        ``resend_unknown``: per-contact messages whose outcome is unknown or that failed get a
        new trxid (see :func:`smsync.broadcast.plan_broadcasts`). ``broadcasts_only``: no
        phonebook change is planned (a scheduled job that sends what is due): the phonebook is
        read only where an audience needs it, and every declared group counts as not applied.
        """
        options = dataclasses.replace(options or PlanOptions())
        if options.page_size is None:
            options.page_size = self.project.page_size
        # The contacts files are read while make_plan reads the gateway: until it returns,
        # ``desired`` holds every group and broadcast, but not yet those files' contacts.
        load = self.manager.spec_load()
        desired = load.state
        unknown = sorted(set(broadcasts or []) - {b.name for b in desired.broadcasts})
        if unknown:
            self.manager.desired()  # the spec's problems first
            raise SmsyncError(f"no broadcast named {', '.join(unknown)} in the spec")
        if broadcasts_only:
            plan = self._no_phonebook_plan()
        else:
            plan = make_plan(
                self.client,
                desired.groups,
                region=self.project.region,
                safety=self.project.safety,
                options=options,
                endpoint=public_endpoint(self.credentials.endpoint),
                username=self.credentials.username,
                spec=load,
            )
            plan.safety.findings.extend(
                remembered_protection_findings(plan, self._remembered_protection())
            )
        desired = self.manager.desired()  # complete now
        plan.resend_unknown = resend_unknown
        chosen = [b for b in desired.broadcasts if broadcasts is None or b.name in broadcasts]
        # Declared groups outside this plan's --target/--exclude scope (all of them with
        # --broadcasts-only) keep their current members on the gateway: a group call reaches
        # whoever is there, so its recipients (and the suppression check) come from the
        # gateway for those groups.
        in_scope = (
            []
            if broadcasts_only
            else select_groups(desired.groups, options.targets, options.excludes)
        )
        if chosen:
            from smsync.broadcast.plan import plan_broadcasts

            # Recipients come from the desired state (the phonebook as apply will leave it);
            # only groups the spec does not declare are listed on the gateway.
            with self._ledger(read_only=True) as ledger:
                applied = {group_key(g.name) for g in in_scope}
                plan.broadcasts = plan_broadcasts(
                    dataclasses.replace(desired, broadcasts=chosen),
                    self.project,
                    ledger=ledger,
                    remote_members=self._group_members,
                    find_member=self._member_found,
                    complete_records=self._complete_records,
                    live_groups=frozenset(
                        group_key(g.name)
                        for g in desired.groups
                        if group_key(g.name) not in applied
                    ),
                    resend_unknown=resend_unknown,
                    now=clock(),
                    declared=[b.name for b in desired.broadcasts],
                )
        if self.project.sender == "alpha":
            warn_alpha_unicode(plan.broadcasts)
        plan.credit = self._credit_check(plan)
        if self.accounts:
            lines, short = self.accounts.check_credit(plan.broadcasts)
            plan.notes.extend(lines)
            plan.credit.findings.extend(short)
        return plan

    def _no_phonebook_plan(self) -> Plan:
        """A plan of no phonebook change, made without reading the phonebook (its scope says
        so, and apply of a saved one plans the same way again)."""
        return Plan(
            actions=[],
            fingerprint=hashlib.sha256(BROADCASTS_ONLY[0].encode()).hexdigest(),
            read=ReadStats(Strategy.NONE, "--broadcasts-only: the phonebook is not planned", 0, 0),
            safety=PhonebookSafety(),
            scope={"target": [], "exclude": [], "groups": [], "only": list(BROADCASTS_ONLY)},
            endpoint=public_endpoint(self.credentials.endpoint),
            username=self.credentials.username,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def _group_members(self, group: str) -> list[Contact]:
        from smsync.broadcast.audience import UnknownGroup

        # Who a broadcast reaches: read to an empty page, so that a gateway serving fewer rows
        # per page than configured (or than the reference's default) cannot hide a member.
        bad: list[BadRecord] = []
        size = self.project.page_size
        members = read_listing(
            lambda page, n: self.client.list_contacts_by_group(group, page=page, size=n),
            PageSizer(size or DEFAULT_PAGE_SIZE, trusted=size is not None),
            what=f"listing of group {group!r}",
            exhaustive=True,
            bad=bad,
        )
        # A record that cannot be parsed is still a row the group holds (a group call messages
        # it; a recipient missing from the listing may be it): kept as a row whose number
        # cannot be read, never dropped in silence.
        members.extend(Contact(r.id or 0, "", "", group) for r in bad)
        if not members and not self._gateway_has_group(group):
            # an empty listing of a misspelt group would plan "0 recipients, no changes"
            raise UnknownGroup(group)
        return members

    def _complete_records(self, ids: list[int]) -> list[Contact]:
        stats = ReadStats(Strategy.NONE, "complete records of an audience", 0, 0)
        return read_by_id(self.client, ids, stats, concurrency=4)

    def _member_found(self, group: str, number: str) -> bool:
        """Whether the gateway's number search finds ``number`` in ``group`` (True when it
        cannot tell: a saturated search, or one the gateway fails to answer, which must neither
        give the recipient up nor stop the other broadcasts)."""
        try:
            rows, saturated = search_number(self.client, number)
        except (GatewayError, ProtocolError, TransportError):
            return True
        key = group_key(group)
        region = self.project.region
        return saturated or any(
            group_key(c.group) == key and try_normalize(c.mobile, region) == number for c in rows
        )

    def _gateway_has_group(self, group: str) -> bool:
        sizer = PageSizer(self.project.page_size or DEFAULT_PAGE_SIZE, trusted=False)
        listed = read_listing(
            lambda page, size: self.client.list_groups(page=page, size=size),
            sizer,
            what="group list",
        )
        return any(group_key(g.name) == group_key(group) for g in listed)

    def _credit_check(self, plan: Plan) -> CreditCheck:
        """The balance against the segments the due sends need (asked only when there are
        sends: one request)."""
        # WhatsApp with SMS fallback: the worst case, every message falling back to SMS
        needed = needed_by_account(plan.broadcasts)[""]  # the others: AccountClients
        if not needed:
            return CreditCheck()
        try:
            balance = self.client.credits()
        except SmsyncError as exc:
            # Not every gateway answers creditsleft; an unknown balance refuses nothing.
            return CreditCheck(needed=needed, unknown=f"the gateway did not answer it ({exc})")
        found = credit_finding(balance, needed)
        return CreditCheck(needed=needed, balance=f"{balance:f}", findings=[found] if found else [])

    def _remembered_protection(self) -> set[tuple[str, str, str]]:
        with self.manager.state() as backend:
            # Planning must not create files: with no state yet, nothing is remembered.
            if not backend.exists:
                return set()
            return set(remembered(Store(backend, read_only=True)))

    def _remember_protection(self, plan: Plan, *, ok: bool) -> None:
        """Protection memory after an apply of ``plan``'s scope (see smsync.state.protection)."""
        desired = self.manager.desired()
        scope = select_groups(
            desired.groups, plan.scope.get("target", []), plan.scope.get("exclude", [])
        )
        flagged: list[Protected] = []
        unflagged: list[Protected] = []
        for g in scope:
            key = group_key(g.name)
            if g.state == "present":
                (flagged if g.protect else unflagged).append(Protected(GROUP, key, "", g.name))
            for c in g.contacts:
                (flagged if c.protect or g.protect else unflagged).append(
                    Protected(CONTACT, key, c.mobile, g.name)
                )
        with self.manager.state() as backend:
            remember(Store(backend), flagged, unflagged, forget=ok)

    @contextmanager
    def _ledger(self, *, read_only: bool = False) -> Iterator[Ledger]:
        from smsync.broadcast.ledger import Ledger

        # Planning must not create files: with no ledger yet, nothing has been sent.
        with Ledger(self.manager.state(), read_only=read_only) as ledger:
            # Planning only checks whose ledger this is; sending (apply) claims it.
            identity = gateway_identity(self.credentials, self.project.root)
            ledger.bind_gateway(identity, claim=not read_only, formerly=earlier_identity(identity))
            yield ledger

    def replan(self, plan: Plan, *, concurrency: int = 4, resend_unknown: bool = False) -> Plan:
        """``plan`` made again, now, from the current spec and the gateway's rows: same scope,
        same broadcasts. Raises StalePlan when that is no longer possible.

        ``resend_unknown`` comes from the caller, never from ``plan``: a file that claims it
        cannot make apply give messages of unknown outcome new trxids."""
        options = PlanOptions(
            targets=list(plan.scope.get("target", [])),
            excludes=list(plan.scope.get("exclude", [])),
            concurrency=concurrency,
        )
        # a recurring broadcast's plans are its occurrences (NAME@DATE) of one spec broadcast
        names = list(dict.fromkeys(b.spec_name or b.name for b in plan.broadcasts))
        gone = sorted(set(names) - {b.name for b in self.manager.desired().broadcasts})
        if gone:
            raise StalePlan(
                f"the plan sends broadcast(s) {', '.join(gone)}, which the spec no "
                "longer declares; nothing was written: run plan again"
            )
        try:
            return self.plan(
                options,
                broadcasts=names,
                resend_unknown=resend_unknown,
                broadcasts_only=is_broadcasts_only(plan),
            )
        except ListingShifted as exc:
            raise StalePlan(f"{exc}; nothing was written") from None

    def apply(
        self,
        plan: Plan,
        *,
        force: bool = False,
        concurrency: int = 4,
        rate: float | None = None,
        resend_unknown: bool = False,
        saved: bool = False,
        lock_timeout: float = 0.0,
        on_done: Callable[[ActionOutcome], None] | None = None,
        on_sent: Callable[[SendProgress], None] | None = None,
    ) -> ApplyOutcome:
        """Execute what ``plan`` approves: plan again now, run only if that gives exactly the
        same actions and sends, then change the phonebook and send the broadcasts.

        ``plan`` is an approval, never a list of orders: whether it was made a moment ago or
        read from a file (``saved``), what runs is computed now from the current spec and the
        gateway's own rows, and refused whole when it differs. Raises UnsafePlan or StalePlan
        (nothing written) or ApplyLocked (another apply of this gateway account holds the
        state's lock for more than ``lock_timeout`` seconds).
        """
        from smsync.apply import apply_lock

        if saved:
            check_in_project(self.project)
        self.check_applicable(plan, force=force)
        with (
            self.manager.state() as state,
            apply_lock(
                state, gateway_identity(self.credentials, self.project.root), timeout=lock_timeout
            ),
        ):
            now = self.replan(plan, concurrency=concurrency, resend_unknown=resend_unknown)
            check_same_plan(plan, now)
            raise_if_unsafe(findings(now), force=force)
            return self._execute(
                now,
                force=force,
                concurrency=concurrency,
                rate=rate,
                resend_unknown=resend_unknown,
                on_done=on_done,
                on_sent=on_sent,
            )

    def settle(self, plan: Plan, *, lock_timeout: float = 0.0) -> None:
        """Apply a plan with nothing to write: only the state learns that the spec is
        applied (protection memory: a flag dropped from an item kept)."""
        from smsync.apply import apply_lock
        from smsync.broadcast.send import completable, record_complete

        if plan.has_changes or plan.unsafe:
            return
        with (
            self.manager.state() as state,
            apply_lock(
                state, gateway_identity(self.credentials, self.project.root), timeout=lock_timeout
            ),
        ):
            if not is_broadcasts_only(plan):
                self._remember_protection(plan, ok=True)
            if completable(plan.broadcasts):
                with self._ledger() as ledger:
                    record_complete(plan.broadcasts, ledger)

    def _execute(
        self,
        plan: Plan,
        *,
        force: bool,
        concurrency: int,
        rate: float | None,
        resend_unknown: bool,
        on_done: Callable[[ActionOutcome], None] | None,
        on_sent: Callable[[SendProgress], None] | None,
    ) -> ApplyOutcome:
        from smsync.apply import Executor
        from smsync.broadcast.charge import accepted_keys, segments_accepted_since
        from smsync.broadcast.send import group_check, send_broadcasts

        desired = self.manager.desired()
        managed = select_groups(
            desired.groups, plan.scope.get("target", []), plan.scope.get("exclude", [])
        )
        executor = Executor(
            self.client,
            concurrency=concurrency,
            rate=rate,
            region=self.project.region,
            on_done=on_done,
            managed=frozenset(group_key(g.name) for g in managed),
            declared=frozenset(group_key(g.name) for g in desired.groups),
            page_size=self.project.page_size,
        )
        outcome = ApplyOutcome(phonebook=executor.run(plan))
        if not is_broadcasts_only(plan):  # what it leaves protected is the phonebook's apply's
            self._remember_protection(plan, ok=outcome.phonebook.ok)
        if not plan.broadcasts:
            return outcome
        if not outcome.phonebook.ok:
            # A broadcast to a group the failed changes were filling would miss people.
            outcome.broadcasts_skipped = (
                "broadcasts not sent because phonebook changes failed; run apply again"
            )
            return outcome
        check = group_check(
            self._group_members, load_suppression(self.project), self.project.region
        )
        names = [b.name for b in plan.broadcasts if b.due]
        with self._ledger() as ledger:
            before = accepted_keys(ledger, names) if plan.credit.balance is not None else None
            outcome.broadcasts = send_broadcasts(
                self.client,
                plan.broadcasts,
                ledger,
                concurrency=concurrency,
                rate=rate,
                force=force,
                resend_unknown=resend_unknown,
                on_progress=on_sent,
                check_group=check,
                now=clock(),
                accounts=self.accounts.senders(plan.broadcasts) if self.accounts else None,
            )
            if before is not None and plan.credit.balance is not None:
                outcome.charge = self._charge(
                    Decimal(plan.credit.balance), segments_accepted_since(ledger, names, before)
                )
        return outcome

    def _charge(self, before: Decimal, segments: int) -> Charge | None:
        """The balance after the sends against the one the plan read just before them (one
        request; none when nothing was accepted): see smsync.broadcast.charge."""
        from smsync.broadcast.charge import Charge

        if not segments:
            return None
        try:
            after = self.client.credits()
        except SmsyncError:
            return None  # the sends' report stands; only the comparison is missing
        return Charge(before=before, after=after, segments_accepted=segments)

    def check_applicable(self, plan: Plan, *, force: bool = False) -> None:
        """Everything apply refuses without reading the remote (UnsafePlan, StalePlan). Apply
        decides again on the plan made now; this only refuses early, before any question."""
        from smsync.apply import check_plan

        check_target(plan, public_endpoint(self.credentials.endpoint), self.credentials.username)
        check_plan(plan, force=force)


@dataclass
class Status:
    """What Manager.status found: counts by state, per broadcast."""

    counts: dict[str, Counter[str]]
    refreshed: RefreshStats | None = None  # what Report.aspx was asked; None: not asked
    #: per broadcast of the spec: kind, lifecycle, deliveries (occurrences under their broadcast)
    broadcasts: list[BroadcastStatus] = field(default_factory=list)
    spec_problem: str | None = None  # why the kinds are unknown (the spec did not load)


def warn_alpha_unicode(broadcasts: list[BroadcastPlan]) -> None:
    """On an alpha-sender account, name how many Unicode messages go to operators that drop them
    (the plan's operator breakdown: the operator from the number, by phonenumbers' carrier
    data)."""
    from smsync.operators import UNICODE_BLIND_ON_ALPHA

    for b in broadcasts:
        hit = {
            op: share.unicode
            for op, share in b.operators.items()
            if op in UNICODE_BLIND_ON_ALPHA and share.unicode
        }
        if hit:
            who = ", ".join(f"{n} to {op}" for op, n in sorted(hit.items()))
            b.warnings.append(
                f"{sum(hit.values())} Unicode message(s) from an alpha sender ({who}): these "
                "operators do not deliver Unicode from alpha senders; write GSM-7 text "
                "(gateway.gsm7_as_type0 for accents) or use a numeric sender"
            )


@dataclass
class ApplyOutcome:
    phonebook: ApplyResult
    broadcasts: SendReport | None = None
    broadcasts_skipped: str = ""
    charge: Charge | None = None  # the balance before and after the sends (main account)

    @property
    def ok(self) -> bool:
        sends_ok = self.broadcasts is None or self.broadcasts.ok
        return self.phonebook.ok and sends_ok and not self.broadcasts_skipped


#: ``Plan.scope["only"]`` of a ``--broadcasts-only`` plan
BROADCASTS_ONLY = ("broadcasts",)


def is_broadcasts_only(plan: Plan) -> bool:
    """Whether ``plan`` plans broadcasts alone (``--broadcasts-only``): no phonebook change."""
    return tuple(plan.scope.get("only", ())) == BROADCASTS_ONLY


def gateway_identity(creds: Credentials, root: Path | None = None) -> str:
    """``user@endpoint`` (no secrets): which account a ledger's sends went through. An
    embedded sandbox inside the project ``root`` is named relative to it (as smsync.yaml
    writes it), so that the project, its sandbox and its ledger can be moved or copied."""
    shown = public_endpoint(creds.endpoint)
    if root is not None and is_sandbox(creds.endpoint):
        path = Path(creds.endpoint[len(SANDBOX_SCHEME) :])
        if path.is_relative_to(root.resolve()):
            shown = SANDBOX_SCHEME + path.relative_to(root.resolve()).as_posix()
    return f"{creds.username}@{shown}"


def earlier_identity(identity: str) -> Callable[[str], bool]:
    """Whether a ledger's identity is ``identity`` as an earlier smsync wrote it for this
    project: its sandbox's absolute path (wherever the project was then) rather than the
    project-relative one."""
    user, _, endpoint = identity.partition("@")
    rel = endpoint.removeprefix(SANDBOX_SCHEME)
    if not is_sandbox(endpoint) or rel.startswith("/"):
        return lambda bound: False
    return lambda bound: bound.startswith(f"{user}@{SANDBOX_SCHEME}/") and bound.endswith("/" + rel)
