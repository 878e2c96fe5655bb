"""Compute a Plan: select the managed groups, read the remote, diff, check safety."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from smsync.gateway.client import Client
from smsync.gateway.errors import SmsyncError
from smsync.plan.diff import DiffResult, diff, number_keys
from smsync.plan.fetch import RemoteState, fetch_details, group_key, read_remote
from smsync.plan.model import Op, Plan, Safety
from smsync.spec.model import GroupSpec

MAX_DETAIL_ROUNDS = 4


class SafetySettings(Protocol):
    @property
    def max_delete_share(self) -> float: ...
    @property
    def max_update_share(self) -> float: ...
    @property
    def min_existing(self) -> int: ...


@dataclass
class PlanOptions:
    targets: list[str] = field(default_factory=list)  # group name globs; empty = every group
    excludes: list[str] = field(default_factory=list)
    page_size: int | None = None  # the gateway's real maximum page size, when known
    concurrency: int = 4
    strategy: str | None = None  # force "list-all" or "by-group"


def _matches(name: str, patterns: list[str]) -> bool:
    folded = name.casefold()
    return any(fnmatch.fnmatchcase(folded, p.casefold()) for p in patterns)


def select_groups(
    groups: list[GroupSpec], targets: list[str], excludes: list[str]
) -> list[GroupSpec]:
    """The declared groups this plan manages after ``--target`` / ``--exclude``."""
    selected = [g for g in groups if not targets or _matches(g.name, targets)]
    return [g for g in selected if not _matches(g.name, excludes)]


def assess_safety(result: DiffResult, settings: SafetySettings) -> Safety:
    """octoDNS-style guard: refuse plans that delete or update too much of what exists."""
    deletes = sum(1 for a in result.actions if a.op is Op.DELETE_CONTACT)
    updates = sum(1 for a in result.actions if a.op in (Op.EDIT_CONTACT, Op.MOVE_CONTACT))
    protected = [a for a in result.actions if a.protected]
    existing = result.existing_managed
    safety = Safety(
        existing_managed=existing,
        deletes=deletes,
        updates=updates,
        protected_deletes=len(protected),
    )
    if protected:
        safety.unsafe = True
        safety.reasons.append(
            f"{len(protected)} delete(s) of protected groups or contacts: refused even with "
            "--force until the spec drops `protect: true`"
        )
    if existing >= settings.min_existing and existing > 0:
        for what, count, limit in (
            ("delete", deletes, settings.max_delete_share),
            ("update", updates, settings.max_update_share),
        ):
            if count / existing > limit:
                safety.unsafe = True
                safety.reasons.append(
                    f"would {what} {count} of {existing} existing managed contacts "
                    f"({count / existing:.0%} > {limit:.0%}): apply needs --force"
                )
    return safety


def make_plan(
    client: Client,
    groups: list[GroupSpec],
    *,
    region: str,
    safety: SafetySettings,
    options: PlanOptions | None = None,
    endpoint: str = "",
    username: str = "",
) -> Plan:
    options = options or PlanOptions()
    managed = select_groups(groups, options.targets, options.excludes)
    remote, result = read_and_diff(client, managed, region=region, options=options)
    return Plan(
        actions=result.actions,
        fingerprint=remote.fingerprint(),
        read=remote.read,
        safety=assess_safety(result, safety),
        scope={
            "target": list(options.targets),
            "exclude": list(options.excludes),
            "groups": [g.name for g in managed],
        },
        duplicates=result.duplicates,
        endpoint=endpoint,
        username=username,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def read_and_diff(
    client: Client, managed: list[GroupSpec], *, region: str, options: PlanOptions
) -> tuple[RemoteState, DiffResult]:
    remote = read_remote(
        client,
        [g.name for g in managed],
        page_size=options.page_size,
        concurrency=options.concurrency,
        strategy=options.strategy,
        expected_rows={group_key(g.name): len(g.contacts) for g in managed},
        number_key=number_keys(managed, region),
    )
    result = diff(managed, remote, region)
    # Short-form listings: fetch complete data only for the rows the diff needs, then diff
    # again with those rows complete (which can make it choose, and need, other rows: each
    # round only adds rows, so a few rounds settle it).
    for _round in range(MAX_DETAIL_ROUNDS):
        if not result.needs_details:
            return remote, result
        fetch_details(client, remote, result.needs_details, concurrency=options.concurrency)
        result = diff(managed, remote, region)
    if result.needs_details:
        raise SmsyncError(
            f"complete data for {len(result.needs_details)} contacts still missing after "
            f"{MAX_DETAIL_ROUNDS} rounds of phbkGetCompleteData (is the gateway answering short "
            "records to phbkGetCompleteData?)"
        )
    return remote, result


def read_fingerprint(client: Client, plan: Plan, *, concurrency: int = 4) -> str:
    """Read the remote again exactly as ``plan`` did and return its fingerprint."""
    remote = read_remote(
        client,
        plan.scope.get("groups", []),
        page_size=plan.read.page_size if plan.read.page_size_trusted else None,
        concurrency=concurrency,
        strategy=plan.read.strategy if plan.read.strategy != "none" else None,
    )
    fetch_details(client, remote, set(plan.read.detail_ids), concurrency=concurrency)
    return remote.fingerprint()
