"""Every refusal smsync makes, decided in one place.

smsync deletes contacts and sends paid messages that cannot be taken back, so what it refuses
is decided here and only here, by the same code at plan time (``plan --detailed-exitcode``
exits 3) and at apply time (nothing is written):

* **Rules** (:class:`Rule`) judge a plan computed from the *current* spec and the gateway's own
  rows: shares of deletes and updates, ``protect``, broadcast caps, suppressed or unreadable
  members of a group send, the account's balance. Each finding is typed; whether ``--force``
  may override it is a property of its rule, never of free text.
* **A saved plan is an approval** (:func:`check_same_plan`): ``apply PLAN_FILE`` plans again and
  runs only when the actions and sends it would make now are exactly the file's. Nothing the file
  claims (ids, ``before`` records, reasons, flags) is trusted on its own, so no hand edit, spec
  change or new suppression since ``plan --out`` can slip through.
* **Right before a group send** (:func:`check_group_rows`) the group's rows on the gateway are
  checked again: SendSMSGroup messages whoever is in the group at that moment.

Refusals are exceptions: :class:`UnsafePlan` (exit 3) and :class:`StalePlan` (exit 4).

This module imports no other layer at run time (plans and broadcast plans are read by their
fields), so the broadcast planner below the plan layer can use it too.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from smsync.errors import SmsyncError
from smsync.gateway.names import group_key

if TYPE_CHECKING:
    from smsync.broadcast.model import BroadcastPlan
    from smsync.plan.model import Action, Plan


# --- refusals ---------------------------------------------------------------------------------


class Refused(SmsyncError):
    """Apply refuses a plan; nothing was written. ``kind``: "unsafe" or "stale"."""

    kind: ClassVar[str] = "unsafe"


class UnsafePlan(Refused):
    """The plan breaks a safety rule (exit 3)."""

    kind = "unsafe"


class StalePlan(Refused):
    """The plan no longer describes what apply would do now (exit 4)."""

    kind = "stale"


# --- rules and findings -----------------------------------------------------------------------


class Rule(enum.StrEnum):
    PROTECTED_DELETE = "protected_delete"
    DELETE_SHARE = "delete_share"
    UPDATE_SHARE = "update_share"
    MAX_RECIPIENTS = "max_recipients"
    MAX_SEGMENTS_PER_MESSAGE = "max_segments_per_message"
    MAX_TOTAL_SEGMENTS = "max_total_segments"
    ALREADY_CONTACTED = "already_contacted"
    SUPPRESSED_IN_GROUP = "suppressed_in_group"
    UNREADABLE_IN_GROUP = "unreadable_in_group"
    DUPLICATE_IN_GROUP = "duplicate_in_group"
    CREDIT = "credit"
    REMEMBERED_PROTECTION = "remembered_protection"
    AMBIGUOUS_GROUP = "ambiguous_group"

    @property
    def forcible(self) -> bool:
        """Whether ``--force`` may override it: thresholds yes; promises never."""
        return self in _FORCIBLE


_FORCIBLE = frozenset(
    {
        Rule.DELETE_SHARE,
        Rule.UPDATE_SHARE,
        Rule.MAX_RECIPIENTS,
        Rule.MAX_SEGMENTS_PER_MESSAGE,
        Rule.MAX_TOTAL_SEGMENTS,
    }
)


@dataclass(frozen=True)
class Finding:
    """One rule a plan breaks. ``broadcast``: the broadcast it concerns (None: the phonebook)."""

    rule: Rule
    message: str
    broadcast: str | None = None
    #: the E.164 numbers ``message`` names, masked, in order: a plan's text is masked for CI,
    #: and a renderer asked for --show-pii shows them in full (:meth:`shown`)
    numbers: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"broadcast {self.broadcast}: {self.message}" if self.broadcast else self.message

    def shown(self, show_pii: bool) -> str:
        """``message``, with its numbers in full when ``show_pii``."""
        if not show_pii:
            return self.message
        from smsync.numbers import mask, to_national

        text = self.message
        for number in self.numbers:
            # each replace takes the first masked form left, so equal masks map in order
            text = text.replace(mask(to_national(number)), to_national(number), 1)
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rule": self.rule.value,
            "forcible": self.rule.forcible,
            "numbers": list(self.numbers),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            Rule(data["rule"]),
            str(data["message"]),
            data.get("broadcast"),
            tuple(str(n) for n in data.get("numbers", ())),
        )


class Judged:
    """What the rules found in a part of a plan (the phonebook's, a broadcast's)."""

    findings: list[Finding]

    @property
    def unsafe(self) -> bool:
        return bool(self.findings)

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.findings]


class ShareLimits(Protocol):
    @property
    def max_delete_share(self) -> float: ...
    @property
    def max_update_share(self) -> float: ...
    @property
    def min_existing(self) -> int: ...


def phonebook_findings(
    *, deletes: int, updates: int, protected: int, existing: int, limits: ShareLimits
) -> list[Finding]:
    """octoDNS-style guard: a plan that deletes or updates too much of what exists."""
    out = []
    if protected:
        out.append(
            Finding(
                Rule.PROTECTED_DELETE,
                f"{protected} delete(s) of protected groups or contacts: refused even with --force "
                "until the spec drops `protect: true`",
            )
        )
    if existing >= limits.min_existing and existing > 0:
        for rule, what, count, limit in (
            (Rule.DELETE_SHARE, "delete", deletes, limits.max_delete_share),
            (Rule.UPDATE_SHARE, "update", updates, limits.max_update_share),
        ):
            if count / existing > limit:
                out.append(
                    Finding(
                        rule,
                        f"would {what} {count} of {existing} existing managed contacts "
                        f"({count / existing:.0%} > {limit:.0%}): apply needs --force",
                    )
                )
    return out


def remembered_protection_findings(
    plan: Plan, remembered: Collection[tuple[str, str, str]]
) -> list[Finding]:
    """Deletes of items the state remembers as applied with ``protect: true``: the item and
    its flag removed in one change. ``remembered``: keys ``("group", group key, "")`` and
    ``("contact", group key, E.164 number)`` (:mod:`smsync.state.protection`)."""
    from smsync.numbers import mask, to_national

    # A group renamed in this plan (renamed_from) is still the group its old name remembers.
    was = {
        group_key(a.group): group_key(a.changes[0].old)
        for a in plan.actions
        if a.op.value == "rename_group" and a.changes and a.changes[0].old
    }
    out = []
    for a in plan.actions:
        if not a.op.is_delete or a.protected or a.duplicate_of is not None:
            continue  # a flagged delete is PROTECTED_DELETE's; a duplicate's row is kept
        if a.before is None:
            if ("group", group_key(a.group), "") not in remembered:
                continue
            what, item = f"group '{a.group}'", "group"
        else:
            keys = {group_key(a.before.group)}
            keys.update(was.get(k, k) for k in list(keys))
            if not any(("contact", k, a.before.number) in remembered for k in keys):
                continue
            what = f"contact {mask(to_national(a.before.number))} in group '{a.before.group}'"
            item = "contact"
        out.append(
            Finding(
                Rule.REMEMBERED_PROTECTION,
                f"{what} was applied with `protect: true`, and this change removes it together "
                f"with its flag: refused even with --force. Take two steps: first drop "
                f"`protect: true` (keep the {item}) and apply; then remove it and apply",
                numbers=(a.before.number,) if a.before is not None else (),
            )
        )
    return out


class _ListedGroup(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def extra(self) -> tuple[str, ...]: ...


def ambiguous_group_findings(
    groups: Iterable[_ListedGroup], managed: Iterable[str]
) -> list[Finding]:
    """Managed groups whose record the gateway printed with extra fields after the name: a
    name holding the field separator (a gateway printing values raw) reads as a shorter name,
    possibly a declared one, so which group it is cannot be told — nothing of it is touched."""
    keys = {group_key(n) for n in managed}
    return [
        Finding(
            Rule.AMBIGUOUS_GROUP,
            f"the gateway lists group #{g.id} as {g.name!r} followed by extra fields; its name "
            "may hold a field separator, so smsync cannot tell whether it is the declared group: "
            "rename it on the gateway (or check the dialect with `smsync doctor`)",
        )
        for g in groups
        if g.extra and group_key(g.name) in keys
    ]


def credit_finding(balance: Decimal | None, needed: int) -> Finding | None:
    """Sends the balance cannot pay for. An unknown balance refuses nothing (said in the plan)."""
    if balance is None or needed <= balance:
        return None
    return Finding(
        Rule.CREDIT,
        f"the sends need {needed} segments but the account's balance is {balance:f}: top up "
        "first (refused even with --force: the gateway would stop at 1708 part-way)",
    )


def findings(plan: Plan) -> list[Finding]:
    """Every finding of a plan: the phonebook's, each broadcast's, the balance's."""
    out = list(plan.safety.findings)
    for b in plan.broadcasts:
        out.extend(b.findings)
    out.extend(plan.credit.findings)
    return out


