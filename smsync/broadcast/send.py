"""Sending planned broadcasts exactly once, with bounded concurrency and a rate cap.

Exactly once rests on three things:

1. every per-contact send carries a deterministic trxid, and the gateway answers a repeated
   trxid with the first send's body without sending again;
2. the ledger row is committed as ``pending`` BEFORE the request leaves and completed after,
   so a run killed at any point leaves either no row (not sent), a pending row (maybe sent:
   re-sent with the same trxid, which is safe), or a completed row (skipped);
3. a group call (``via: group-call``: SendSMSGroup has no trxid) found pending is never repeated
   automatically: its outcome is unknown, and only ``resend_unknown=True`` sends it again. A
   group audience is otherwise sent per member, as any per-contact audience is (1 and 2).

A run holds a lock file beside the ledger, so two runs never send from one ledger at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from filelock import FileLock, Timeout

from smsync.broadcast.errors import BroadcastError
from smsync.broadcast.ledger import Ledger, SendState, group_row_key
from smsync.broadcast.model import BroadcastPlan, Recipient, make_trxid, masked
from smsync.broadcast.routes import Route, record_account, recorded_accounts
from smsync.gateway.errors import (
    GatewayError,
    InsufficientCredit,
    InternalServerError,
    ProtocolError,
    TransportError,
    WhatsAppNotActive,
)
from smsync.gateway.models import Contact, SendResult
from smsync.gateway.provider import Sender
from smsync.numbers import try_normalize
from smsync.ratelimit import RateLimiter
from smsync.safety import check_group_rows, raise_if_unsafe

Outcome = Literal["sent", "fallback", "already_sent", "failed", "unknown", "not_attempted"]
FALLBACK_CHANNEL = "fallback-sms"
#: When this many first WhatsApp answers of a run are all 1751, the account itself most likely
#: has no WhatsApp ("NotActiveWA"), and every other WhatsApp send would fail the same way.
WA_PROBE_SENDS = 3
#: Why a group send must not go out now (None: it may), judged right before sending.
GroupCheck = Callable[[BroadcastPlan], str | None]


def group_check(
    members: Callable[[str], list[Contact]], suppression: frozenset[str], region: str
) -> GroupCheck:
    """The check every group send passes right before SendSMSGroup: the group's rows as the
    gateway holds them now (``members(group)``) must be exactly the rows the plan counted, none
    suppressed and none unreadable — SendSMSGroup messages whoever is in the group then."""

    def check(plan: BroadcastPlan) -> str | None:
        group = plan.group or ""
        try:
            rows = members(group)
        except GatewayError as e:
            return f"the members of group '{group}' could not be read to check them ({e})"
        numbers = [try_normalize(c.mobile, region) for c in rows]
        return check_group_rows(group, numbers, [r.number for r in plan.recipients], suppression)

    return check


@dataclass(frozen=True)
class SendProgress:
    """One recipient done. ``to`` is the masked number; ``code`` a gateway code on failure."""

    broadcast: str
    to: str
    outcome: Outcome
    code: str | None
    done: int
    total: int


@dataclass
class Failure:
    to: str  # masked number (or the group name for a group send)
    code: str
    message: str


@dataclass
class BroadcastResult:
    name: str
    sent: int = 0  # messages the gateway accepted in this run (group: members reached)
    fallback: int = 0  # of those, WhatsApp sends that went by SMS (1751 + fallback: sms)
    already_sent: int = 0  # skipped: the ledger says they were sent before
    suppressed: int = 0
    failed: list[Failure] = field(default_factory=list)
    unknown: int = 0  # outcome unknown (row stays pending; a later run resolves it)
    not_attempted: int = 0  # left over when the run stopped
    skipped_reason: str | None = None  # why nothing was sent (not due, outcome unknown, ...)
    stopped_reason: str | None = None
    group_msgid: str | None = None


@dataclass
class SendReport:
    results: list[BroadcastResult] = field(default_factory=list)
    stopped_reason: str | None = None

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results)

    @property
    def already_sent(self) -> int:
        return sum(r.already_sent for r in self.results)

    @property
    def failed(self) -> int:
        return sum(len(r.failed) for r in self.results)

    @property
    def unknown(self) -> int:
        return sum(r.unknown for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.stopped_reason and not self.failed and not self.unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "already_sent": self.already_sent,
            "failed": self.failed,
            "unknown": self.unknown,
            "stopped_reason": self.stopped_reason,
            "broadcasts": [asdict(r) for r in self.results],
        }


def completable(plans: list[BroadcastPlan]) -> list[BroadcastPlan]:
    """The plans that found a `once` broadcast complete (apply records that: see
    Ledger.mark_complete)."""
    return [
        p for p in plans if p.status == "complete" and p.kind == "contacts" and p.mode == "once"
    ]


def record_complete(plans: list[BroadcastPlan], ledger: Ledger) -> None:
    for plan in completable(plans):
        ledger.mark_complete(plan.name, plan.totals.already_sent, plan.totals.failed_for_good)


def send_broadcasts(
    client: Sender,
    plans: list[BroadcastPlan],
    ledger: Ledger,
    *,
    concurrency: int = 4,
    rate: float | None = None,
    force: bool = False,
    resend_unknown: bool = False,
    now: datetime | None = None,
    on_progress: Callable[[SendProgress], None] | None = None,
    check_group: GroupCheck | None = None,
    accounts: Mapping[Route, Sender] | None = None,
) -> SendReport:
    """Send every due plan's ``to_send`` recipients; a SendReport of what happened.

    Refuses (UnsafePlan, before sending anything) when a plan is unsafe, unless ``force``.
    Suppressed recipients are never sent to, whatever the options. ``rate`` caps requests per
    second; ``concurrency`` bounds parallel requests. ``on_progress`` is called once per
    recipient (serialised, from worker threads). A 1708 (insufficient credit) stops the run
    cleanly: in-flight sends finish, nothing new starts, ``stopped_reason`` says how far it got
    and how many messages of every broadcast were not attempted. A group send goes out only
    after ``check_group`` (see :func:`group_check`) passed; without one it is not sent.
    ``accounts``: the clients of gateway.accounts by route, for recipients routed to them.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    raise_if_unsafe([f for p in plans for f in p.findings], force=force)
    record_complete(plans, ledger)
    now = now or datetime.now(UTC)
    run = _Run(
        client,
        ledger,
        concurrency,
        RateLimiter(rate),
        resend_unknown,
        on_progress,
        check_group,
        accounts=accounts or {},
    )
    report = SendReport()
    with _LedgerLock(ledger):
        for plan in plans:
            result = BroadcastResult(plan.name, suppressed=plan.totals.suppressed)
            report.results.append(result)
            if run.stop.is_set():
                result.skipped_reason = "not attempted: the run stopped earlier"
                result.not_attempted = plan.totals.to_send + plan.totals.pending_unknown
                continue
            if not plan.due or (plan.not_before is not None and now < plan.not_before):
                when = plan.not_before.isoformat() if plan.not_before else "?"
                result.skipped_reason = f"not due before {when}"
                continue
            if plan.status == "complete":
                result.already_sent = plan.totals.already_sent
                continue
            if plan.status == "closed" or (plan.not_after is not None and now >= plan.not_after):
                # an approved plan applied after not_after sends nothing either
                when = plan.not_after.isoformat() if plan.not_after else "?"
                result.skipped_reason = f"closed since {when}"
                continue
            if plan.kind == "group":
                run.send_group(plan, result)
            else:
                run.send_contacts(plan, result)
            if result.stopped_reason:
                report.stopped_reason = result.stopped_reason
    if report.stopped_reason:
        missed = sum(r.not_attempted for r in report.results) + sum(
            1 for r in report.results for f in r.failed if f.code == InsufficientCredit.code
        )
        report.stopped_reason += (
            f"; {missed} message(s) not sent in all broadcasts (run apply again to continue)"
        )
    return report


