"""Execute a Plan through the gateway client: phases in order, bounded concurrency, rate cap.

Writes are made safe to repeat here rather than blindly retried:

* an add whose answer was lost (timeout, dropped connection) is looked up before it is sent
  again, so a lost response never creates a duplicate;
* edits are idempotent (the full record is sent), so they are simply sent again;
* a delete sent again that answers "unknown id" has done its work.

Writes that destroy are checked against the row behind the id first: before a contact is
edited, moved or deleted, its complete record is read by id (phbkGetCompleteData) and must hold
the number and group the plan saw, in a group the spec manages; before a group is renamed or
deleted, a group with that id and name must exist. A listing garbled by a gateway (a field
holding the record separator followed by a well-formed record can fake a row with another
contact's id) can therefore never lead to a write outside the managed groups. Contacts to be
added to (or moved into) a group that could not be created are not attempted.

1702 (credentials) and 1708 (credit) stop the run cleanly: actions already running finish,
the rest are reported as skipped. Any other error fails only its own action.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TypeVar

from smsync import numbers
from smsync.errors import SmsyncError
from smsync.gateway.errors import (
    DataNotFound,
    GatewayError,
    InsufficientCredit,
    InvalidCredentials,
    InvalidGroupId,
    InvalidGroupName,
    InvalidPhonebookId,
    TransportError,
)
from smsync.gateway.limits import SEARCH_CAP
from smsync.gateway.models import Contact, Group, Page
from smsync.gateway.names import group_key
from smsync.gateway.paging import PageSizer, read_listing
from smsync.gateway.provider import Phonebook
from smsync.plan.diff import number_key
from smsync.plan.fetch import DEFAULT_PAGE_SIZE
from smsync.plan.model import PHASES, Action, Op, Plan, Record
from smsync.plan.search import stored_forms
from smsync.ratelimit import RateLimiter

T = TypeVar("T")
R = TypeVar("R", Contact, Group)
ATTEMPTS = 4  # per action, counting the first
FATAL = (InvalidCredentials, InsufficientCredit)


class ActionStatus(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class RowMismatch(SmsyncError):
    """The row behind an id is not the one the plan saw: the write is refused."""


@dataclass
class ActionOutcome:
    action: Action
    status: ActionStatus
    detail: str = ""
    code: str = ""


@dataclass
class ApplyResult:
    outcomes: list[ActionOutcome] = field(default_factory=list)
    fatal: str = ""  # why the run stopped early, if it did

    def count(self, status: ActionStatus | str, op: Op | None = None) -> int:
        return sum(
            1 for o in self.outcomes if o.status == status and (op is None or o.action.op is op)
        )

    @property
    def ok(self) -> bool:
        return not self.fatal and self.count(ActionStatus.FAILED) == 0

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            per = out.setdefault(o.action.op.value, {s.value: 0 for s in ActionStatus})
            per[o.status] += 1
        return out


def _birth(record: Record) -> date | None:
    return date.fromisoformat(record.birth) if record.birth else None


class Executor:
    def __init__(
        self,
        client: Phonebook,
        *,
        concurrency: int = 4,
        rate: float | None = None,
        region: str = "ID",
        on_done: Callable[[ActionOutcome], None] | None = None,
        managed: frozenset[str] | None = None,
        declared: frozenset[str] | None = None,
        page_size: int | None = None,
    ) -> None:
        """``managed``: group keys this run may delete from (the plan's scope, from the spec);
        ``declared``: group keys the spec declares (contacts may be edited or moved out of
        them). None: taken from the plan's own scope (library use without a spec).
        ``page_size``: the gateway's real maximum page size, when known (for listings)."""
        self.client = client
        self.page_size = page_size
        self._member_ids: dict[str, frozenset[int]] = {}
        self._members_lock = threading.Lock()
        self.managed = managed
        self.declared = declared
        self.concurrency = max(1, concurrency)
        self.limiter = RateLimiter(rate)
        self.region = region
        self.on_done = on_done
        self._stop = threading.Event()
        self._fatal = ""

    # -- running -------------------------------------------------------------------------
    def run(self, plan: Plan) -> ApplyResult:
        result = ApplyResult()
        scope = frozenset(group_key(g) for g in plan.scope.get("groups", []))
        self._managed = self.managed if self.managed is not None else scope
        self._declared = self.declared if self.declared is not None else scope
        for phase in PHASES:
            actions = [a for a in plan.actions if a.op in phase]
            if not actions:
                continue
            # A group whose members could not all be moved out or deleted is not deleted: a
            # gateway that deletes members along with their group would lose them.
            failed_groups: set[str] = set()
            for o in result.outcomes:
                if o.status is not ActionStatus.DONE and o.action.before is not None:
                    failed_groups.add(group_key(o.action.before.group))
            held = [
                a
                for a in actions
                if a.op is Op.DELETE_GROUP and group_key(a.group) in failed_groups
            ]
            for action in held:
                outcome = ActionOutcome(
                    action, ActionStatus.SKIPPED, "not deleted: changes to its members failed"
                )
                result.outcomes.append(outcome)
                if self.on_done:
                    self.on_done(outcome)
            # A contact is never added (or moved) into a group that could not be created: the
            # gateway would refuse it (1711), or file it under a group spelled otherwise.
            not_created = {
                group_key(o.action.group)
                for o in result.outcomes
                if o.action.op is Op.ADD_GROUP and o.status is not ActionStatus.DONE
            }
            orphans = [
                a
                for a in actions
                if a.op in (Op.ADD_CONTACT, Op.MOVE_CONTACT) and group_key(a.group) in not_created
            ]
            for action in orphans:
                outcome = ActionOutcome(
                    action, ActionStatus.SKIPPED, "not attempted: its group could not be created"
                )
                result.outcomes.append(outcome)
                if self.on_done:
                    self.on_done(outcome)
            held += orphans
            actions = [a for a in actions if a not in held]
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                try:
                    for outcome in pool.map(self._run_one, actions):
                        result.outcomes.append(outcome)
                        if self.on_done:
                            self.on_done(outcome)
                except KeyboardInterrupt:
                    # Ctrl-C: no new write starts (leaving `with` waits for the pool); the
                    # writes in flight finish, so none is cut off between its check and write.
                    self._fatal = self._fatal or "interrupted"
                    self._stop.set()
                    raise
        result.fatal = self._fatal
        return result

    def _run_one(self, action: Action) -> ActionOutcome:
        if self._stop.is_set():
            return ActionOutcome(action, ActionStatus.SKIPPED, f"not attempted: {self._fatal}")
        try:
            detail = self._execute(action)
            return ActionOutcome(action, ActionStatus.DONE, detail)
        except FATAL as exc:
            if not self._stop.is_set():
                self._fatal = str(exc)
                self._stop.set()
            return ActionOutcome(action, ActionStatus.FAILED, str(exc), exc.code)
        except GatewayError as exc:
            return ActionOutcome(action, ActionStatus.FAILED, str(exc), exc.code)
        except SmsyncError as exc:
            return ActionOutcome(action, ActionStatus.FAILED, str(exc))
        except Exception as exc:  # a bug must not lose the other actions' outcomes
            return ActionOutcome(
                action, ActionStatus.FAILED, f"internal error: {type(exc).__name__}: {exc}"
            )

    def _call(self, fn: Callable[[], T]) -> T:
        self.limiter.wait()
        return fn()

    # -- one action ----------------------------------------------------------------------
    def _execute(self, action: Action) -> str:
        op = action.op
        if op is Op.ADD_GROUP:
            return self._add_group(action.group)
        if op is Op.RENAME_GROUP:
            assert action.id is not None
            gid, name = action.id, action.group
            old = action.changes[0].old if action.changes and action.changes[0].old else name
            if group_key(old) != group_key(name):
                # renamed_from: the group renamed must be the one the spec names, and never
                # one another declared group manages in its own right
                if group_key(name) not in self._managed:
                    raise RowMismatch(f"refused: group {name} is not managed by this plan")
                if group_key(old) in self._declared:
                    raise RowMismatch(
                        f"refused: group {old} is declared in the spec; it is not renamed to {name}"
                    )
                self._find_group_id(gid, old)
            else:
                self._verify_group(gid, old, action)
            return self._repeatable(lambda: self.client.edit_group(gid, name))
        if op is Op.DELETE_GROUP:
            assert action.id is not None
            gid = action.id
            self._verify_group(gid, action.group, action)
            return self._delete(lambda: self.client.delete_group(gid), InvalidGroupId)
        if op is Op.ADD_CONTACT:
            assert action.after is not None
            return self._add_contact(action.after)
        if op in (Op.EDIT_CONTACT, Op.MOVE_CONTACT):
            assert action.id is not None and action.after is not None
            cid, a = action.id, action.after
            if group_key(a.group) not in self._managed:
                raise RowMismatch(f"refused: group {a.group} is not managed by this plan")
            self._verify_row(action, self._declared)
            return self._repeatable(
                lambda: self.client.edit_contact(
                    cid, a.name, a.mobile, a.group, address=a.address, birth=_birth(a), desc=a.desc
                )
            )
        if op is Op.DELETE_CONTACT:
            assert action.id is not None
            cid = action.id
            try:
                self._verify_row(action, self._managed)
            except (InvalidPhonebookId, DataNotFound):
                return "already gone"
            return self._delete(lambda: self.client.delete_contact(cid), InvalidPhonebookId)
        raise AssertionError(op)  # pragma: no cover

    def _read(self, fn: Callable[[], T]) -> T:
        """A read: repeated while the answer is lost."""
        for attempt in range(ATTEMPTS):
            try:
                return self._call(fn)
            except TransportError:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _verify_row(self, action: Action, allowed: frozenset[str]) -> None:
        """The row behind ``action.id`` holds the number and group the plan saw, in a group
        ``allowed``; raises RowMismatch (or the gateway's unknown-id error) otherwise."""
        before, cid = action.before, action.id
        assert cid is not None
        if before is None:
            raise RowMismatch(f"refused: the plan holds no record of #{cid}")
        if group_key(before.group) not in allowed:
            raise RowMismatch(
                f"refused: #{cid} is in group {before.group}, which this plan does not manage"
            )
        row = self._read(lambda: self.client.get_contact(cid))
        if group_key(row.group) != group_key(before.group) or (
            number_key(row.mobile, self.region) != before.number
        ):
            raise RowMismatch(
                f"refused: #{cid} is not the row the plan saw (the gateway holds it in group "
                f"{row.group}, not {before.group}, or under another number); nothing written "
                "to it: run plan again"
            )
        # The group field of a record is text the gateway prints, possibly raw (a name holding
        # a separator reads as another, shorter name). Membership is asked of the gateway
        # itself instead: it lists the group by name, matching names its own way.
        if cid not in self._members(before.group):
            raise RowMismatch(
                f"refused: the gateway does not list #{cid} in group {before.group}; nothing "
                "written to it: run plan again"
            )

    def _members(self, group: str) -> frozenset[int]:
        """Ids the gateway lists in ``group`` (read once per run, to an empty page)."""
        key = group_key(group)
        with self._members_lock:
            if key not in self._member_ids:
                rows = read_listing(
                    lambda page, size: self._read(
                        lambda: self.client.list_contacts_by_group(group, page=page, size=size)
                    ),
                    PageSizer(self.page_size or DEFAULT_PAGE_SIZE, trusted=False),
                    what=f"group {group}",
                    exhaustive=True,
                )
                self._member_ids[key] = frozenset(c.id for c in rows)
            return self._member_ids[key]

    def _verify_group(self, gid: int, name: str, action: Action) -> None:
        if group_key(name) not in self._managed:
            raise RowMismatch(f"refused: group {name} is not managed by this plan")
        self._find_group_id(gid, name)

    def _find_group_id(self, gid: int, name: str) -> None:
        if not any(g.id == gid for g in self._find_group(name)):
            raise RowMismatch(
                f"refused: the gateway has no group {name} with id #{gid}; "
                "nothing written: run plan again"
            )

    def _repeatable(self, fn: Callable[[], object]) -> str:
        """An idempotent write: send again while the answer is lost."""
        for attempt in range(ATTEMPTS):
            try:
                self._call(fn)
                return "" if attempt == 0 else f"answered on attempt {attempt + 1}"
            except TransportError:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delete(self, fn: Callable[[], object], gone: type[GatewayError]) -> str:
        """A delete: after a lost answer, 'unknown id' on the next attempt means it worked."""
        lost = False
        for attempt in range(ATTEMPTS):
            try:
                self._call(fn)
                return ""
            except gone:
                if lost:
                    return "the first attempt's answer was lost; it had deleted the row"
                raise
            except TransportError:
                if attempt == ATTEMPTS - 1:
                    raise
                lost = True
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_group(self, name: str) -> str:
        for attempt in range(ATTEMPTS):
            try:
                self._call(lambda: self.client.add_group(name))
                return ""
            except InvalidGroupName:
                # 1711: the name exists. Fine if an earlier attempt created it.
                if attempt > 0 and self._group_exists(name):
                    return "the first attempt's answer was lost; it had created the group"
                raise
            except TransportError:
                if self._group_exists(name):
                    return "the answer was lost; the group exists"
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _group_exists(self, name: str) -> bool:
        return bool(self._find_group(name))

    def _find_group(self, name: str) -> list[Group]:
        """The groups the gateway holds under ``name`` (its group identity)."""
        key = group_key(name)
        found = self._read(lambda: self.client.find_group(name))
        exact = [g for g in found if group_key(g.name) == key]
        if exact or len(found) < SEARCH_CAP:
            return exact
        # A saturated search ("Marketing" among "Marketing 1".."Marketing 12"): list them all.
        listed = self._listing(
            lambda page, size: self.client.list_groups(page=page, size=size), "group list"
        )
        return [g for g in listed if group_key(g.name) == key]

    def _listing(self, fetch: Callable[[int, int], Page[R]], what: str) -> list[R]:
        """A whole listing, through the one paging routine (each page a repeatable read)."""
        sizer = PageSizer(self.page_size or DEFAULT_PAGE_SIZE, trusted=self.page_size is not None)
        return read_listing(
            lambda page, size: self._read(lambda: fetch(page, size)), sizer, what=what
        )

    def _add_contact(self, a: Record) -> str:
        for attempt in range(ATTEMPTS):
            try:
                self._call(
                    lambda: self.client.add_contact(
                        a.name, a.mobile, a.group, address=a.address, birth=_birth(a), desc=a.desc
                    )
                )
                return "" if attempt == 0 else f"sent on attempt {attempt + 1}"
            except TransportError as exc:
                # Never send an add twice blindly: look for the row the lost request may
                # have created (exact number, group and name) first -- after a pause, as a
                # request whose answer timed out may still be running on the gateway.
                time.sleep(0.05 * 2**attempt)
                if exc.maybe_applied and self._contact_exists(a):
                    return "the answer was lost; the contact exists"
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _contact_exists(self, a: Record) -> bool:
        # Find matches partially and returns at most 10 rows: search by the number in every
        # spelling the gateway may have stored it in, then filter to exact matches.
        found: list[Contact] = []
        saturated = False
        for form in stored_forms(a.number):
            rows = self._call(partial(self.client.find_by_number, form))
            saturated = saturated or len(rows) >= SEARCH_CAP
            found.extend(rows)
        if any(self._same(c, a) for c in found):
            return True
        if not saturated:
            return False
        # A saturated search may hide the row: list the group instead.
        rows = self._listing(
            lambda page, size: self.client.list_contacts_by_group(a.group, page=page, size=size),
            f"group {a.group}",
        )
        return any(self._same(c, a) for c in rows)

    def _same(self, c: Contact, a: Record) -> bool:
        return (
            numbers.try_normalize(c.mobile, self.region) == a.number
            and group_key(c.group) == group_key(a.group)
            and c.name == a.name
        )