def raise_if_unsafe(found: Iterable[Finding], *, force: bool) -> None:
    """Refuse (UnsafePlan) what breaks a rule: always for promises, without --force otherwise."""
    found = list(found)
    never = [f for f in found if not f.rule.forcible]
    if never:
        raise UnsafePlan("refused (even with --force): " + "; ".join(str(f) for f in never))
    if found and not force:
        raise UnsafePlan(
            "the plan is unsafe ("
            + "; ".join(str(f) for f in found)
            + "); re-run with --force to apply it"
        )


# --- group sends: the gateway's own rows ------------------------------------------------------


def group_send_findings(b: BroadcastPlan, unreadable: int) -> list[Finding]:
    """What makes a planned group send unsendable, from the rows it will reach."""
    out: list[Finding] = []
    if unreadable:
        out.append(
            Finding(
                Rule.UNREADABLE_IN_GROUP,
                f"group '{b.group}' has {unreadable} member row(s) whose number cannot be read: a "
                "group send would message them without a suppression check; fix or remove those "
                "rows, or send per member (leave out via: group-call)",
                b.name,
            )
        )
    from smsync.numbers import mask, to_national

    twice = sorted(n for n, k in Counter(r.number for r in b.recipients).items() if k > 1)
    if twice:
        shown = ", ".join(mask(to_national(n)) for n in twice[:5])
        more = f" and {len(twice) - 5} more" if len(twice) > 5 else ""
        out.append(
            Finding(
                Rule.DUPLICATE_IN_GROUP,
                f"group '{b.group}' holds {len(twice)} number(s) in more than one row ({shown}"
                f"{more}): a group call messages every row, so they would get it twice; remove "
                "the extra rows, or send per member (leave out via: group-call)",
                b.name,
                tuple(twice[:5]),
            )
        )
    suppressed = [r for r in b.recipients if r.state == "suppressed"]
    if suppressed:
        shown = ", ".join(mask(to_national(r.number)) for r in suppressed[:5])
        more = f" and {len(suppressed) - 5} more" if len(suppressed) > 5 else ""
        out.append(
            Finding(
                Rule.SUPPRESSED_IN_GROUP,
                f"group '{b.group}' has {len(suppressed)} suppressed member(s) ({shown}{more}); a "
                "group send reaches every member, so it cannot skip them: use audience.contacts "
                "with groups: [...] instead",
                b.name,
                tuple(r.number for r in suppressed[:5]),
            )
        )
    return out