class _LedgerLock:
    """Hold ``<ledger>.lock`` for the run; a second concurrent run is refused, not queued."""

    def __init__(self, ledger: Ledger) -> None:
        self._lock = (
            None if str(ledger.path) == ":memory:" else FileLock(str(ledger.path) + ".lock")
        )

    def __enter__(self) -> None:
        if self._lock is None:
            return
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise BroadcastError(
                f"another smsync run is sending broadcasts from {self._lock.lock_file}; "
                "wait for it to finish"
            ) from None

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()


@dataclass
class _Run:
    client: Sender
    ledger: Ledger
    concurrency: int
    limiter: RateLimiter
    resend_unknown: bool
    on_progress: Callable[[SendProgress], None] | None
    check_group: GroupCheck | None
    stop: threading.Event = field(default_factory=threading.Event)
    #: per account (Recipient.account): its first WhatsApp answers (was it 1751?), and the
    #: accounts that answered 1751 to all of them; one account without WhatsApp (an operator's
    #: masking account) does not stop the others' WhatsApp
    wa_answers: dict[str, list[bool]] = field(default_factory=dict)
    wa_stopped: set[str] = field(default_factory=set)
    accounts: Mapping[Route, Sender] = field(default_factory=dict)  # gateway.accounts' clients
    #: per broadcast, the accounts other than the main one its messages went through (routes)
    recorded: dict[str, dict[str, Route]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _progress(
        self,
        plan: BroadcastPlan,
        result: BroadcastResult,
        to: str,
        outcome: Outcome,
        code: str | None,
        done: list[int],
        total: int,
    ) -> None:
        with self._lock:
            if outcome in ("sent", "fallback"):
                result.sent += 1
                result.fallback += outcome == "fallback"
            elif outcome == "already_sent":
                result.already_sent += 1
            elif outcome == "unknown":
                result.unknown += 1
            elif outcome == "not_attempted":
                result.not_attempted += 1
            done[0] += 1
            if self.on_progress is not None:
                self.on_progress(SendProgress(plan.name, to, outcome, code, done[0], total))

    # ---- group sends ---------------------------------------------------------------------

    def send_group(self, plan: BroadcastPlan, result: BroadcastResult) -> None:
        members = [r for r in plan.recipients if r.state != "suppressed"]
        message = plan.group_message
        group = plan.group or ""
        if not members or message is None:
            result.skipped_reason = "nobody to send to"
            return
        row = self.ledger.group_row(plan.name, group)
        key = row.number if row is not None else group_row_key(group)
        if row is not None and row.accepted:
            result.already_sent = len(members)
            return
        if row is not None and row.state == SendState.PENDING and not self.resend_unknown:
            result.skipped_reason = (
                "outcome of an earlier group send is unknown; not sent again (resend it "
                "explicitly once you know it did not go out)"
            )
            result.unknown = len(members)
            return
        if not any(r.state in ("to_send", "pending_unknown") for r in members):
            result.already_sent = len(members)
            return
        refusal = (
            "no check of the group's members right before sending was given"
            if self.check_group is None
            else self.check_group(plan)
        )
        if refusal:
            result.failed.append(Failure(group, "refused", refusal))
            return
        self.ledger.record_pending(
            broadcast=plan.name,
            number=key,
            kind="group",
            channel="sms",
            trxid=None,
            attempt=(row.attempt + 1) if row is not None else 0,
            body=message,
            segments=members[0].sms_segments,
            recipients=len(members),
        )
        self.limiter.wait()
        done = [0]
        try:
            res = self.client.send_group(group, message)
        except InsufficientCredit as e:
            self.ledger.record_failed(plan.name, key, e.code)
            result.failed.append(Failure(group, e.code, str(e)))
            result.stopped_reason = f"insufficient credit (1708): group send to '{group}' refused"
            self.stop.set()
            return
        except (TransportError, InternalServerError, ProtocolError) as e:
            result.unknown = len(members)
            result.failed.append(Failure(group, _code(e), f"outcome unknown: {e}"))
            return
        except GatewayError as e:
            self.ledger.record_failed(plan.name, key, e.code)
            result.failed.append(Failure(group, e.code, str(e)))
            return
        self.ledger.record_sent(plan.name, key, res.msgid)
        result.group_msgid = res.msgid
        for r in members:
            self._progress(plan, result, masked(r.number), "sent", None, done, len(members))

    # ---- per-contact sends ---------------------------------------------------------------

    def send_contacts(self, plan: BroadcastPlan, result: BroadcastResult) -> None:
        todo = [r for r in plan.recipients if r.state == "to_send"]
        result.already_sent = sum(1 for r in plan.recipients if r.state == "sent")
        result.unknown = sum(1 for r in plan.recipients if r.state == "pending_unknown")
        if not todo:
            return
        self.recorded[plan.name] = recorded_accounts(self.ledger, plan.name)
        if plan.mode == "once":
            # before the first message: a run killed after this has fixed the audience too
            self.ledger.fix_audience(
                plan.name, (r.number for r in plan.recipients if r.state != "suppressed")
            )
        done = [0]
        with ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="smsync-send"
        ) as pool:
            futures = [pool.submit(self._one, plan, result, r, done, len(todo)) for r in todo]
            try:
                errors = [f.exception() for f in futures]
            except KeyboardInterrupt:
                # Ctrl-C: no new send starts (leaving `with` would otherwise wait for every
                # queued one); a send in flight finishes and settles its row, and a row whose
                # request left unanswered stays pending: outcome unknown, never sent twice.
                self.stop.set()
                raise
        for err in errors:
            if err is not None:
                raise err
        if self.stop.is_set() and result.stopped_reason is None:
            result.stopped_reason = "stopped"
        if result.stopped_reason:
            result.stopped_reason += (
                f": broadcast '{plan.name}' sent {result.sent} of {len(todo)} messages"
            )

    def _one(
        self,
        plan: BroadcastPlan,
        result: BroadcastResult,
        r: Recipient,
        done: list[int],
        total: int,
    ) -> None:
        to = masked(r.number)
        wa_stopped = plan.channel == "whatsapp" and r.account in self.wa_stopped
        if self.stop.is_set() or wa_stopped:
            if wa_stopped and result.stopped_reason is None:
                which = f"account '{r.account}'" if r.account else "the account"
                with self._lock:
                    result.stopped_reason = (
                        f"WhatsApp stopped: the first {WA_PROBE_SENDS} WhatsApp sends all "
                        f"answered 1751 (NotActiveWA); {which} may have no WhatsApp "
                        "(ask the provider, or send by SMS)"
                    )
            self._progress(plan, result, to, "not_attempted", None, done, total)
            return
        outcome, code, msg = self._deliver(plan, r)
        if outcome == "failed":
            with self._lock:
                result.failed.append(Failure(to, code or "", msg))
        if code == InsufficientCredit.code:
            with self._lock:
                result.stopped_reason = "insufficient credit (1708)"
            self.stop.set()
        self._progress(plan, result, to, outcome, code, done, total)

    def _deliver(self, plan: BroadcastPlan, r: Recipient) -> tuple[Outcome, str | None, str]:
        """Send one recipient's message per the ledger; (outcome, code, message)."""
        name = plan.name
        row = self.ledger.get(name, r.number)
        if row is not None and row.accepted:
            return "already_sent", None, ""
        # trxids the gateway may have seen already: an error it answers to one of them may be
        # the replay of an earlier attempt's answer, so it proves nothing (outcome unknown).
        seen = {row.trxid} if row is not None and row.trxid else set()
        if r.resume and row is not None and row.state == SendState.PENDING and row.trxid:
            # Interrupted before: same channel, same trxid (the gateway deduplicates).
            channel, trxid, attempt = row.channel, row.trxid, row.attempt
            fallback_from = row.fallback_from
            # where the trxid was seen, from the state alone: the same account or none
            route = self.recorded[name].get(r.number)
            client = self._client(route.account if route else None)
            if client is None:
                assert route is not None
                return (
                    "unknown",
                    None,
                    f"outcome unknown: it went through account {route.shown}, which "
                    "gateway.accounts no longer declares; not repeated through another account",
                )
        else:
            attempt, channel, fallback_from = r.attempt, plan.channel, None
            trxid = r.trxid or make_trxid(name, r.number, r.message, attempt=attempt)
            route = next((k for k in self.accounts if k.name == r.account), None)
            client = self.accounts[route] if route else self.client
            if r.account and route is None:
                return "unknown", None, f"account '{r.account}' is not open; not sent"
            if route != self.recorded[name].get(r.number):
                record_account(self.ledger, name, r.number, route)  # before the request
            self._pending(plan, r, channel, trxid, attempt, None)
        outcome, code, msg = self._attempt(plan, r, channel, trxid, trxid in seen, client)
        if (
            code == WhatsAppNotActive.code
            and channel == "whatsapp"
            and plan.fallback == "sms"
            and fallback_from is None
        ):
            fb_trxid = make_trxid(
                name, r.number, r.message, channel=FALLBACK_CHANNEL, attempt=attempt
            )
            self._pending(plan, r, "sms", fb_trxid, attempt, "whatsapp")
            outcome, code, msg = self._attempt(plan, r, "sms", fb_trxid, fb_trxid in seen, client)
            if outcome == "sent":
                outcome = "fallback"
        elif outcome == "sent" and fallback_from is not None:
            outcome = "fallback"
        return outcome, code, msg

    def _client(self, account: str | None) -> Sender | None:
        """The client of ``account`` (Route.account; None: the main one), if declared."""
        if account is None:
            return self.client
        return next((c for k, c in self.accounts.items() if k.account == account), None)

    def _pending(
        self,
        plan: BroadcastPlan,
        r: Recipient,
        channel: str,
        trxid: str,
        attempt: int,
        fallback_from: str | None,
    ) -> None:
        self.ledger.record_pending(
            broadcast=plan.name,
            number=r.number,
            kind="contact",
            channel=channel,
            trxid=trxid,
            attempt=attempt,
            body=r.message,
            segments=1 if channel == "whatsapp" else r.sms_segments,
            fallback_from=fallback_from,
        )

    def _attempt(
        self,
        plan: BroadcastPlan,
        r: Recipient,
        channel: str,
        trxid: str,
        repeated: bool,
        client: Sender,
    ) -> tuple[Outcome, str | None, str]:
        self.limiter.wait()
        try:
            res: SendResult
            if channel == "whatsapp":
                try:
                    res = client.send_wa(r.mobile, r.message, trxid=trxid)
                except WhatsAppNotActive:
                    self._wa_answer(r.account, not_active=True)
                    raise
                self._wa_answer(r.account, not_active=False)
            else:
                res = client.send_sms(r.mobile, r.message, trxid=trxid)
        except WhatsAppNotActive as e:
            # (whether first-hand or replayed, 1751 means the WhatsApp message never left)
            if plan.fallback != "sms":
                self.ledger.record_failed(plan.name, r.number, e.code)
            return "failed", e.code, str(e)
        except (TransportError, InternalServerError, ProtocolError) as e:
            # Maybe sent: the row stays pending and the next run repeats the same trxid.
            return "unknown", _code(e), str(e)
        except GatewayError as e:
            if repeated:
                # A gateway that remembers failed trxids answers the first attempt's error
                # again, whatever happened since: the row stays pending (outcome unknown).
                return (
                    "unknown",
                    e.code,
                    (
                        f"{e} (answered to a trxid already used: outcome unknown; if the recipient "
                        "did not get it, resend with --resend-unknown)"
                    ),
                )
            self.ledger.record_failed(plan.name, r.number, e.code)
            return "failed", e.code, str(e)
        self.ledger.record_sent(plan.name, r.number, res.msgid)
        return "sent", None, ""

    def _wa_answer(self, account: str, *, not_active: bool) -> None:
        with self._lock:
            answers = self.wa_answers.setdefault(account, [])
            if len(answers) >= WA_PROBE_SENDS:
                return
            answers.append(not_active)
            if len(answers) == WA_PROBE_SENDS and all(answers):
                self.wa_stopped.add(account)


def _code(e: Exception) -> str:
    if isinstance(e, GatewayError):
        return e.code
    return "transport" if isinstance(e, TransportError) else "protocol"