def check_group_rows(
    group: str, numbers: Sequence[str | None], planned: Sequence[str], suppression: frozenset[str]
) -> str | None:
    """Why a group send must not go out now (None: it may), judged from the group's rows as
    the gateway holds them right before the send: ``numbers`` (E.164, None when unreadable)
    against the plan's recipients ``planned`` and the suppression list."""
    unreadable = sum(1 for n in numbers if n is None)
    if unreadable:
        return f"group '{group}' now has {unreadable} row(s) whose number cannot be read; not sent"
    suppressed = sum(1 for n in numbers if n in suppression)
    if suppressed:
        return (
            f"group '{group}' now has {suppressed} suppressed member(s); a group send "
            "cannot skip them; not sent"
        )
    if Counter(numbers) != Counter(planned):
        return (
            f"group '{group}' changed since the plan (its rows now are not the "
            f"{len(planned)} planned; {len(numbers)} now); not sent: run plan again"
        )
    return None


# --- saved plans are approvals ----------------------------------------------------------------


class _Project(Protocol):
    @property
    def config_file(self) -> Any: ...
    @property
    def root(self) -> Any: ...


def check_in_project(project: _Project) -> None:
    """A plan is applied within its project: its spec, suppression list and ledger."""
    if project.config_file is None:
        raise SmsyncError(
            f"no smsync.yaml in {project.root}: a saved plan is applied within its project "
            "(its spec, suppression list and ledger); run from the project directory or pass "
            "--project DIR"
        )


def check_target(plan: Plan, endpoint: str, username: str) -> None:
    if (plan.endpoint, plan.username) != (endpoint, username):
        raise StalePlan(
            f"this plan was made for {plan.username}@{plan.endpoint}, not for "
            f"{username}@{endpoint}; nothing was written"
        )


def check_same_plan(saved: Plan, now: Plan, *, limit: int = 12) -> None:
    """Refuse (StalePlan) unless planning again gives exactly the saved plan's actions and
    sends; the message says what differs."""
    before, after = approval(saved), approval(now)
    if before == after and saved.fingerprint == now.fingerprint:
        return
    lines = explain(before, after)
    if not lines:  # same actions, but the rows they were computed from changed
        lines = ["the remote phonebook changed since this plan was made"]
    shown = lines[:limit] + ([f"… and {len(lines) - limit} more"] if len(lines) > limit else [])
    raise StalePlan(
        "the spec or the gateway changed since this plan was made: it is not what apply "
        "would do now; nothing was written. Differences (saved plan → plan now):\n  "
        + "\n  ".join(shown)
        + "\nRun plan again and review it."
    )


def approval(plan: Plan) -> dict[str, Any]:
    """What a reviewer approves in a plan: each action (op, id, group, records) and each send
    (recipient, state, message, trxid). Reasons, counts and timestamps are left out."""
    actions: dict[str, Any] = {}
    for a in plan.actions:
        _put(
            actions,
            _action_key(a),
            {
                "op": a.op.value,
                "id": a.id,
                "group": a.group,
                "before": asdict(a.before) if a.before else None,
                "after": asdict(a.after) if a.after else None,
            },
        )
    broadcasts: dict[str, Any] = {}
    for b in plan.broadcasts:
        recipients: dict[str, Any] = {}
        for r in b.recipients:
            # the account too: a gateway deduplicates trxids per account, and which account
            # pays and whose sender name shows is part of what was approved
            _put(
                recipients,
                r.number,
                {
                    "state": r.state,
                    "message": r.message,
                    "trxid": r.trxid,
                    "account": r.account,
                },
            )
        broadcasts[b.name] = {
            "channel": b.channel,
            "fallback": b.fallback,
            "kind": b.kind,
            "group": group_key(b.group) if b.group else None,
            "due": b.due,
            "recipients": recipients,
        }
    return {"actions": actions, "broadcasts": broadcasts}


def _action_key(a: Action) -> str:
    if a.id is not None:
        return f"{a.op.value} #{a.id}"
    number = a.after.number if a.after else ""
    return f"{a.op.value} {a.group} {number}".rstrip()


def _put(into: dict[str, Any], key: str, value: Any) -> None:
    n, unique = 1, key
    while unique in into:
        n += 1
        unique = f"{key} ({n})"
    into[unique] = value


_NUMBER = re.compile(r"\+?\d{8,15}")


def _masked(text: str) -> str:
    from smsync.numbers import mask

    return _NUMBER.sub(lambda m: mask(m.group()), text)


def _account(name: str) -> str:
    return f"account '{name}'" if name else "the main account"


def explain(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Lines naming each difference between two approvals (numbers masked, no message texts:
    this goes to CI logs)."""
    from deepdiff import DeepDiff

    lines = []
    moved: Counter[tuple[str, str]] = Counter()  # (account then, account now): numbers
    # (threshold 0: always name the differing entries, never "the whole dict differs")
    tree = DeepDiff(saved, now, view="tree", threshold_to_diff_deeper=0)
    for report, items in tree.items():
        for item in items:
            path = item.path(output_format="list")
            where = " › ".join(str(p) for p in path)
            if report == "values_changed" and path[-1] == "account":
                moved[(str(item.t1), str(item.t2))] += 1
            elif report == "dictionary_item_removed":
                lines.append(f"only in the saved plan: {where}")
            elif report == "dictionary_item_added":
                lines.append(f"only in the plan now: {where}")
            elif item.path(output_format="list")[-1] in ("state", "due", "op", "group", "id"):
                lines.append(f"{where}: {item.t1} → {item.t2}")
            else:
                lines.append(f"{where} differs")
    lines.extend(
        f"messages to {n} number{'' if n == 1 else 's'} now go through {_account(after)} "
        f"instead of {_account(before)}"
        for (before, after), n in moved.items()
    )
    return sorted(_masked(line) for line in lines)
